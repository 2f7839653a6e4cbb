"""Check-in throughput and scheduler lookup cost, on SQLite files in a temp dir.

Measured:

1. check-ins per second through the whole core: `Hearth.handle` on
   `CommandGiven("checkin 4 fine #bench")` events from 512 members, 1, 16, 64
   and 256 events at a time concurrently, each acknowledged (reply sent) only
   after its durable commit;
2. the baseline in the same run: raw aiosqlite with the same pragmas (WAL,
   synchronous=FULL), one INSERT + COMMIT per row, one row after another, the
   same number of rows on a separate file. Beside it, what a check-in's
   statements cost when each is a round trip to aiosqlite's thread (as they
   were before bot/storage/sqlite.py ran them inline), one COMMIT per event.
   After a warm-up (first-use costs such as compiling the crisis phrases),
   baselines and core alternate for a few rounds (the machine is noisy) and
   their medians are compared;
3. the scheduler's due lookup — `PromptJob.next_due_at()` and the due SELECT
   of `PromptJob.run_due`, through the Database layer and as bare queries —
   with 100,000 and 1,000,000 schedules against 1,000 (ratio ≈ 1: the cost
   does not grow with the member count), and whether `EXPLAIN QUERY PLAN` uses
   the `schedules_due` index.

Only ratios mean something; absolute figures depend on the machine and its disk.

Run from the repository root: `make bench` runs this with the other benchmarks
(bench/report.py); `.venv/bin/python bench/checkins.py` runs it alone (`--help`
for smaller sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

if __package__ in (None, ""):  # run as a script: make `bot` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import SORRY, Hearth
from bot.clock import FakeClock
from bot.config import Community, Config
from bot.features.checkins.prompts import BATCH, PromptJob
from bot.localtime import epoch
from bot.members import sealed_row
from bot.port import Adapter, CommandGiven, Event, Member, Message, Place
from bot.storage import Database, open_database
from bot.storage.sqlite import PRAGMAS  # the baselines open SQLite as Hearth does
from bot.vault import Vault

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
TEXT = "checkin 4 fine #bench"
WEEK = 7 * 24 * 3600
SECRET = bytes(range(32))  # the deployment key: notes are sealed at rest

# What PromptJob runs (bot/features/checkins/prompts.py).
DUE_SQL = (
    "SELECT member_id, community FROM schedules "
    "WHERE next_prompt_at <= $1 ORDER BY next_prompt_at LIMIT $2"
)
MIN_SQL = "SELECT min(next_prompt_at) FROM schedules"


@dataclass(frozen=True)
class Sizes:
    events: int = 2048  # check-ins per round, core and baselines alike
    members: int = 512
    concurrencies: tuple[int, ...] = (1, 16, 64, 256)  # events in flight at once in the core
    rounds: int = 7
    schedules: tuple[int, ...] = (100_000, 1_000_000)
    small: int = 1_000  # the schedules of the lookup baseline
    due: int = 50  # schedules due at the lookup's `now`
    lookup_rounds: int = 7
    repeats: int = 200  # lookups per timing (bare queries: ten times as many)


class CountingAdapter(Adapter):
    """A platform that only counts replies, and those saying something went wrong."""

    platform = "console"

    def __init__(self) -> None:
        self.replies = 0
        self.failures = 0
        self._ids = itertools.count(1)

    async def send(self, place: Place, message: Message) -> str:
        return f"m{next(self._ids)}"

    async def reply(self, event: Event, message: Message) -> None:
        self.replies += 1
        if message.text == SORRY:
            self.failures += 1

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        pass

    async def delete(self, place: Place, message_id: str) -> None:
        pass


def _config(path: Path) -> Config:
    return Config(
        database=f"sqlite:///{path}",
        communities=(Community(name="bench", platform="console"),),
    )


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- 1. the core ------------------------------------------------------------------


async def core_rate(workdir: Path, events: int, members: int = 512, concurrency: int = 64) -> float:
    """Check-ins per second through `Hearth.handle`, `concurrency` events at a time."""
    path = workdir / f"core-{time.monotonic_ns()}.db"
    config = _config(path)
    db = await open_database(config.database)
    adapter = CountingAdapter()
    hearth = Hearth(config, db, FakeClock(START), {"console": adapter}, Vault(SECRET))
    people = [Member("console", f"m{i}") for i in range(members)]
    todo = [
        CommandGiven(f"e{n}", who, Place.dm(who), TEXT)
        for n, who in zip(range(events), itertools.cycle(people))
    ]
    try:
        started = time.perf_counter()
        for first in range(0, events, concurrency):
            await asyncio.gather(*(hearth.handle(e) for e in todo[first : first + concurrency]))
        elapsed = time.perf_counter() - started
        stored = await db.fetchval("SELECT count(*) FROM checkins")
    finally:
        await db.close()
        _remove(path)
    if stored != events or adapter.failures or adapter.replies < events:
        raise RuntimeError(
            f"core: {stored} check-ins stored, {adapter.replies} replies "
            f"({adapter.failures} failures) for {events} events"
        )
    return events / elapsed


# --- 2. the baselines ---------------------------------------------------------------


BASELINE_TABLE = """CREATE TABLE checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id BIGINT NOT NULL,
    community TEXT NOT NULL,
    mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    note TEXT,
    tags TEXT NOT NULL DEFAULT '',
    local_date TEXT NOT NULL,
    created_at BIGINT NOT NULL)"""
INSERT = (
    "INSERT INTO checkins (member_id, community, mood, note, tags, local_date, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


async def _raw_connection(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path)
    for pragma in PRAGMAS:
        await conn.execute(f"PRAGMA {pragma}")
    await conn.execute(BASELINE_TABLE)
    await conn.execute(
        "CREATE INDEX checkins_by_day ON checkins (member_id, community, local_date)"
    )
    await conn.commit()
    return conn


async def baseline_rate(
    workdir: Path, rows: int, members: int = 512, statements: int | None = None
) -> float:
    """Rows per second the simple way: one INSERT and one durable COMMIT per event.

    With `statements`, each event sends that many statements in all (BEGIN, the
    INSERT, light SELECTs, COMMIT), as a check-in does: what the round trips to
    aiosqlite's thread cost by themselves."""
    path = workdir / f"baseline-{time.monotonic_ns()}.db"
    conn = await _raw_connection(path)
    reads = 0 if statements is None else max(statements - 3, 0)
    try:
        created = epoch(START)
        started = time.perf_counter()
        for n in range(rows):
            if statements is not None:
                await conn.execute("BEGIN")
            values = (n % members + 1, "bench", 4, "fine #bench", "bench", "2026-03-02", created)
            await conn.execute(INSERT, values)
            for _ in range(reads):
                await conn.execute_fetchall("SELECT 1 FROM checkins WHERE id = ?", (n + 1,))
            await conn.commit()
        elapsed = time.perf_counter() - started
        stored = (await conn.execute_fetchall("SELECT count(*) FROM checkins"))[0][0]
    finally:
        await conn.close()
        _remove(path)
    if stored != rows:
        raise RuntimeError(f"baseline: {stored} rows stored, {rows} expected")
    return rows / elapsed


async def statements_per_checkin(workdir: Path) -> int:
    """How many statements (each a round trip to aiosqlite's thread) one check-in
    sends, its transaction's own included, counted by SQLite's trace hook."""
    path = workdir / f"count-{time.monotonic_ns()}.db"
    config = _config(path)
    db = await open_database(config.database)
    hearth = Hearth(config, db, FakeClock(START), {"console": CountingAdapter()}, Vault(SECRET))
    who = Member("console", "m0")
    seen: list[str] = []
    try:
        await hearth.handle(CommandGiven("warm", who, Place.dm(who), TEXT))  # the member exists
        await db._conn.set_trace_callback(seen.append)  # type: ignore[attr-defined]
        await hearth.handle(CommandGiven("counted", who, Place.dm(who), TEXT))
        await db._conn.set_trace_callback(None)  # type: ignore[attr-defined]
    finally:
        await db.close()
        _remove(path)
    return len(seen)


@dataclass(frozen=True)
class Throughput:
    core: dict[int, list[float]]  # events in flight → rate of each round
    baseline: list[float]
    same_statements: list[float]
    statements: int

    def ratio(self, concurrency: int) -> float:
        return statistics.median(self.core[concurrency]) / statistics.median(self.baseline)

    @property
    def best(self) -> int:
        """The concurrency that reached the highest rate."""
        return max(self.core, key=lambda c: statistics.median(self.core[c]))


async def throughput(workdir: Path, sizes: Sizes) -> Throughput:
    """Baselines and core at each concurrency alternately, `sizes.rounds` times each."""
    statements = await statements_per_checkin(workdir)
    await core_rate(workdir, min(256, sizes.events), sizes.members)  # warm-up, not counted
    core: dict[int, list[float]] = {c: [] for c in sizes.concurrencies}
    baseline: list[float] = []
    same: list[float] = []
    for _ in range(sizes.rounds):
        baseline.append(await baseline_rate(workdir, sizes.events, sizes.members))
        same.append(await baseline_rate(workdir, sizes.events, sizes.members, statements))
        for concurrency in sizes.concurrencies:
            rate = await core_rate(workdir, sizes.events, sizes.members, concurrency)
            core[concurrency].append(rate)
    return Throughput(core, baseline, same, statements)


# --- 3. the scheduler's due lookup -----------------------------------------------------


LOOKUPS = (
    "PromptJob.next_due_at()",
    "due SELECT via Database.fetch (run_due)",
    "min(next_prompt_at) alone, bare sqlite3",
    "due SELECT alone, bare sqlite3",
)


@dataclass
class Schedules:
    """A migrated database holding `count` schedules, opened both ways."""

    count: int
    path: Path
    now: int  # epoch seconds at which `due` schedules are due
    due: int
    db: Database
    job: PromptJob
    bare: sqlite3.Connection

    async def close(self) -> None:
        self.bare.close()
        await self.db.close()
        _remove(self.path)


async def fill_schedules(path: Path, count: int, due: int) -> int:
    """`count` members whose schedules are spread over a week after START, one in
    ten paused (next_prompt_at NULL); return the `now` at which `due` are due."""
    db = await open_database(f"sqlite:///{path}")  # the real migrations
    await db.close()
    step = WEEK / count
    base = epoch(START)
    times = [None if n % 10 == 9 else base + int(n * step) + 1 for n in range(count)]
    async with aiosqlite.connect(path) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        vault = Vault(SECRET)
        await conn.executemany(
            "INSERT INTO members (id, lookup, platform, identity, secret) VALUES (?, ?, ?, ?, ?)",
            ((n + 1, *sealed_row(vault, n + 1, Member("console", f"m{n}"))) for n in range(count)),
        )
        await conn.executemany(
            "INSERT INTO schedules (member_id, community, prompt_time, days, next_prompt_at, "
            "next_slot_date) VALUES (?, 'bench', '09:00', 127, ?, '2026-03-02')",
            ((n + 1, at) for n, at in enumerate(times)),
        )
        await conn.commit()
    ordered = sorted(t for t in times if t is not None)
    return ordered[min(due, len(ordered)) - 1]


async def open_schedules(workdir: Path, count: int, due: int) -> Schedules:
    path = workdir / f"schedules-{count}-{time.monotonic_ns()}.db"
    now = await fill_schedules(path, count, due)
    config = _config(path)
    db = await open_database(config.database)
    job = PromptJob(db, config, Vault(SECRET))
    found = len(await db.fetch(DUE_SQL, now, BATCH))
    return Schedules(count, path, now, found, db, job, sqlite3.connect(path))


async def plan_uses_index(db: Database, now: int) -> bool:
    """Whether EXPLAIN QUERY PLAN shows both lookups searching `schedules_due`."""
    for sql, args in ((DUE_SQL, (now, BATCH)), (MIN_SQL, ())):
        plan = await db.fetch("EXPLAIN QUERY PLAN " + sql, *args)
        if not any("schedules_due" in str(step["detail"]) for step in plan):
            return False
    return True


async def _mean_us(call: Callable[[], Awaitable[object]], repeats: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(repeats):
        await call()
    return (time.perf_counter_ns() - started) / repeats / 1000


def _mean_us_bare(call: Callable[[], object], repeats: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(repeats):
        call()
    return (time.perf_counter_ns() - started) / repeats / 1000


async def lookup_round(table: Schedules, repeats: int) -> list[float]:
    """One timing of each of LOOKUPS, in µs per lookup."""
    bare_due = DUE_SQL.replace("$1", "?").replace("$2", "?")
    now = table.now
    return [
        await _mean_us(table.job.next_due_at, repeats),
        await _mean_us(lambda: table.db.fetch(DUE_SQL, now, BATCH), repeats),
        _mean_us_bare(lambda: table.bare.execute(MIN_SQL).fetchall(), repeats * 10),
        _mean_us_bare(lambda: table.bare.execute(bare_due, (now, BATCH)).fetchall(), repeats * 10),
    ]


@dataclass(frozen=True)
class LookupCost:
    big: int
    small: int
    due: int  # rows due at `now` in the big table
    big_us: list[float]  # the median for each of LOOKUPS
    small_us: list[float]
    index_used: bool

    @property
    def ratios(self) -> list[float]:
        return [b / s for b, s in zip(self.big_us, self.small_us, strict=True)]


async def due_lookup(
    workdir: Path, big: int, small: int, due: int = 50, rounds: int = 7, repeats: int = 200
) -> LookupCost:
    """The lookups on `big` and on `small` schedules, alternately; medians per lookup."""
    tables = [await open_schedules(workdir, big, due), await open_schedules(workdir, small, due)]
    try:
        for table in tables:
            next_due = await table.job.next_due_at()
            if next_due is None or not START < next_due <= START + timedelta(seconds=WEEK):
                raise RuntimeError(f"next_due_at() gave {next_due} for {table.count} schedules")
        index_used = all([await plan_uses_index(t.db, t.now) for t in tables])
        timings: list[list[list[float]]] = [[], []]
        for _ in range(rounds):
            for table, runs in zip(tables, timings, strict=True):
                runs.append(await lookup_round(table, repeats))
        big_us, small_us = (
            [statistics.median(run[i] for run in runs) for i in range(len(LOOKUPS))]
            for runs in timings
        )
    finally:
        for table in tables:
            await table.close()
    return LookupCost(big, small, tables[0].due, big_us, small_us, index_used)


# --- the report -------------------------------------------------------------------------


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns, the first a header; every benchmark prints with it."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _rates(values: list[float]) -> str:
    return " / ".join(f"{v:,.0f}" for v in values)


def print_throughput(tp: Throughput, sizes: Sizes) -> None:
    print(
        f"Check-ins per second: {sizes.events:,} per round from {sizes.members} members, "
        f"{sizes.rounds} rounds alternating; a check-in is {tp.statements} statements"
    )
    rows = [("", "median /s", "each round /s", "ratio")]
    for concurrency, rates in tp.core.items():
        rows.append(
            (
                f"core: Hearth.handle, {concurrency} at a time",
                f"{statistics.median(rates):,.0f}",
                _rates(rates),
                f"{tp.ratio(concurrency):.2f}",
            )
        )
    rows.append(
        (
            "baseline: INSERT + COMMIT per row",
            f"{statistics.median(tp.baseline):,.0f}",
            _rates(tp.baseline),
            "1.00",
        )
    )
    same = statistics.median(tp.same_statements) / statistics.median(tp.baseline)
    rows.append(
        (
            f"aiosqlite, {tp.statements} round trips per row, 1 COMMIT",
            f"{statistics.median(tp.same_statements):,.0f}",
            _rates(tp.same_statements),
            f"{same:.2f}",
        )
    )
    print(format_table(rows))
    print(f"ratio core/baseline: {tp.ratio(tp.best):.2f} (best, {tp.best} at a time)")
    print()


def print_lookup(cost: LookupCost, sizes: Sizes) -> None:
    print(
        f"Scheduler due lookup, µs per lookup (medians of {sizes.lookup_rounds} "
        f"alternating rounds; one schedule in ten paused; {cost.due} due at `now`)"
    )
    print(
        format_table(
            [
                ("", f"{cost.big:,} schedules", f"{cost.small:,} schedules", "ratio"),
                *(
                    (label, f"{b:.1f}", f"{s:.1f}", f"{r:.2f}")
                    for label, b, s, r in zip(
                        LOOKUPS, cost.big_us, cost.small_us, cost.ratios, strict=True
                    )
                ),
            ]
        )
    )
    print(f"index used: {'yes' if cost.index_used else 'no'}")
    print()


async def run(sizes: Sizes) -> tuple[Throughput, list[LookupCost]]:
    """Measure everything and print the tables; return the figures."""
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        workdir = Path(tmp)
        tp = await throughput(workdir, sizes)
        print_throughput(tp, sizes)
        costs = []
        for big in sizes.schedules:
            cost = await due_lookup(
                workdir, big, sizes.small, sizes.due, sizes.lookup_rounds, sizes.repeats
            )
            print_lookup(cost, sizes)
            costs.append(cost)
    return tp, costs


def main(argv: Sequence[str] | None = None) -> None:
    default = Sizes()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=default.events, help="check-ins per round (%(default)s)"
    )
    parser.add_argument(
        "--rounds", type=int, default=default.rounds, help="alternating rounds (%(default)s)"
    )
    parser.add_argument(
        "--schedules",
        type=int,
        nargs="+",
        default=default.schedules,
        help="schedules for the lookup (%(default)s)",
    )
    parser.add_argument(
        "--small",
        type=int,
        default=default.small,
        help="schedules for the lookup's baseline (%(default)s)",
    )
    args = parser.parse_args(argv)
    sizes = Sizes(
        events=args.events, rounds=args.rounds, schedules=tuple(args.schedules), small=args.small
    )
    asyncio.run(run(sizes))


if __name__ == "__main__":
    main()
