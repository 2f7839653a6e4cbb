"""Moderator tools beyond the queue: `mod stats` (the community pulse and
delivery health, over groups only), `mod reload` and `mod log`."""

from __future__ import annotations

from bot.commands import Args, Refusal, Request
from bot.feature import Feature, Wiring
from bot.features.moderation_tools import delivery, pulse
from bot.features.moderation_tools.log import show_log
from bot.features.moderation_tools.reload import make_handler

STATS_DEFAULT_DAYS = 7
STATS_MAX_DAYS = 365
USAGE = (
    "mod stats [DAYS] — the community's pulse and delivery health (7 days if left out)\n"
    "mod reload — re-read the configuration file, keeping it if the file has problems\n"
    "mod log [N] — the last N moderator actions (20 if left out)"
)


def add_to(wiring: Wiring) -> None:
    """Add `mod stats`, `mod reload` and `mod log` to the `mod` command's table."""
    wiring.mod_commands["stats"] = stats
    wiring.mod_commands["reload"] = make_handler(wiring.reloader)
    wiring.mod_commands["log"] = show_log
    wiring.mod_usage.append(USAGE)


FEATURE = Feature("moderation_tools", commands=lambda router, wiring: add_to(wiring))


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
