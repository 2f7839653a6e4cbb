"""Long work at a million members: how long the event loop stalls, and whether the
cost grows with the community.

On two SQLite databases built the same way, one of 1,000 members and one of
1,000,000 (built once and kept under bench/.cache, keyed by the schema version:
the first build takes a few minutes), each member with a schedule, two
check-ins in the last 60 days, two prompt slots and a delivered DM, one in a
thousand unreachable:

1. `mod stats`, `mydata export` and `mydata delete` through `Hearth.handle`,
   the gauges a `/metrics` scrape reads, one hourly housekeeping run (with the
   same stale rows to purge in both
   databases) and one morning forecast (bot/mornings.py: it reads the next
   day's schedules, so it grows with them by design), each timed from start to
   answer;
2. meanwhile a ticker on the event loop wakes every millisecond: the longest
   gap between its wake-ups beyond that is the longest stall, the time every
   other event, heartbeat and prompt would have waited. Beside it, the same
   ticker on an idle loop for half a second: what the machine's own scheduling
   costs (the cores are shared).

Targets (issue 21): every stall under 100 ms at 1,000,000 members, and every
operation at 1,000,000 within ×2 of its time at 1,000. Rounds alternate between
the two databases; medians are compared.

`.venv/bin/python bench/scale.py` runs it alone (`--members 1000 20000` for a
quick look); `make bench` with the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from checkins import CountingAdapter, format_table  # noqa: E402

from bot import slot_counts  # noqa: E402
from bot.app import Hearth  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import Community, Config, Moderators  # noqa: E402
from bot.housekeeping import KEEP_DELIVERED, KEEP_EVENT_IDS, Housekeeping  # noqa: E402
from bot.localtime import epoch  # noqa: E402
from bot.mornings import warn_ahead  # noqa: E402
from bot.ops.server import observe  # noqa: E402
from bot.port import CommandGiven, Member, Place  # noqa: E402
from bot.storage import open_database  # noqa: E402
from bot.storage.migrations import LATEST  # noqa: E402
from bot.vault import OUTBOX_BODY, Vault  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
FORMAT = 3  # bump when build() or migration 17-19 change what it writes
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the data lies before it
SECRET = bytes(range(32))
SIZES = (1_000, 1_000_000)
ROUNDS = 3
STALL_TARGET_MS = 100.0
GROWTH_TARGET = 2.0
STALE = 1_000  # rows of each kind housekeeping finds to purge, in both databases
TICK = 0.001
OPERATIONS = ("mod stats", "mydata export", "mydata delete", "housekeeping", "/metrics")
# Reads the next day's schedules (bot/mornings.py): it grows with the prompts due, by design;
# only its stall has a target.
FORECAST = "morning forecast"
IDLE = "idle loop"  # the ticker alone, half a second: the machine's own scheduling noise
IDLE_SECONDS = 0.5
CHUNK = 50_000


def cache_path(members: int, cache: Path = CACHE) -> Path:
    return cache / f"scale-{members}-schema{LATEST}-format{FORMAT}.db"


def _rows(members: int) -> dict[str, Callable[[], object]]:
    day = 24 * 3600
    base = epoch(START)

    def people() -> object:
        for n in range(1, members + 1):
            unreachable = base - 5 * day if n % 1000 == 0 else None
            yield (n, f"bulk{n}", "console", "sealed", "sealed", unreachable)

    def schedules() -> object:
        for n in range(1, members + 1):
            yield (n, "bench", "09:00", 127, base + (n % 86_400), "2026-06-02")

    def checkins() -> object:
        for n in range(1, members + 1):
            for k in (n % 30, 30 + n % 30):
                when = (base // day - k - 1) * day  # dated to the day (bot/localtime.day_floor)
                yield (n, "bench", 1 + n % 5, "", _iso(when), when)

    def outbox() -> object:
        for n in range(1, members + 1):
            yield (n, f"key{n}", n, "dm", "sealed", "sent", base - (n % 6 + 1) * day, n)

    def slots() -> object:
        for n in range(1, members + 1):
            for k in (n % 7, 7 + n % 7):
                due = base - (k + 1) * day + 9 * 3600
                yield (n, "bench", _iso(due), "09:00", "sent", due, due, n, due + n % 900)

    return {
        "INSERT INTO members (id, lookup, platform, identity, secret, unreachable_at) "
        "VALUES (?, ?, ?, ?, ?, ?)": people,
        "INSERT INTO schedules (member_id, community, prompt_time, days, next_prompt_at, "
        "next_slot_date) VALUES (?, ?, ?, ?, ?, ?)": schedules,
        "INSERT INTO checkins (member_id, community, mood, tags, local_date, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)": checkins,
        "INSERT INTO outbox (id, idempotency_key, member_id, platform, place_kind, body, "
        "status, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, 'console', ?, ?, ?, 0, ?) ": lambda: (r[:-1] for r in outbox()),
        "INSERT INTO prompt_slots (member_id, community, local_date, prompt_time, outcome, "
        "due_at, decided_at, outbox_id, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)": slots,
    }


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


async def build(path: Path, members: int) -> None:
    """The migrated schema, then every row with executemany in one transaction."""
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    db = await open_database(f"sqlite:///{partial}")
    await db.close()
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for sql, rows in _rows(members).items():
        iterator = iter(rows())  # type: ignore[call-overload]
        while chunk := list(itertools.islice(iterator, CHUNK)):
            conn.executemany(sql, chunk)
    conn.execute(slot_counts.REBUILD)  # what Hearth counts as the slots are written
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)


async def _upgraded(members: int, cache: Path, path: Path) -> bool:
    """An older schema's database brought up to date (new migrations are cheap next to a build)."""
    for older in sorted(cache.glob(f"scale-{members}-schema*-format{FORMAT}.db")):
        try:
            db = await open_database(f"sqlite:///{older}")
            await db.close()
        except Exception:
            older.unlink()
            continue
        older.rename(path)
        return True
    return False


async def ensure(members: int, cache: Path = CACHE) -> Path:
    path = cache_path(members, cache)
    if not path.exists() and not await _upgraded(members, cache, path):
        cache.mkdir(exist_ok=True)
        started = time.perf_counter()
        await build(path, members)
        print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    stalls: list[float] = field(default_factory=list)  # the longest, in seconds


class Community1:
    """One cached database opened as a running Hearth, with members to act as."""

    def __init__(self, members: int, hearth: Hearth, adapter: CountingAdapter) -> None:
        self.members = members
        self.hearth = hearth
        self.adapter = adapter
        self._ids = itertools.count()

    @classmethod
    async def open(cls, members: int, path: Path) -> Community1:
        config = Config(
            database=f"sqlite:///{path}",
            communities=(
                Community(name="bench", platform="console", moderators=Moderators(("mona",))),
            ),
        )
        db = await open_database(config.database)
        adapter = CountingAdapter()
        hearth = Hearth(config, db, FakeClock(START), {"console": adapter}, Vault(SECRET))
        return cls(members, hearth, adapter)

    async def say(self, who: str, words: str) -> None:
        member = Member("console", who)
        before = self.adapter.replies
        # Event ids unseen by the cached database, whatever ran on it before.
        event_id = f"e{time.time_ns()}-{next(self._ids)}"
        await self.hearth.handle(CommandGiven(event_id, member, Place.dm(member), words))
        if self.adapter.failures or self.adapter.replies == before:
            raise RuntimeError(f"{words!r} failed at {self.members:,} members")

    async def newcomer(self) -> str:
        """A member with a little of everything: check-ins, a note, a schedule."""
        who = f"guest{time.monotonic_ns()}"
        for words in ("checkin 4 a good walk #outside", "checkin schedule 09:00", "checkin 3"):
            await self.say(who, words)
        return who

    async def stale(self) -> None:
        """What an hour leaves for housekeeping: old event ids, delivered DMs, marks."""
        now = epoch(START)
        old_event = now - int(KEEP_EVENT_IDS.total_seconds()) - 3600
        old_dm = now - int(KEEP_DELIVERED.total_seconds()) - 86_400
        tag = time.monotonic_ns()
        async with self.hearth.db.transaction() as tx:
            for n in range(STALE):
                await tx.execute(
                    "INSERT INTO processed_events (platform, event_key, seen_at) "
                    "VALUES ('console', $1, $2)",
                    f"old{tag}-{n}",
                    old_event,
                )
                row_id = 10**15 + tag % 10**9 * 10_000 + n
                # a relay to an anonymous author: only the sealed body says whom
                body = json.dumps({"op": "send", "to": f"someone{n}", "text": "3 people"})
                await tx.execute(
                    "INSERT INTO outbox (id, idempotency_key, platform, place_kind, body, status, "
                    "next_attempt_at, created_at) VALUES ($1, $2, 'console', 'dm', $3, 'sent', "
                    "0, $4)",
                    row_id,
                    f"old{tag}-{n}",
                    self.hearth.vault.seal(OUTBOX_BODY, row_id, body),
                    old_dm,
                )
                await tx.execute(
                    "INSERT INTO rate_marks (mark, hits, until) VALUES ($1, 1, $2)",
                    f"old{tag}-{n}",
                    now - 60,
                )

    async def close(self) -> None:
        await self.hearth.db.close()


async def _watched(work: Awaitable[object]) -> tuple[float, float]:
    """(seconds `work` took, the longest stall of the event loop meanwhile)."""
    done = False
    longest = 0.0

    async def ticker() -> None:
        nonlocal longest
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            longest = max(longest, time.perf_counter() - before - TICK)

    watch = asyncio.create_task(ticker())
    await asyncio.sleep(TICK * 2)  # the ticker is running
    started = time.perf_counter()
    try:
        await work
    finally:
        elapsed = time.perf_counter() - started
        done = True
        await watch
    return elapsed, longest


async def one_round(place: Community1, timings: dict[str, Timing]) -> None:
    exporter = await place.newcomer()
    leaving = await place.newcomer()
    await place.stale()
    housekeeping = Housekeeping(place.hearth.db, place.hearth.config, START - timedelta(hours=2))
    steps: dict[str, Callable[[], Awaitable[object]]] = {
        "mod stats": lambda: place.say("mona", "mod stats"),
        "mydata export": lambda: place.say(exporter, "mydata export"),
        "mydata delete": lambda: place.say(leaving, "mydata delete confirm"),
        "housekeeping": lambda: housekeeping.run_due(START),
        "/metrics": lambda: observe(place.hearth),
        FORECAST: lambda: warn_ahead(place.hearth.db, place.hearth.config, START),
    }
    _elapsed, idle = await _watched(asyncio.sleep(IDLE_SECONDS))
    timings[IDLE].stalls.append(idle)
    timings[IDLE].seconds.append(IDLE_SECONDS)
    for name, step in steps.items():
        elapsed, stall = await _watched(step())
        timings[name].seconds.append(elapsed)
        timings[name].stalls.append(stall)


@dataclass(frozen=True)
class Scale:
    small: int
    big: int
    timings: dict[int, dict[str, Timing]]

    def seconds(self, size: int, name: str) -> float:
        return statistics.median(self.timings[size][name].seconds)

    def stall(self, size: int, name: str) -> float:
        return max(self.timings[size][name].stalls)

    def growth(self, name: str) -> float:
        return self.seconds(self.big, name) / self.seconds(self.small, name)


async def run(sizes: Sequence[int] = SIZES, rounds: int = ROUNDS, cache: Path = CACHE) -> Scale:
    small, big = min(sizes), max(sizes)
    paths = {size: await ensure(size, cache) for size in (small, big)}
    places = {size: await Community1.open(size, path) for size, path in paths.items()}
    timings = {size: {name: Timing() for name in (*OPERATIONS, FORECAST, IDLE)} for size in places}
    try:
        for place in places.values():  # warm-up: caches, compiled phrases
            await one_round(place, {name: Timing() for name in (*OPERATIONS, FORECAST, IDLE)})
        for turn in range(rounds):
            order = (small, big) if turn % 2 == 0 else (big, small)
            for size in order:
                await one_round(places[size], timings[size])
    finally:
        for place in places.values():
            await place.close()
    return Scale(small, big, timings)


def detail_rows(scale: Scale) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        ("", f"ms at {scale.small:,}", f"ms at {scale.big:,}", "growth", "longest stall ms")
    ]
    for name in (*OPERATIONS, FORECAST, IDLE):
        rows.append(
            (
                name,
                f"{scale.seconds(scale.small, name) * 1000:.1f}",
                f"{scale.seconds(scale.big, name) * 1000:.1f}",
                f"×{scale.growth(name):.2f}",
                f"{scale.stall(scale.big, name) * 1000:.1f}",
            )
        )
    return rows


def summary_rows(scale: Scale) -> list[tuple[str, ...]]:
    rows = []
    for name in (*OPERATIONS, FORECAST):
        stall_ms = scale.stall(scale.big, name) * 1000
        growth = scale.growth(name)
        rows.append(
            (
                f"{name}: longest loop stall (ms), {scale.big:,} members",
                f"{stall_ms:.1f}",
                f"{scale.stall(scale.big, IDLE) * 1000:.1f} idle loop, same run",
                "",
                f"< {STALL_TARGET_MS:.0f} ms: {'yes' if stall_ms < STALL_TARGET_MS else 'no'}",
            )
        )
        if name == FORECAST:
            continue
        rows.append(
            (
                f"{name}: time at {scale.big:,} / at {scale.small:,}",
                f"{scale.seconds(scale.big, name) * 1000:.1f} ms",
                f"{scale.seconds(scale.small, name) * 1000:.1f} ms",
                f"{growth:.2f}",
                f"≤ {GROWTH_TARGET:.0f}: {'yes' if growth <= GROWTH_TARGET else 'no'}",
            )
        )
    return rows


def print_scale(scale: Scale) -> None:
    print(
        f"Long work at {scale.big:,} members against {scale.small:,} "
        f"(medians of {len(scale.timings[scale.big]['mod stats'].seconds)} alternating rounds)"
    )
    print(format_table(detail_rows(scale)))
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, nargs=2, default=SIZES, help="small and big")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    scale = asyncio.run(run(args.members, args.rounds))
    print_scale(scale)
    header = ("measure", "Hearth", "baseline", "ratio", "target")
    print(format_table([header, *summary_rows(scale)]))


if __name__ == "__main__":
    main()
