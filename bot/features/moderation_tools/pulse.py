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

TOO_FEW = "too few members to show"
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


def describe(pulse: Pulse) -> list[str]:
    span = "day" if pulse.days == 1 else f"{pulse.days} days"  # completed days, today left out
    now, before, floor = pulse.checkins, pulse.before, pulse.floor
    if now.members >= floor:
        average = round(now.average, 1)
        checkins = (
            f"Check-ins: {now.count} by {now.members} members · average mood {average:.1f} of 5"
        )
        checkins += f" ({_trend(now, before, floor, span)})"
    else:
        checkins = f"Check-ins and mood: {TOO_FEW}"
    shares = pulse.shares
    supports = str(pulse.supports) if pulse.supports >= floor else TOO_FEW
    return [
        checkins,
        f"Shares: {shares['posted']} posted · {shares['waiting']} waiting for review · "
        f"{shares['rejected']} not posted",
        f"Replies: {pulse.replies} · Support sent: {supports} · Celebrations: {pulse.celebrations}",
        f"In the queue now: {pulse.queue}",
    ]


def _trend(now: Checkins, before: Checkins, floor: int, span: str) -> str:
    if before.members < floor:
        return f"no trend: {TOO_FEW} in the {span} before"
    change = now.average - before.average
    if abs(change) < STEADY:
        return f"steady from the {span} before"
    arrow = "↑" if change > 0 else "↓"
    return f"{arrow} {abs(change):.1f} from {before.average:.1f} the {span} before"
