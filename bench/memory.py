"""Scheduler memory per schedule: Hearth against APScheduler 3 holding the same
daily jobs, each measured in a fresh process as resident memory (RSS) growth.

Hearth keeps its schedules in the database, each with its next due time
indexed: `PromptJob` holds none in memory, so what grows while its due lookups
run is SQLite's page cache, bounded whatever the count. The bytes a schedule
takes on disk are reported beside it. APScheduler 3 (what python-telegram-bot's
JobQueue and matrix-reminder-bot use) keeps a `Job` with a `CronTrigger` per
schedule in its MemoryJobStore, and answers its own due lookups from memory:
those are timed too.

`python bench/memory.py hearth DB COUNT NOW` and `python bench/memory.py
apscheduler COUNT` print one JSON line each; bench/report.py runs them.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bot` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")
LOOKUPS = 200


def rss() -> int:
    """This process's resident memory, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timed_us(call, repeats: int = LOOKUPS) -> float:  # noqa: ANN001 - any callable
    started = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - started) / repeats * 1e6


# --- in the measured process -------------------------------------------------------------


async def _hearth(path: str, count: int, now: int) -> dict[str, float]:
    from bot.config import Community, Config
    from bot.features.checkins.prompts import BATCH, PromptJob
    from bot.storage import open_database
    from bot.vault import Vault

    gc.collect()
    before = rss()
    config = Config(database=f"sqlite:///{path}", communities=(Community("bench", "console"),))
    db = await open_database(config.database)
    job = PromptJob(db, config, Vault(bytes(range(32))))
    due = "SELECT member_id, community FROM schedules WHERE next_prompt_at <= $1 "
    due += "ORDER BY next_prompt_at LIMIT $2"
    started = time.perf_counter()
    for _ in range(LOOKUPS):
        await job.next_due_at()
        await db.fetch(due, now, BATCH)
    lookup_us = (time.perf_counter() - started) / LOOKUPS * 1e6
    gc.collect()
    grown = rss() - before
    await db.close()
    return {"count": count, "rss_growth": grown, "lookup_us": lookup_us}


def _apscheduler(count: int) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    def prompt(member: int) -> None:
        """What each job would run: prompt one member."""

    async def hold() -> dict[str, float]:
        scheduler = AsyncIOScheduler(timezone="UTC")
        zones = [ZoneInfo(zone) for zone in ZONES]
        gc.collect()
        before = rss()
        started = time.perf_counter()
        for n in range(count):  # one daily job per member, at their local time
            trigger = CronTrigger(hour=n % 24, minute=n % 60, timezone=zones[n % len(zones)])
            scheduler.add_job(prompt, trigger, args=(n,), id=f"m{n}")
        scheduler.start(paused=True)  # jobs go into the store, nothing runs
        added = time.perf_counter() - started
        gc.collect()
        grown = rss() - before
        store = scheduler._jobstores["default"]  # where its due lookups are answered
        now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        next_us = _timed_us(store.get_next_run_time)
        due_us = _timed_us(lambda: store.get_due_jobs(now))
        return {
            "count": count,
            "rss_growth": grown,
            "add_seconds": added,
            "next_us": next_us,
            "due_us": due_us,
        }

    return asyncio.run(hold())


def main(argv: list[str]) -> None:
    kind, *args = argv
    if kind == "hearth":
        path, count, now = args
        figures = asyncio.run(_hearth(path, int(count), int(now)))
    else:
        figures = _apscheduler(int(args[0]))
    print(json.dumps(figures))


# --- from the report ----------------------------------------------------------------------


def measure(*args: object) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; its figures."""
    done = subprocess.run(
        [sys.executable, __file__, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def apscheduler_available() -> bool:
    try:
        import apscheduler  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main(sys.argv[1:])
