"""Which milestone a number of days has reached, which comes next, and how
to say it. Pure arithmetic, so it is easy to trust."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts import ENGLISH, plural

YEAR = 365


def highest_reached(days: int, thresholds: Sequence[int], *, yearly: bool) -> int:
    """The highest threshold at or below `days`; 0 when none is reached yet.

    With `yearly`, every 365 days after the last configured threshold counts too."""
    best = max((t for t in thresholds if t <= days), default=0)
    last = thresholds[-1] if thresholds else 0
    if yearly and days >= last + YEAR:
        best = last + YEAR * ((days - last) // YEAR)
    return best


def next_after(days: int, thresholds: Sequence[int], *, yearly: bool) -> int | None:
    """The first threshold above `days`, or None when there is no further one."""
    following = next((t for t in thresholds if t > days), None)
    if following is not None or not yearly:
        return following
    last = thresholds[-1] if thresholds else 0
    return last + YEAR * (max(days - last, 0) // YEAR + 1)


def describe(days: int, locale: str = ENGLISH) -> str:
    """`1 day`, `7 days`, `1 year`, `2 years`: how a milestone reads."""
    if days >= YEAR and days % YEAR == 0:
        return plural("milestones.years", days // YEAR, locale)
    return plural("milestones.days", days, locale)
