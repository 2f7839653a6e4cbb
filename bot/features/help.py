"""`help [COMMAND]`: the commands, briefly, grouped the way members look for them."""

from __future__ import annotations

import re

from bot.feature import Feature
from bot.moderators import is_moderator
from bot.port import SUGGEST_COMMAND, Command, Option, Words
from bot.requests import Refusal, Request, Route, Router

NAME = "help"
MOD = "mod"

#: the sections of the list, in order, by the commands' first words: sharing before
#: data rights; `mod` only for moderators. A command no section names (a new
#: feature's) is listed under "more", so nothing a member can use is left out.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("help.section_checkins", ("checkin", "milestone", "celebrate", "cheer")),
    ("help.section_sharing", ("share", "reply", "support", "report")),
    ("help.section_peers", ("buddy", "encourage")),
    ("help.section_safety", ("resources", "contact", "safetyplan")),
    ("help.section_you", ("privacy", "mydata", "language", NAME)),
)
MORE = "help.section_more"
MODERATORS = "help.section_moderators"

# `help`, `help?`, `help checkin` typed in a DM without a prefix.
_PLAIN_HELP = re.compile(r"help(?:\s+[/!]?(\w+))?[\s?!.]*", re.IGNORECASE)


def plain_help(words: str, router: Router) -> str | None:
    """The help command a plain DM stands for (`help`, `help checkin`), else None:
    `help me` is someone talking, and is listened to as such."""
    match = _PLAIN_HELP.fullmatch(words.strip())
    if match is None:
        return None
    name = match.group(1)
    if name is None:
        return NAME
    route = router.find(name)
    return f"{NAME} {route.name}" if route is not None and not route.hidden else None


def moderates(req: Request) -> bool:
    """In a channel, whether the member moderates its community; in a DM, any of theirs."""
    if not req.event.place.is_dm:
        return is_moderator(req.event, req.community)
    mine = req.config.communities_on(req.event.member.platform)
    return any(is_moderator(req.event, community) for community in mine)


def sections(routes: list[Route], moderator: bool) -> list[tuple[str, list[Route]]]:
    by_name = {route.name: route for route in routes}
    placed = {name for _, names in SECTIONS for name in names} | {MOD}
    found = [
        (title, [by_name[name] for name in names if name in by_name]) for title, names in SECTIONS
    ]
    found.append((MORE, [route for route in routes if route.name not in placed]))
    if moderator and MOD in by_name:
        found.append((MODERATORS, [by_name[MOD]]))
    return [(title, routes) for title, routes in found if routes]


def register(router: Router) -> None:
    async def handle_help(req: Request) -> None:
        name = req.args.word(0)
        moderator = moderates(req)
        if name:
            info = router.find(name.lstrip("/!"))
            if info is None or info.hidden:
                raise Refusal(req.t("help.no_such_command", name=name[:40]))
            if info.name == MOD and not moderator:
                raise Refusal(req.t("help.moderators_only"))
            req.say("\n".join(req.t(usage) for usage in info.usage))
            return
        lines = [req.t("help.header")]
        for title, routes in sections(router.listed, moderator):
            lines.append(req.t(title))
            lines += [
                req.t("help.line", command=info.name, summary=req.t(info.summary))
                for info in routes
            ]
        lines.append(req.t("help.footer"))
        req.say("\n".join(lines))

    router.add(NAME, handle_help, "help.usage", "help.summary")


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
