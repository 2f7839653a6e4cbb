"""`help [COMMAND]`: the commands, briefly."""

from __future__ import annotations

from bot.commands import Refusal, Request, Router
from bot.feature import Feature


def register(router: Router) -> None:
    async def handle_help(req: Request) -> None:
        name = req.args.word(0)
        if name:
            info = router.find(name.lstrip("/!"))
            if info is None:
                raise Refusal(f"There's no `{name[:40]}` command. `help` lists them all.")
            req.say(info.usage)
            return
        lines = ["Here's what I can do (everything private stays private):"]
        lines += [f"`{info.name}` — {info.summary}" for info in router.listed]
        lines.append("`help COMMAND` tells more about one.")
        req.say("\n".join(lines))

    router.add("help", handle_help, "help [COMMAND] — the commands, briefly", "this list")


FEATURE = Feature("help", commands=lambda router, wiring: register(router))
