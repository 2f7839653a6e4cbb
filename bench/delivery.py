"""Paced delivery: 10,000 check-in prompts due within one minute, delivered
through a rate-limited fake platform with no request over its limit.

Measured, on a SQLite file in a temp dir:

1. Hearth: 10,000 members on a Discord community, each with a daily 07:00
   schedule whose next prompt falls due in the same minute (next_prompt_at
   spread over 07:00:00–07:00:59; a smaller `--members` falls due at the same
   pace, in part of the minute). The rows are written straight to the tables
   with the real migrations, as `checkin schedule` leaves them; setup is not
   timed.
   `Scheduler.advance_to` steps a FakeClock through every due time, so the
   run takes fake minutes, not real ones: `PromptJob` queues each prompt in
   the outbox, and the `OutboxDeliverer` sends it to `RateLimitedPlatform`, a
   fake Discord allowing LIMIT requests in any sliding second of fake time. It
   notes each request's fake time and rejects one over the limit (raising
   `RateLimited`, a `DeliveryError`), counting it. Hearth is configured with
   `adapters.discord.sends_per_second: LIMIT` (burst 1).
   Reported: prompts delivered (each exactly once), requests over the limit,
   the fake time from the first request to the last against the ideal
   prompts / LIMIT, and prompts delivered per wall-clock second.
2. The baseline in the same run, on a separate file with the same pragmas
   (WAL, synchronous=FULL): raw aiosqlite doing what a durable outbox must do
   for a message at the least — INSERT the row + COMMIT, send it through the
   same fake platform class (without its limit: nothing paces it), UPDATE it
   as sent + COMMIT — one prompt after another. Hearth does more per prompt
   (claiming the slot, rescheduling, the lease, a scheduler pass per send),
   so the ratio says what that costs; it is not a target.

Run from the repository root: `make bench` runs this with the other benchmarks
(bench/report.py); `.venv/bin/python bench/delivery.py` runs it alone
(`--members` for smaller runs).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

if __package__ in (None, ""):  # run as a script: make `bot` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkins import format_table  # bench/ is on the path: run as a script or by report.py

from bot.app import Hearth
from bot.clock import Clock, FakeClock
from bot.config import AdapterSettings, Community, Config, ConsoleSettings, DiscordSettings
from bot.localtime import EVERY_DAY, epoch
from bot.members import sealed_row
from bot.port import Adapter, DeliveryError, Event, Member, Message, Place
from bot.storage import open_database
from bot.storage.sqlite import PRAGMAS  # the baselines open SQLite as Hearth does
from bot.vault import Vault

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday, 07:00 UTC
MEMBERS = 10_000
LIMIT = 25  # requests per sliding second the fake platform allows (Hearth's default for Discord)
SECRET = bytes(range(32))
WINDOW = timedelta(seconds=1)


class RateLimited(DeliveryError):
    """The platform's 429: too many requests in the last second."""


class RateLimitedPlatform(Adapter):
    """A fake Discord allowing `limit` requests (sends and deletes) in any sliding
    second on `clock`; None: no limit. Notes when each request went out and
    which message it carried; rejects and counts any request over the limit."""

    platform = "discord"

    def __init__(self, clock: Clock, limit: int | None) -> None:
        self.clock = clock
        self.limit = limit
        self.rejected = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.delivered: collections.Counter[str | None] = collections.Counter()
        self._window: collections.deque[datetime] = collections.deque()
        self._ids = itertools.count(1)

    def _request(self) -> None:
        now = self.clock.now()
        if self.limit is not None:
            while self._window and self._window[0] <= now - WINDOW:
                self._window.popleft()
            if len(self._window) >= self.limit:
                self.rejected += 1
                raise RateLimited(f"over {self.limit} requests a second")
            self._window.append(now)
        self.first = self.first or now
        self.last = now

    async def send(self, place: Place, message: Message) -> str:
        self._request()
        self.delivered[message.idempotency_key] += 1
        return str(next(self._ids))

    async def reply(self, event: Event, message: Message) -> None:
        pass

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        pass

    async def delete(self, place: Place, message_id: str) -> None:
        self._request()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _config(path: Path, limit: int) -> Config:
    return Config(
        database=f"sqlite:///{path}",
        adapters=AdapterSettings(
            console=ConsoleSettings(enabled=False),
            discord=DiscordSettings(enabled=True, token="bench", sends_per_second=limit),
        ),
        communities=(Community(name="bench", platform="discord", guild_id="1"),),
    )


# --- 1. Hearth ---------------------------------------------------------------------


@dataclass(frozen=True)
class Paced:
    members: int
    limit: int
    delivered: int  # distinct prompts the platform received
    most_per_prompt: int  # the most times one prompt arrived (1: exactly once)
    rejected: int  # requests over the limit
    retried: int  # outbox rows with an attempt counted
    span: float  # fake seconds from the first request to the last
    wall: float  # wall seconds for the whole run

    @property
    def ideal(self) -> float:
        return self.members / self.limit

    @property
    def span_ratio(self) -> float:
        return self.span / self.ideal

    @property
    def rate(self) -> float:
        return self.delivered / self.wall

    @property
    def ok(self) -> bool:
        return (self.delivered, self.most_per_prompt, self.rejected) == (self.members, 1, 0)


async def fill(config: Config, members: int) -> None:
    """`members` members with a daily 07:00 schedule each, falling due at 10,000 a
    minute: all 10,000 within the minute, fewer within a part of it."""
    spread = 60 * members / MEMBERS
    db = await open_database(config.database)  # the real migrations
    vault = Vault(SECRET)
    try:
        async with db.transaction() as tx:
            for n in range(members):
                await tx.execute(
                    "INSERT INTO members (id, lookup, platform, identity, secret) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    n + 1,
                    *sealed_row(vault, n + 1, Member("discord", str(10**17 + n))),
                )
                await tx.execute(
                    "INSERT INTO schedules (member_id, community, prompt_time, days, "
                    "next_prompt_at, next_slot_date) VALUES ($1, 'bench', '07:00', $2, $3, $4)",
                    n + 1,
                    EVERY_DAY,
                    epoch(START) + int(n * spread / members),
                    START.date().isoformat(),
                )
    finally:
        await db.close()


async def paced_run(workdir: Path, members: int, limit: int = LIMIT) -> Paced:
    path = workdir / f"paced-{time.monotonic_ns()}.db"
    config = _config(path, limit)
    await fill(config, members)
    db = await open_database(config.database)
    clock = FakeClock(START)
    platform = RateLimitedPlatform(clock, limit)
    hearth = Hearth(config, db, clock, {"discord": platform}, Vault(SECRET))
    # Fake time enough for all at the ideal rate, and a margin to show nothing more goes.
    until = START + timedelta(seconds=members / limit + 120)
    try:
        started = time.perf_counter()
        await hearth.scheduler.advance_to(until)
        wall = time.perf_counter() - started
        retried = await db.fetchval("SELECT count(*) FROM outbox WHERE attempts > 0")
        unsent = await db.fetchval("SELECT count(*) FROM outbox WHERE status != 'sent'")
    finally:
        await db.close()
        _remove(path)
    if unsent:
        raise RuntimeError(f"paced delivery: {unsent} prompts not sent by the end")
    span = (platform.last - platform.first).total_seconds() if platform.first else 0.0
    return Paced(
        members,
        limit,
        len(platform.delivered),
        max(platform.delivered.values(), default=0),
        platform.rejected,
        int(retried),
        span,
        wall,
    )


# --- 2. the baseline ----------------------------------------------------------------

OUTBOX_TABLE = """CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    member_id BIGINT,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    message_id TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT)"""


async def baseline_rate(workdir: Path, members: int) -> float:
    """Prompts per second the simple way: INSERT + COMMIT, send, UPDATE + COMMIT each."""
    path = workdir / f"baseline-{time.monotonic_ns()}.db"
    platform = RateLimitedPlatform(FakeClock(START), limit=None)
    conn = await aiosqlite.connect(path)
    try:
        for pragma in PRAGMAS:
            await conn.execute(f"PRAGMA {pragma}")
        await conn.execute(OUTBOX_TABLE)
        await conn.commit()
        now = epoch(START)
        started = time.perf_counter()
        for n in range(members):
            key = f"prompt:{n + 1}:bench:2026-03-02:07:00"
            cursor = await conn.execute(
                "INSERT INTO outbox (idempotency_key, member_id, body, created_at) "
                "VALUES (?, ?, ?, ?)",
                (key, n + 1, "Time for your check-in", now),
            )
            row_id = cursor.lastrowid
            await conn.commit()
            message_id = await platform.send(
                Place("dm", "discord", str(10**17 + n)),
                Message("Time for your check-in", idempotency_key=key),
            )
            await conn.execute(
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ? WHERE id = ?",
                (message_id, now, row_id),
            )
            await conn.commit()
        elapsed = time.perf_counter() - started
        [(sent,)] = await conn.execute_fetchall("SELECT count(*) FROM outbox WHERE status = 'sent'")
    finally:
        await conn.close()
        _remove(path)
    if sent != members or len(platform.delivered) != members:
        raise RuntimeError(f"baseline: {sent} rows sent for {members} prompts")
    return members / elapsed


# --- the report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    paced: Paced
    baseline: float  # prompts per wall second

    @property
    def ratio(self) -> float:
        return self.paced.rate / self.baseline


def print_delivery(result: Delivery) -> None:
    p = result.paced
    print(
        f"Paced delivery: {p.members:,} prompts due within one minute, through a fake "
        f"platform allowing {p.limit} requests in any second (fake time)"
    )
    rows = [
        ("", "Hearth", "expected"),
        ("prompts delivered", f"{p.delivered:,}", f"{p.members:,}"),
        ("most deliveries of one prompt", f"{p.most_per_prompt}", "1"),
        ("requests over the limit (rejected)", f"{p.rejected}", "0"),
        ("rows with an attempt counted", f"{p.retried}", "0"),
        ("fake time, first request to last (s)", f"{p.span:,.2f}", f"{p.ideal:,.2f} ideal"),
        ("  ratio to ideal", f"{p.span_ratio:.4f}", "≈ 1"),
        ("wall time (s)", f"{p.wall:.1f}", ""),
        ("prompts delivered per wall second", f"{p.rate:,.0f}", f"{result.baseline:,.0f} baseline"),
        ("  ratio to baseline", f"{result.ratio:.2f}", ""),
    ]
    print(format_table(rows))
    print(
        "baseline: raw aiosqlite, INSERT + COMMIT, send, UPDATE + COMMIT per prompt "
        "(no scheduler, no pacing)"
    )
    print()


def summary_rows(result: Delivery) -> list[tuple[str, ...]]:
    """The rows of `make bench`'s summary (bench/report.py): measure, Hearth,
    baseline, ratio, target."""
    p = result.paced
    return [
        (
            f"prompts due in 1 min, through a {p.limit}/s limit",
            f"{p.delivered:,} once each, {p.rejected} over, {p.span:,.1f} s",
            f"{p.ideal:,.1f} s ideal ({p.members:,} / {p.limit} per s)",
            f"{p.span_ratio:.2f}",
            f"each once, 0 over: {'yes' if p.ok else 'no'}",
        ),
        (
            f"paced prompts/s, wall clock ({p.members:,})",
            f"{p.rate:,.0f}",
            f"{result.baseline:,.0f} raw aiosqlite INSERT+COMMIT, send, UPDATE+COMMIT",
            f"{result.ratio:.2f}",
            "",
        ),
    ]


async def run(members: int = MEMBERS, limit: int = LIMIT) -> Delivery:
    """Measure and print; return the figures."""
    with tempfile.TemporaryDirectory(prefix="hearth-bench-delivery-") as tmp:
        workdir = Path(tmp)
        paced = await paced_run(workdir, members, limit)
        baseline = await baseline_rate(workdir, members)
    result = Delivery(paced, baseline)
    print_delivery(result)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--members", type=int, default=MEMBERS, help="prompts due in the minute (%(default)s)"
    )
    parser.add_argument(
        "--limit", type=int, default=LIMIT, help="the platform's requests a second (%(default)s)"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.members, args.limit))
    if not result.paced.ok:
        sys.exit("paced delivery: not every prompt went out exactly once under the limit")


if __name__ == "__main__":
    main()
