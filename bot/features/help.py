"""`help [COMMAND]`: the commands, briefly."""

from __future__ import annotations

from bot.feature import Feature
from bot.port import SUGGEST_COMMAND, Command, Option, Words
from bot.requests import Refusal, Request, Router
from bot.texts import text


def register(router: Router) -> None:
    async def handle_help(req: Request) -> None:
        name = req.args.word(0)
        if name:
            info = router.find(name.lstrip("/!"))
            if info is None:
                raise Refusal(req.t("help.no_such_command", name=name[:40]))
            req.say(info.usage)
            return
        lines = [req.t("help.header")]
        lines += [
            req.t("help.line", command=info.name, summary=info.summary) for info in router.listed
        ]
        lines.append(req.t("help.footer"))
        req.say("\n".join(lines))

    router.add("help", handle_help, text("help.usage"), text("help.summary"))


HELP = Command(
    ("help",),
    Words("discord.command_help"),
    (
        Option(
            "command",
            Words("discord.option_help_command"),
            suggest=SUGGEST_COMMAND,
            max_length=32,
        ),
    ),
)

FEATURE = Feature(
    "help", handlers=lambda router, wiring: register(router), commands=lambda config: (HELP,)
)
