"""`mod stats`: statistics over groups, never about one member — the community
pulse (pulse.py) and whether Hearth is reaching people (delivery.py)."""

from __future__ import annotations

from bot import mornings
from bot.features.moderation_tools.stats import alerts, buddies, delivery, pulse
from bot.port import Message
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
    req.later(lambda: _report(req, days))


async def _report(req: Request, days: int) -> Message:
    """Read after the command's commit, on a read-only snapshot of its own: counting
    a large community's window never holds the event loop or other members' writes."""
    community = req.community
    async with req.read() as tx:
        figures = await pulse.measure(tx, community, req.now, days)
        health = await delivery.measure(tx, community, req.now, days)
        wave = await mornings.wave_for(tx, req.config, community.platform, req.now)
        crisis_alerts = await alerts.measure(tx, community, req.now, days)
        peers = await buddies.measure(tx, community, req.now, days)
    if days == 1:
        title = req.t("mod.stats_title_yesterday", community=community.name)
    else:
        title = req.plural("mod.stats_title_days", days, community=community.name)
    lines = [
        title,
        *pulse.describe(figures, req.locale),
        *buddies.describe(peers, req.locale),
        req.t("mod.stats_delivery_heading"),
        *delivery.describe(health, req.locale),
        *delivery.describe_wave(wave, community, req.locale),
        *alerts.describe(crisis_alerts, req.locale),
        req.t("mod.stats_floor_note", floor=figures.floor),
    ]
    return Message("\n".join(lines))
