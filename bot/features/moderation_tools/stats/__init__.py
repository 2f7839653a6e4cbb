"""`mod stats`: statistics over groups, never about one member — the community
pulse (pulse.py) and whether Hearth is reaching people (delivery.py)."""

from __future__ import annotations

from bot.features.moderation_tools.stats import delivery, pulse
from bot.requests import Args, Refusal, Request

STATS_DEFAULT_DAYS = 7
STATS_MAX_DAYS = 365


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
