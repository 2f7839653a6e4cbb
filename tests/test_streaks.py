"""The kept streak against the full count (issue 21): whatever sequence of
check-ins, edits of earlier days, deleted check-ins, pauses and skips a member
goes through, the streak Hearth extends from its kept run is the one counted
from every check-in day."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.checkins.streaks import Break, Run, current_streak, streak_as_of

START = date(2026, 1, 1)


def settled(step: Coroutine[Any, Any, int]) -> int:
    """A coroutine that never waits (the book is in memory), run to its end."""
    try:
        step.send(None)
    except StopIteration as finished:
        return int(finished.value)
    raise AssertionError("the in-memory book waited")


class MemoryBook:
    """One member's days and breaks in memory, counting how often the full count ran."""

    def __init__(self) -> None:
        self.checked: set[date] = set()
        self.breaks_kept: list[Break] = []
        self.kept: Run | None = None
        self.full_counts = 0

    async def run(self) -> Run | None:
        return self.kept

    async def keep(self, run: Run) -> None:
        self.kept = run

    async def breaks(self) -> list[Break]:
        return list(self.breaks_kept)

    async def days(self) -> set[date]:
        self.full_counts += 1
        return set(self.checked)

    def forget(self, since: date) -> None:
        """What the handlers do when a day on or before the kept last day changes."""
        if self.kept is not None and self.kept.last_day >= since:
            self.kept = None


# One step: (what, day offset, length). Days move mostly forward, as a member's do.
steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "checkin",
                "checkin",
                "checkin",
                "look",
                "earlier",
                "delete",
                "pause",
                "skip",
                "unpause",
            ]
        ),
        st.integers(min_value=0, max_value=4),
        st.integers(min_value=1, max_value=6),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_kept_streak_is_the_full_count(sequence: list[tuple[str, int, int]]) -> None:
    book = MemoryBook()
    today = START
    for what, offset, length in sequence:
        today += timedelta(days=offset)
        if what == "look" and length == 1:  # a time zone moved back: today is yesterday again
            today -= timedelta(days=1)
        if what == "checkin":
            book.checked.add(today)
            got = settled(streak_as_of(book, today, checked_in=True))
        elif what == "earlier":  # a check-in dated before today (a time zone moved back)
            day = today - timedelta(days=length)
            book.checked.add(day)
            got = settled(streak_as_of(book, day, checked_in=True))
            assert got == current_streak(day, book.checked, book.breaks_kept)
            got = settled(streak_as_of(book, today))
        elif what == "delete":  # a day's check-ins gone: a day edited
            if book.checked:
                gone = sorted(book.checked)[offset % len(book.checked)]
                book.checked.discard(gone)
                book.forget(gone)
            got = settled(streak_as_of(book, today))
        elif what in ("pause", "skip"):
            end = today + timedelta(days=length - 1) if what == "pause" else today
            book.forget(today)
            book.breaks_kept.append(Break(what, today, end))
            got = settled(streak_as_of(book, today))
        elif what == "unpause":  # pauses end yesterday, as `checkin resume` does
            book.forget(today)
            book.breaks_kept = [
                Break(b.kind, b.start, min(b.end or today, today - timedelta(days=1)))
                if b.kind == "pause" and b.start < today
                else b
                for b in book.breaks_kept
                if not (b.kind == "pause" and b.start >= today)
            ]
            got = settled(streak_as_of(book, today))
        else:
            got = settled(streak_as_of(book, today))
        assert got == current_streak(today, book.checked, book.breaks_kept), (what, today)


def test_a_long_history_is_counted_once_then_extended() -> None:
    """A year of daily check-ins: the full count runs once, every day after extends."""
    book = MemoryBook()
    for n in range(365):
        day = START + timedelta(days=n)
        book.checked.add(day)
        assert settled(streak_as_of(book, day, checked_in=True)) == n + 1
    assert book.full_counts == 1


def test_a_pause_bridges_the_gap_without_a_full_count() -> None:
    book = MemoryBook()
    for n in range(3):
        book.checked.add(START + timedelta(days=n))
        settled(streak_as_of(book, START + timedelta(days=n), checked_in=True))
    book.forget(START + timedelta(days=3))
    book.breaks_kept.append(Break("pause", START + timedelta(days=3), START + timedelta(days=9)))
    back = START + timedelta(days=10)
    book.checked.add(back)
    assert settled(streak_as_of(book, back, checked_in=True)) == 4
    assert book.full_counts == 1  # the first check-in only: the pause did not touch the run


async def test_through_the_core_the_run_is_kept_and_a_zone_moved_back_is_counted_afresh(
    harness,
):
    h = harness
    for _ in range(4):
        await h.command("ana", "checkin 4")
        await h.advance(days=1)
    assert "Streak: 5 days" in " ".join(await h.command("ana", "checkin 3"))
    kept = await h.db.fetchrow("SELECT last_day, length FROM checkin_streaks")
    assert kept["length"] == 5
    # A time zone far to the west: "today" is yesterday again, before the kept last day.
    await h.command("ana", "checkin schedule 09:00 Pacific/Pago_Pago")
    # Counted in full from that day back (Mar 5 to Mar 2), the run kept to Mar 6 unchanged.
    assert "Streak: 4 days" in " ".join(await h.command("ana", "checkin 2"))
    assert (await h.db.fetchrow("SELECT length FROM checkin_streaks"))["length"] == 5
