"""The buddies' line in `mod stats`: counts only, behind the privacy floor.

- Members waiting for a buddy (on the list, not yet paired): shown only when at
  least the floor are waiting. Counted among those who joined on a completed
  day, so one joining today changes no answer.
- Pairs formed over the window's completed days (`buddy_days`: a count per
  community and day, no member): shown only when they hold at least the floor
  of members (two each).
Who waits, who is whose buddy, and anyone's interests are never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import Community
from bot.features.moderation_tools.stats.pulse import completed_days, floor_for
from bot.storage import Transaction
from bot.texts import ENGLISH, text


@dataclass(frozen=True)
class BuddyFigures:
    floor: int
    waiting: int
    pairs: int


async def measure(tx: Transaction, community: Community, now: datetime, days: int) -> BuddyFigures:
    low, high = completed_days(community, now, days)
    waiting = await tx.fetchval(
        "SELECT count(*) FROM buddy_members WHERE community = $1 AND state <> 'paired' "
        "AND joined_on < $2",
        community.name,
        high,
    )
    pairs = await tx.fetchval(
        "SELECT coalesce(sum(pairs), 0) FROM buddy_days WHERE community = $1 "
        "AND day >= $2 AND day < $3",
        community.name,
        low,
        high,
    )
    return BuddyFigures(floor_for(community), int(waiting), int(pairs))


def describe(figures: BuddyFigures, locale: str = ENGLISH) -> list[str]:
    too_few = text("buddies.stats_too_few", locale, floor=figures.floor)
    waiting = str(figures.waiting) if figures.waiting >= figures.floor else too_few
    pairs = str(figures.pairs) if 2 * figures.pairs >= figures.floor else too_few
    return [text("buddies.stats", locale, waiting=waiting, pairs=pairs)]
