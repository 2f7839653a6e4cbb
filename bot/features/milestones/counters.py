"""Recovery counters as stored: the current run, the runs a reset closed,
and when detection should next look at a counter.

A counter's `celebrated_days` is its high-water mark for the current run: the
highest threshold already celebrated, or already behind when the run was set
or reset. Raising it is the claim that makes a celebration happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Community
from bot.features.milestones.thresholds import highest_reached, next_after
from bot.localtime import delay_for_quiet, epoch, from_epoch, to_utc
from bot.members import MemberRecord
from bot.storage import Transaction

VISIBILITIES = ("private", "anonymous", "public")


@dataclass(frozen=True)
class Counter:
    id: int
    member_id: int
    community: str
    name: str
    start: date  # the current run's first day, in the member's local calendar
    visibility: str
    attempt: int  # 1 for the first run, +1 for each reset
    celebrated_days: int
    next_check_at: datetime | None

    def days_on(self, today: date) -> int:
        return max((today - self.start).days, 0)


@dataclass(frozen=True)
class History:
    """What a reset never takes away."""

    attempts: int
    longest_run: int
    total_days: int


def _counter(row: object) -> Counter:
    return Counter(
        id=row["id"],  # type: ignore[index]
        member_id=row["member_id"],  # type: ignore[index]
        community=row["community"],  # type: ignore[index]
        name=row["name"],  # type: ignore[index]
        start=date.fromisoformat(row["start_date"]),  # type: ignore[index]
        visibility=row["visibility"],  # type: ignore[index]
        attempt=row["attempt"],  # type: ignore[index]
        celebrated_days=row["celebrated_days"],  # type: ignore[index]
        next_check_at=from_epoch(row["next_check_at"]) if row["next_check_at"] else None,  # type: ignore[index]
    )


async def by_id(tx: Transaction, counter_id: int) -> Counter | None:
    row = await tx.fetchrow("SELECT * FROM milestone_counters WHERE id = $1", counter_id)
    return None if row is None else _counter(row)


async def by_name(tx: Transaction, member_id: int, community: str, name: str) -> Counter | None:
    row = await tx.fetchrow(
        "SELECT * FROM milestone_counters WHERE member_id = $1 AND community = $2 AND name = $3",
        member_id,
        community,
        name,
    )
    return None if row is None else _counter(row)


async def of_member(tx: Transaction, member_id: int, community: str) -> list[Counter]:
    rows = await tx.fetch(
        "SELECT * FROM milestone_counters WHERE member_id = $1 AND community = $2 ORDER BY name",
        member_id,
        community,
    )
    return [_counter(r) for r in rows]


async def history(tx: Transaction, counter: Counter, today: date) -> History:
    rows = await tx.fetch("SELECT days FROM milestone_runs WHERE counter_id = $1", counter.id)
    runs = [r["days"] for r in rows] + [counter.days_on(today)]
    return History(attempts=counter.attempt, longest_run=max(runs), total_days=sum(runs))


def today_for(member: MemberRecord, community: Community, now: datetime) -> date:
    """The member's local calendar day: counters turn over at their midnight."""
    return now.astimezone(zone_for(member, community)).date()


def zone_for(member: MemberRecord, community: Community) -> ZoneInfo:
    return member.zone(community.checkins.default_timezone)


def mark_for_new_run(start: date, today: date, community: Community) -> int:
    """Thresholds already behind when a run is set are never celebrated: no burst."""
    return highest_reached(max((today - start).days, 0), community.milestones.days, yearly=True)


async def claim(tx: Transaction, counter: Counter, reached: int) -> bool:
    """Raise the high-water mark to `reached`; False if this run already got there."""
    changed = await tx.execute(
        "UPDATE milestone_counters SET celebrated_days = $1 "
        "WHERE id = $2 AND attempt = $3 AND celebrated_days < $1",
        reached,
        counter.id,
        counter.attempt,
    )
    return changed == 1


def next_check(counter: Counter, member: MemberRecord, community: Community) -> datetime | None:
    """Local midnight of the day the next threshold is reached, after quiet hours."""
    following = next_after(counter.celebrated_days, community.milestones.days, yearly=True)
    if following is None:
        return None
    zone = zone_for(member, community)
    midnight = to_utc(counter.start + timedelta(days=following), time(0, 0), zone)
    return delay_for_quiet(midnight, zone, member.quiet)


async def set_next_check(tx: Transaction, counter_id: int, moment: datetime | None) -> None:
    await tx.execute(
        "UPDATE milestone_counters SET next_check_at = $1 WHERE id = $2",
        None if moment is None else epoch(moment),
        counter_id,
    )


async def reschedule(
    tx: Transaction, counter_id: int, member: MemberRecord, community: Community
) -> None:
    counter = await by_id(tx, counter_id)
    if counter is not None:
        await set_next_check(tx, counter.id, next_check(counter, member, community))
