"""The scheduler itself: ordered fake-clock stepping, isolation of failing
jobs, tracked background tasks and a clean stop."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.scheduler import Scheduler

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


class Ticker:
    """A job due every `every`, recording when it ran."""

    def __init__(self, name: str, every: timedelta, fail: bool = False) -> None:
        self.name = name
        self.every = every
        self.fail = fail
        self.next = T0 + every
        self.ran: list[datetime] = []

    async def next_due_at(self) -> datetime | None:
        return self.next

    async def run_due(self, now: datetime) -> None:
        while self.next <= now:
            self.ran.append(self.next)
            self.next += self.every
        if self.fail:
            raise RuntimeError("this job is broken")


async def test_advance_runs_every_due_time_in_order():
    clock = FakeClock(T0)
    hourly, daily = Ticker("hourly", timedelta(hours=1)), Ticker("daily", timedelta(days=1))
    scheduler = Scheduler(clock, [hourly, daily])
    await scheduler.advance_to(T0 + timedelta(days=2))
    assert len(hourly.ran) == 48 and len(daily.ran) == 2
    assert clock.now() == T0 + timedelta(days=2)


async def test_a_failing_job_is_logged_by_name_and_the_others_go_on(caplog):
    clock = FakeClock(T0)
    broken, healthy = (
        Ticker("broken", timedelta(hours=1), fail=True),
        Ticker("healthy", timedelta(hours=1)),
    )
    scheduler = Scheduler(clock, [broken, healthy])
    with caplog.at_level(logging.ERROR):
        await scheduler.advance_to(T0 + timedelta(hours=3))
    assert len(healthy.ran) == 3
    assert any("job broken failed" in r.getMessage() for r in caplog.records)


async def test_background_tasks_are_tracked_named_and_stopped(caplog):
    scheduler = Scheduler(FakeClock(T0), [])
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    async def crashes() -> None:
        raise ValueError("oops")

    task = scheduler.spawn("forever", forever())
    with caplog.at_level(logging.ERROR):
        failing = scheduler.spawn("crashes", crashes())
        await asyncio.gather(failing, return_exceptions=True)
        await asyncio.sleep(0)  # let the done-callback run
    assert any("background task crashes failed" in r.getMessage() for r in caplog.records)
    await started.wait()
    await scheduler.stop()
    assert task.cancelled()


async def test_run_forever_wakes_on_demand_and_stops_cleanly():
    class Counting:
        name = "counting"
        runs = 0

        async def next_due_at(self) -> datetime | None:
            return None

        async def run_due(self, now: datetime) -> None:
            Counting.runs += 1

    scheduler = Scheduler(FakeClock(T0), [Counting()])
    loop_task = scheduler.spawn("scheduler", scheduler.run_forever())
    for _ in range(20):
        await asyncio.sleep(0)
    before = Counting.runs
    scheduler.wake()
    for _ in range(20):
        await asyncio.sleep(0)
    assert Counting.runs > before >= 1
    await scheduler.stop()
    assert loop_task.done()


class Batches:
    """`due` items at T0, of which each pass handles at most `batch`."""

    name = "batches"

    def __init__(self, due: int, batch: int) -> None:
        self.left, self.batch = due, batch
        self.done_at: list[datetime] = []

    async def next_due_at(self) -> datetime | None:
        return T0 if self.left else None

    async def run_due(self, now: datetime) -> None:
        taken = min(self.left, self.batch)
        self.left -= taken
        self.done_at += [now] * taken


async def test_more_due_at_one_instant_than_a_pass_takes_all_runs_at_that_instant():
    clock = FakeClock(T0)
    job = Batches(due=3_000, batch=100)
    await Scheduler(clock, [job]).advance_to(T0 + timedelta(hours=1))
    assert job.done_at == [T0] * 3_000  # not 100 then the rest an hour late
