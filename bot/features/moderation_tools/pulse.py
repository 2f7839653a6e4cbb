"""The community pulse in `mod stats`: figures over groups, never about one member.

The privacy floor is `moderation.min_group`, never below 5 (MIN_GROUP_FLOOR):
- Check-ins, the members checking in, the average mood and its trend are
  shown only when at least that many different members checked in (in both
  periods, for the trend). The average is rounded to one decimal.
- Support taps are shown only when that many different members sent them
  (counted by their keyed pseudonym; no member id is read).
- Shares, replies and celebrations are counts of posts every moderator
  already sees one by one in the queue or the channels, so they are shown as
  they are. Their authors are never counted: a floor over distinct authors
  would itself tell moderators whether several posts came from one person.

Known limit: the floor holds for each answer, not across answers. Comparing
`mod stats 7` with `mod stats 8`, or asking before and after one check-in,
can narrow a difference down to few members; the rounding blunts that but
does not prevent it. Closing it needs fixed, completed periods (whole weeks)
with the floor per period, at the cost of not seeing today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Community
from bot.config_loader import MIN_GROUP_FLOOR
from bot.localtime import epoch
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
    supporters: int
    celebrations: int
    queue: int  # waiting for review right now


async def _checkins(tx: Transaction, community: str, start: datetime, end: datetime) -> Checkins:
    row = await tx.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT member_id) AS members, "
        "coalesce(sum(mood), 0) AS total FROM checkins "
        "WHERE community = $1 AND created_at > $2 AND created_at <= $3",
        community,
        epoch(start),
        epoch(end),
    )
    assert row is not None
    # int(): PostgreSQL's count and sum are bigint, and sum may come back as numeric.
    return Checkins(int(row["n"]), int(row["members"]), int(row["total"]))


async def measure(tx: Transaction, community: Community, now: datetime, days: int) -> Pulse:
    name = community.name
    start = now - timedelta(days=days)
    low, high = epoch(start), epoch(now)
    shares = {"posted": 0, "waiting": 0, "rejected": 0}
    by_status = await tx.fetch(
        "SELECT status, count(*) AS n FROM shares WHERE community = $1 "
        "AND created_at > $2 AND created_at <= $3 GROUP BY status",
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
        "AND r.created_at > $2 AND r.created_at <= $3",
        name,
        low,
        high,
    )
    support = await tx.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT p.supporter_key) AS people "
        "FROM share_supports p JOIN shares s ON s.id = p.share_id "
        "WHERE s.community = $1 AND p.created_at > $2 AND p.created_at <= $3",
        name,
        low,
        high,
    )
    assert support is not None
    celebrations = await tx.fetchval(
        "SELECT count(*) FROM celebrations WHERE community = $1 "
        "AND posted_at > $2 AND posted_at <= $3",
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
        floor=floor_for(community),
        checkins=await _checkins(tx, name, start, now),
        before=await _checkins(tx, name, start - timedelta(days=days), start),
        shares=shares,
        replies=int(replies),
        supports=int(support["n"]),
        supporters=int(support["people"]),
        celebrations=int(celebrations),
        queue=int(queue),
    )


def describe(pulse: Pulse) -> list[str]:
    span = "day" if pulse.days == 1 else f"{pulse.days} days"
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
    supports = str(pulse.supports) if pulse.supporters >= floor else TOO_FEW
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
