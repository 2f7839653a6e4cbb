"""Recovery counters as stored: the current run, the runs a reset closed,
and when detection should next look at a counter.

A counter's `celebrated_days` is its high-water mark for the current run: the
highest threshold already celebrated, or already behind when the run was set
or reset. Raising it is the claim that makes a celebration happen once.

Everything about a counter but its member and community is sealed in one
value (`state`): its name (what someone is recovering from), the day it
began, how it is celebrated, the mark and the earlier runs. It is looked at
every day at the member's midnight and sealed afresh each time, so a copy of
the database — or two copies days apart — cannot tell which counter reached a
milestone, nor that one was celebrated anonymously (docs/privacy.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Community
from bot.features.milestones.thresholds import highest_reached
from bot.localtime import delay_for_quiet, epoch, from_epoch, to_utc
from bot.members import MemberRecord
from bot.storage import Transaction
from bot.vault import COUNTER_STATE, Vault

VISIBILITIES = ("private", "anonymous", "public")


@dataclass(frozen=True)
class Run:
    """A run a reset closed."""

    attempt: int
    start: date
    end: date
    days: int


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
    runs: tuple[Run, ...] = field(default=())

    def days_on(self, today: date) -> int:
        return max((today - self.start).days, 0)


@dataclass(frozen=True)
class History:
    """What a reset never takes away."""

    attempts: int
    longest_run: int
    total_days: int


def _state(counter: Counter) -> str:
    return json.dumps(
        {
            "name": counter.name,
            "start": counter.start.isoformat(),
            "visibility": counter.visibility,
            "attempt": counter.attempt,
            "celebrated_days": counter.celebrated_days,
            "runs": [
                [r.attempt, r.start.isoformat(), r.end.isoformat(), r.days] for r in counter.runs
            ],
        }
    )


def _counter(vault: Vault, row: object) -> Counter:
    counter_id = row["id"]  # type: ignore[index]
    state = json.loads(vault.open(COUNTER_STATE, counter_id, row["state"]))  # type: ignore[index]
    return Counter(
        id=counter_id,
        member_id=row["member_id"],  # type: ignore[index]
        community=row["community"],  # type: ignore[index]
        name=state["name"],
        start=date.fromisoformat(state["start"]),
        visibility=state["visibility"],
        attempt=state["attempt"],
        celebrated_days=state["celebrated_days"],
        next_check_at=from_epoch(row["next_check_at"]) if row["next_check_at"] else None,  # type: ignore[index]
        runs=tuple(
            Run(a, date.fromisoformat(s), date.fromisoformat(e), d) for a, s, e, d in state["runs"]
        ),
    )


async def save(tx: Transaction, vault: Vault, counter: Counter) -> None:
    """Seal the counter's state again (a fresh ciphertext even when nothing changed)."""
    await tx.execute(
        "UPDATE milestone_counters SET state = $1 WHERE id = $2",
        vault.seal(COUNTER_STATE, counter.id, _state(counter)),
        counter.id,
    )


async def create(
    tx: Transaction,
    vault: Vault,
    member_id: int,
    community: str,
    *,
    name: str,
    start: date,
    visibility: str,
    celebrated_days: int,
    counter_id: int | None = None,
) -> Counter:
    if counter_id is None:
        counter_id = await tx.fetchval(
            "INSERT INTO milestone_counters (member_id, community, state) "
            "VALUES ($1, $2, '') RETURNING id",
            member_id,
            community,
        )
    else:  # the upgrade keeps each counter's id: its outbox keys name it
        await tx.execute(
            "INSERT INTO milestone_counters (id, member_id, community, state) "
            "VALUES ($1, $2, $3, '')",
            counter_id,
            member_id,
            community,
        )
    counter = Counter(
        counter_id, member_id, community, name, start, visibility, 1, celebrated_days, None
    )
    await save(tx, vault, counter)
    return counter


async def by_id(tx: Transaction, vault: Vault, counter_id: int) -> Counter | None:
    row = await tx.fetchrow("SELECT * FROM milestone_counters WHERE id = $1", counter_id)
    return None if row is None else _counter(vault, row)


async def by_name(
    tx: Transaction, vault: Vault, member_id: int, community: str, name: str
) -> Counter | None:
    found = [c for c in await of_member(tx, vault, member_id, community) if c.name == name]
    return found[0] if found else None


async def of_member(tx: Transaction, vault: Vault, member_id: int, community: str) -> list[Counter]:
    rows = await tx.fetch(
        "SELECT * FROM milestone_counters WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    return sorted((_counter(vault, r) for r in rows), key=lambda c: c.name)


def history(counter: Counter, today: date) -> History:
    runs = [r.days for r in counter.runs] + [counter.days_on(today)]
    return History(attempts=counter.attempt, longest_run=max(runs), total_days=sum(runs))


def restarted(counter: Counter, new_start: date, celebrated_days: int) -> Counter:
    """The counter with its run closed and a new one begun on `new_start`."""
    closed = Run(counter.attempt, counter.start, new_start, (new_start - counter.start).days)
    return replace(
        counter,
        start=new_start,
        attempt=counter.attempt + 1,
        celebrated_days=celebrated_days,
        runs=(*counter.runs, closed),
    )


def today_for(member: MemberRecord, community: Community, now: datetime) -> date:
    """The member's local calendar day: counters turn over at their midnight."""
    return now.astimezone(zone_for(member, community)).date()


def zone_for(member: MemberRecord, community: Community) -> ZoneInfo:
    return member.zone(community.checkins.default_timezone)


def mark_for_new_run(start: date, today: date, community: Community) -> int:
    """Thresholds already behind when a run is set are never celebrated: no burst."""
    return highest_reached(max((today - start).days, 0), community.milestones.days, yearly=True)


async def claim(tx: Transaction, vault: Vault, counter: Counter, reached: int) -> bool:
    """Raise the high-water mark to `reached`; False if this run already got there.
    The caller holds the counter's row (bot/features/milestones/detection.py)."""
    current = await by_id(tx, vault, counter.id)
    if current is None or current.attempt != counter.attempt or current.celebrated_days >= reached:
        return False
    await save(tx, vault, replace(current, celebrated_days=reached))
    return True


def next_check(member: MemberRecord, community: Community, now: datetime) -> datetime:
    """The member's next local midnight, after quiet hours: every counter is looked
    at every day, so when it is looked at says nothing about its thresholds."""
    zone = zone_for(member, community)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return delay_for_quiet(to_utc(tomorrow, time(0, 0), zone), zone, member.quiet)


async def set_next_check(tx: Transaction, counter_id: int, moment: datetime | None) -> None:
    await tx.execute(
        "UPDATE milestone_counters SET next_check_at = $1 WHERE id = $2",
        None if moment is None else epoch(moment),
        counter_id,
    )


async def reschedule(
    tx: Transaction, counter_id: int, member: MemberRecord, community: Community, now: datetime
) -> None:
    await set_next_check(tx, counter_id, next_check(member, community, now))
