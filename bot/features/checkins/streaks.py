"""Streaks: consecutive local days with a check-in, where paused and skipped
days neither count nor break the run, and today is not over yet.

A streak's cost must not grow with a member's history: the run ending at the
member's last check-in day is kept (`checkin_streaks`) and extended from it,
with a look at the breaks only across a gap. It is counted in full from every
check-in only when a day before the last is touched: a check-in dated earlier
(a time zone moved back) or a pause or skip changed on or before the last
day, which forgets the kept run (`forget_run`)."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from bot.storage import Transaction


@dataclass(frozen=True)
class Break:
    """A paused or skipped stretch of check-in days; `end` None means open-ended."""

    kind: str  # "pause" | "skip"
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Run:
    """The streak as it stood on the member's last check-in day."""

    last_day: date
    length: int


def current_streak(today: date, checkin_days: Set[date], breaks: Iterable[Break]) -> int:
    """The full count, from every check-in day (the reference the kept run follows)."""
    breaks = list(breaks)
    streak = 0
    day = today
    oldest = min(checkin_days, default=today)
    while day >= oldest:
        if day in checkin_days:
            streak += 1
        elif day != today and not any(b.covers(day) for b in breaks):
            break
        day -= timedelta(days=1)
    return streak


def gap_bridged(after: date, before: date, breaks: Iterable[Break]) -> bool:
    """Whether every day strictly between `after` and `before` is paused or skipped."""
    breaks = list(breaks)
    day = after + timedelta(days=1)
    while day < before:
        covering = [b for b in breaks if b.covers(day)]
        if not covering:
            return False
        ends = [b.end for b in covering]
        if None in ends:
            return True
        day = max(e for e in ends if e is not None) + timedelta(days=1)
    return True


def needs_breaks(run: Run, day: date) -> bool:
    """Whether extending `run` to `day` has a gap to look across."""
    return day - run.last_day > timedelta(days=1)


def extended(run: Run, day: date, breaks: Iterable[Break]) -> Run | None:
    """The run after a check-in on `day`; None when `day` is before the last
    (only a full count can tell)."""
    if day < run.last_day:
        return None
    if day == run.last_day:
        return run
    if not needs_breaks(run, day) or gap_bridged(run.last_day, day, breaks):
        return Run(day, run.length + 1)
    return Run(day, 1)


def streak_on(run: Run, today: date, breaks: Iterable[Break]) -> int | None:
    """The streak as of `today` (which may have no check-in yet); None when
    `today` is before the run's last day."""
    if today < run.last_day:
        return None
    if today == run.last_day or gap_bridged(run.last_day, today, breaks):
        return run.length
    return 0


def full_run(checkin_days: Set[date], breaks: Iterable[Break]) -> Run | None:
    if not checkin_days:
        return None
    last = max(checkin_days)
    return Run(last, current_streak(last, checkin_days, breaks))


class Book(Protocol):
    """Where one member's check-in days, breaks and kept run are read and written."""

    async def run(self) -> Run | None: ...

    async def keep(self, run: Run) -> None: ...

    async def breaks(self) -> list[Break]: ...

    async def days(self) -> set[date]: ...


async def streak_as_of(book: Book, today: date, *, checked_in: bool = False) -> int:
    """The streak as of `today`, from the kept run; `checked_in`: a check-in on
    `today` was just saved, and the kept run moves to it. Counted in full only
    when no run is kept or `today` is before its last day."""
    run = await book.run()
    if run is not None and today >= run.last_day:
        breaks = await book.breaks() if needs_breaks(run, today) else []
        if not checked_in:
            return streak_on(run, today, breaks) or 0
        moved = extended(run, today, breaks)
        assert moved is not None
        if moved != run:
            await book.keep(moved)
        return moved.length
    days, breaks = await book.days(), await book.breaks()
    found = full_run(days, breaks)
    if found is not None and found != run:
        await book.keep(found)
    return current_streak(today, days, breaks)


# --- kept in the database ----------------------------------------------------------


async def load_run(tx: Transaction, member_id: int, community: str) -> Run | None:
    row = await tx.fetchrow(
        "SELECT last_day, length FROM checkin_streaks WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    return None if row is None else Run(date.fromisoformat(row["last_day"]), int(row["length"]))


async def store_run(tx: Transaction, member_id: int, community: str, run: Run) -> None:
    await tx.execute(
        "INSERT INTO checkin_streaks (member_id, community, last_day, length) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (member_id, community) "
        "DO UPDATE SET last_day = $3, length = $4",
        member_id,
        community,
        run.last_day.isoformat(),
        run.length,
    )


async def forget_run(tx: Transaction, member_id: int, community: str, since: date) -> None:
    """A pause or skip changed from `since` on: a run kept up to then or later is
    counted afresh next time (days after the last are looked at anyway)."""
    await tx.execute(
        "DELETE FROM checkin_streaks WHERE member_id = $1 AND community = $2 AND last_day >= $3",
        member_id,
        community,
        since.isoformat(),
    )


async def checkin_days(tx: Transaction, member_id: int, community: str) -> set[date]:
    rows = await tx.fetch(
        "SELECT DISTINCT local_date FROM checkins WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    return {date.fromisoformat(r["local_date"]) for r in rows}
