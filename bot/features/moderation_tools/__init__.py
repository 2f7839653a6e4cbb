"""Moderator tools beyond the queue: `mod stats` (the community pulse and
delivery health, over groups only), `mod reload` and `mod log`."""

from __future__ import annotations

from bot.commands import Args, Refusal, Request
from bot.feature import Feature, Wiring
from bot.features.moderation_tools import delivery, pulse
from bot.features.moderation_tools.log import show_log
from bot.features.moderation_tools.reload import make_handler
from bot.texts import text

STATS_DEFAULT_DAYS = 7
STATS_MAX_DAYS = 365


def add_to(wiring: Wiring) -> None:
    """Add `mod stats`, `mod reload` and `mod log` to the `mod` command's table."""
    wiring.mod_commands["stats"] = stats
    wiring.mod_commands["reload"] = make_handler(wiring.reloader)
    wiring.mod_commands["log"] = show_log
    wiring.mod_usage.append(text("mod.tools_usage"))  # language: English at start-up


FEATURE = Feature("moderation_tools", commands=lambda router, wiring: add_to(wiring))


async def stats(req: Request, args: Args) -> None:
    word = args.word(0)
    if word is None:
        days = STATS_DEFAULT_DAYS
    elif word.isdecimal() and 1 <= int(word) <= STATS_MAX_DAYS:
        days = int(word)
    else:
        raise Refusal(
            req.t("mod.stats_days_refusal", most=STATS_MAX_DAYS, default=STATS_DEFAULT_DAYS)
        )
    community = req.community
    figures = await pulse.measure(req.tx, community, req.now, days)
    health = await delivery.measure(req.tx, community, req.now, days)
    if days == 1:
        title = req.t("mod.stats_title_yesterday", community=community.name)
    else:
        title = req.plural("mod.stats_title_days", days, community=community.name)
    lines = [
        title,
        *pulse.describe(figures, req.locale),
        req.t("mod.stats_delivery_heading"),
        *delivery.describe(health, req.locale),
        req.t("mod.stats_floor_note", floor=figures.floor),
    ]
    req.say("\n".join(lines))
