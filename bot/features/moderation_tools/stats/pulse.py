"""The community pulse in `mod stats`: figures over groups, never about one member.

The privacy floor is `moderation.min_group`, never below 5 (MIN_GROUP_FLOOR):
- Check-ins, the members checking in, the average mood and its trend are
  shown only when at least that many different members checked in (in both
  periods, for the trend). The average is rounded to one decimal.
- Support taps are shown only when there are at least that many. Who sent
  them cannot be counted: each tap carries a token of its own
  (bot/anonymity.py), so nothing says that two came from one person.
- Shares, replies and celebrations are counts of posts every moderator
  already sees one by one in the queue or the channels, so they are shown as
  they are. Their authors are never counted: a floor over distinct authors
  would itself tell moderators whether several posts came from one person.

Asking twice learns nothing. Every figure covers whole days that have ended
in the community's zone (`checkins.default_timezone`): the last N completed
days, and the N before for the trend. Rows are dated only to that day (bot/
localtime.day_floor), so a check-in made now changes no answer until its day
is over, and by then it is one of the whole day's check-ins, behind the floor
like the rest. Two windows that differ by one day (`mod stats 7` and `mod
stats 8`) differ by a whole completed day, which is itself a group: each day
alone is shown only with the floor too (a day below the floor is left out of
every window), so a difference between answers is at least one floored group,
never one member. The cost: today is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Community
from bot.config_loader import MIN_GROUP_FLOOR
from bot.localtime import day_floor
from bot.storage import Transaction
from bot.texts import ENGLISH, plural, text

STEADY = 0.05  # an average that moved less than this reads as steady
# A share later taken down was posted; one its author withdrew is left out.
SHARE_BUCKETS = {
    "published": "posted",
    "removed": "posted",
    "pending": "waiting",
    "held": "waiting",
    "rejected": "rejected",
}


def floor_for(community: Community) -> int:
    return max(MIN_GROUP_FLOOR, community.moderation.min_group)


@dataclass(frozen=True)
class Checkins:
    count: int
    members: int
    mood_total: int

    @property
    def average(self) -> float:
        return self.mood_total / self.count if self.count else 0.0


@dataclass(frozen=True)
class Pulse:
    days: int
    floor: int
    checkins: Checkins
    before: Checkins  # the period of the same length just before
    shares: dict[str, int]  # posted, waiting, rejected
    replies: int
    supports: int
    celebrations: int
    queue: int  # waiting for review right now


async def _checkins(tx: Transaction, community: str, start: int, end: int, floor: int) -> Checkins:
    """The check-ins of the completed days in [start, end), leaving out any day
    with fewer than `floor` members: no window can differ from another by less
    than a floored day."""
    rows = await tx.fetch(
        "SELECT created_at, count(*) AS n, count(DISTINCT member_id) AS members, "
        "coalesce(sum(mood), 0) AS total FROM checkins "
        "WHERE community = $1 AND created_at >= $2 AND created_at < $3 GROUP BY created_at",
        community,
        start,
        end,
    )
    days = [row for row in rows if int(row["members"]) >= floor]
    members = await tx.fetchval(
        "SELECT count(DISTINCT member_id) FROM checkins WHERE community = $1 "
        + (
            "AND created_at IN (" + ", ".join(f"${i + 2}" for i in range(len(days))) + ")"
            if days
            else "AND false"
        ),
        community,
        *(row["created_at"] for row in days),
    )
    # int(): PostgreSQL's count and sum are bigint, and sum may come back as numeric.
    return Checkins(
        sum(int(r["n"]) for r in days), int(members), sum(int(r["total"]) for r in days)
    )


def completed_days(community: Community, now: datetime, days: int) -> tuple[int, int]:
    """[start, end) of the last `days` days that have ended in the community's zone."""
    end = day_floor(now, community.zone)
    start = day_floor(now - timedelta(days=days), community.zone)
    return start, end


async def measure(tx: Transaction, community: Community, now: datetime, days: int) -> Pulse:
    name = community.name
    floor = floor_for(community)
    low, high = completed_days(community, now, days)
    earlier = completed_days(community, now - timedelta(days=days), days)[0]
    shares = {"posted": 0, "waiting": 0, "rejected": 0}
    by_status = await tx.fetch(
        "SELECT status, count(*) AS n FROM shares WHERE community = $1 "
        "AND created_at >= $2 AND created_at < $3 GROUP BY status",
        name,
        low,
        high,
    )
    for row in by_status:
        bucket = SHARE_BUCKETS.get(row["status"])
        if bucket:
            shares[bucket] += int(row["n"])
    replies = await tx.fetchval(
        "SELECT count(*) FROM share_replies r JOIN shares s ON s.id = r.share_id "
        "WHERE s.community = $1 AND r.status IN ('published', 'removed') "
        "AND r.created_at >= $2 AND r.created_at < $3",
        name,
        low,
        high,
    )
    supports = await tx.fetchval(
        "SELECT count(*) FROM share_supports p JOIN shares s ON s.id = p.share_id "
        "WHERE s.community = $1 AND p.created_at >= $2 AND p.created_at < $3",
        name,
        low,
        high,
    )
    celebrations = await tx.fetchval(
        "SELECT count(*) FROM celebrations WHERE community = $1 "
        "AND posted_at >= $2 AND posted_at < $3",
        name,
        low,
        high,
    )
    queue = await tx.fetchval(
        "SELECT (SELECT count(*) FROM shares WHERE community = $1 AND status IN ('pending', "
        "'held')) + (SELECT count(*) FROM share_replies r JOIN shares s ON s.id = r.share_id "
        "WHERE s.community = $1 AND r.status = 'held') + (SELECT count(*) FROM share_reports "
        "WHERE community = $1 AND status = 'open')",
        name,
    )
    return Pulse(
        days=days,
        floor=floor,
        checkins=await _checkins(tx, name, low, high, floor),
        before=await _checkins(tx, name, earlier, low, floor),
        shares=shares,
        replies=int(replies),
        supports=int(supports),
        celebrations=int(celebrations),
        queue=int(queue),
    )


def describe(pulse: Pulse, locale: str = ENGLISH) -> list[str]:
    now, before, floor = pulse.checkins, pulse.before, pulse.floor
    if now.members >= floor:
        checkins = text(
            "mod.pulse_checkins",
            locale,
            checkins=now.count,
            members=now.members,
            average=f"{round(now.average, 1):.1f}",
            trend=_trend(now, before, floor, pulse.days, locale),
        )
    else:
        checkins = text("mod.pulse_checkins_too_few", locale)
    shares = pulse.shares
    supports = str(pulse.supports) if pulse.supports >= floor else text("mod.pulse_too_few", locale)
    return [
        checkins,
        text(
            "mod.pulse_shares",
            locale,
            posted=shares["posted"],
            waiting=shares["waiting"],
            rejected=shares["rejected"],
        ),
        text(
            "mod.pulse_activity",
            locale,
            replies=pulse.replies,
            supports=supports,
            celebrations=pulse.celebrations,
        ),
        text("mod.pulse_queue", locale, queue=pulse.queue),
    ]


def _trend(now: Checkins, before: Checkins, floor: int, days: int, locale: str) -> str:
    """Against the `days` completed days before (today is left out of both)."""
    if before.members < floor:
        return plural("mod.pulse_trend_too_few", days, locale)
    change = now.average - before.average
    if abs(change) < STEADY:
        return plural("mod.pulse_trend_steady", days, locale)
    return plural(
        "mod.pulse_trend_change",
        days,
        locale,
        arrow="↑" if change > 0 else "↓",
        change=f"{abs(change):.1f}",
        before=f"{before.average:.1f}",
    )
