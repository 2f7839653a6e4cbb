"""Moderator tools beyond the queue: `mod stats` (the community pulse and
delivery health, over groups only), `mod reload` and `mod log`."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, MutableMapping

from bot.commands import Args, Refusal, Request, Router
from bot.features.moderation_tools import audit, delivery, pulse
from bot.features.moderation_tools.reload import Reloader, make_handler

STATS_DEFAULT_DAYS = 7
STATS_MAX_DAYS = 365
USAGE = (
    "mod stats [DAYS] — the community's pulse and delivery health (7 days if left out)\n"
    "mod reload — re-read the configuration file, keeping it if the file has problems\n"
    "mod log [N] — the last N moderator actions (20 if left out)"
)

ModHandler = Callable[[Request, Args], Awaitable[None]]


def register(
    router: Router, mod_commands: MutableMapping[str, ModHandler], reloader: Reloader
) -> None:
    """Add `mod stats`, `mod reload` and `mod log` to the `mod` command's table."""
    mod_commands["stats"] = stats
    mod_commands["reload"] = make_handler(reloader)
    mod_commands["log"] = audit.show_log
    mod = router.commands["mod"]
    router.commands["mod"] = dataclasses.replace(mod, usage=f"{mod.usage}\n{USAGE}")


async def stats(req: Request, args: Args) -> None:
    word = args.word(0)
    if word is None:
        days = STATS_DEFAULT_DAYS
    elif word.isdecimal() and 1 <= int(word) <= STATS_MAX_DAYS:
        days = int(word)
    else:
        raise Refusal(
            f"`mod stats DAYS`: a number of days from 1 to {STATS_MAX_DAYS} "
            f"({STATS_DEFAULT_DAYS} if left out)."
        )
    community = req.community
    figures = await pulse.measure(req.tx, community, req.now, days)
    health = await delivery.measure(req.tx, community, req.now, days)
    span = "yesterday" if days == 1 else f"the last {days} full days"
    lines = [
        f"Community pulse — {community.name}, {span} (today is counted once it's over)",
        *pulse.describe(figures),
        "Delivery health",
        *delivery.describe(health),
        f"Figures over fewer than {figures.floor} members are never shown; "
        "nothing here says which member.",
    ]
    req.say("\n".join(lines))
