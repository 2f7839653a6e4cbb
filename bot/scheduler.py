"""Background work: jobs whose next due time lives in the database, run in
order, each failure logged with the job's name without stopping the others.

Two ways to drive it: `run_forever()` against the real clock, or
`advance_to()` with a fake clock (tests, the console's `clock +1d`), which
steps through every due time in order so nothing is skipped or reordered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock, FakeClock

log = logging.getLogger(__name__)

# Even with nothing due, look again now and then: cheap, and robust to a
# wake-up that was missed or a clock that jumped.
IDLE_POLL = timedelta(seconds=60)
# A job does a bounded batch per pass; with a fake clock, more work due at one
# instant than a pass takes runs in further passes at that instant, up to this.
SAME_INSTANT_PASSES = 100


class Job(Protocol):
    name: str

    async def next_due_at(self) -> datetime | None:
        """When this job next has work, or None if it has none."""

    async def run_due(self, now: datetime) -> None:
        """Do everything due at or before `now`."""


class Hourly:
    """A job that works once an hour, the first an hour after `start` (housekeeping,
    the morning forecast): a subclass names itself and says what `work` is."""

    name = "hourly"
    every = timedelta(hours=1)

    def __init__(self, start: datetime) -> None:
        self._next = start + self.every

    async def next_due_at(self) -> datetime | None:
        return self._next

    async def run_due(self, now: datetime) -> None:
        if now < self._next:
            return
        self._next = now + self.every
        await self.work(now)

    async def work(self, now: datetime) -> None:
        raise NotImplementedError


class Scheduler:
    def __init__(self, clock: Clock, jobs: Sequence[Job]) -> None:
        self.clock = clock
        self.jobs = list(jobs)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._running = asyncio.Lock()  # one pass at a time, or a row could go out twice
        self.last_tick: datetime | None = None

    # --- tracked tasks -----------------------------------------------------

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start a background task that is tracked, logged by name on failure,
        and cancelled by `stop()`."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- running jobs ----------------------------------------------------------

    def wake(self) -> None:
        """Something changed (a schedule, the outbox): look at due times again."""
        self._wake.set()

    async def next_due_at(self) -> datetime | None:
        return min((due for _, due in await self._due_times()), default=None)

    async def _due_times(self) -> list[tuple[Job, datetime]]:
        times = []
        for job in self.jobs:
            try:
                due = await job.next_due_at()
            except Exception:
                log.exception("job %s: cannot tell its next due time", job.name)
                continue
            if due is not None:
                times.append((job, due))
        return times

    async def run_due(self, now: datetime | None = None) -> None:
        await self._run(self.jobs, now)

    async def _run(self, jobs: Sequence[Job], now: datetime | None) -> None:
        async with self._running:
            now = now or self.clock.now()
            self.last_tick = now
            for job in jobs:
                try:
                    await job.run_due(now)
                except Exception:
                    log.exception("job %s failed; the others go on", job.name)

    async def advance_to(self, target: datetime) -> None:
        """Move a fake clock to `target`, running every job at its due time, in order."""
        clock = self.clock
        if not isinstance(clock, FakeClock):
            raise TypeError("advance_to needs a FakeClock")
        passes_here = 0  # runs at the clock's present instant
        while True:
            times = await self._due_times()
            due = min((at for _, at in times), default=None)
            if due is None or due > target:
                break
            if due > clock.now():
                passes_here = 0
            elif passes_here >= SAME_INSTANT_PASSES:
                break  # still due after all these passes: a stuck job; don't spin
            clock.set(max(due, clock.now()))
            passes_here += 1
            # Only the jobs due now: a fake week has thousands of instants, and a job
            # asked at each would cost every test (and bench) once per job per instant.
            await self._run([job for job, at in times if at <= clock.now()], clock.now())
        clock.set(target)
        await self.run_due(target)

    async def run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before running: a wake-up during the run is kept
            await self.run_due()
            due = await self.next_due_at()
            now = self.clock.now()
            wait = IDLE_POLL if due is None else min(max(due - now, timedelta(0)), IDLE_POLL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait.total_seconds())
