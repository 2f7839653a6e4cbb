"""One send rate across processes: Hearth instances (Discord shards), each with
its own pool, scheduler, clock and platform client, on one PostgreSQL database,
prompt 10,000 members due at 07:00 through one fake Discord that counts every
request of every instance in any sliding second.

As in tests/test_postgres_processes.py, the "processes" are instances in one
Python process, so that one fake clock can step them all: at each step every
instance's clock is set to the earliest time any of them is due, and all run
their schedulers at that moment, concurrently, each through its own database
connections. The fake platform notes each request's fake time (exactly when
the instance sent it) and answers a request over `LIMIT` in the last second
with a 429 (`RateLimited`, Retry-After one second), counting it.

Reported: prompts delivered (each exactly once), requests over the limit,
the most requests any sliding second saw across all instances, how many
instances took part, and the fake time from the first send to the last
against the ideal prompts / rate. With `--unshared` each instance keeps its
own bucket (what every process did before migration 20): the same run then
goes over the limit.

Run from the repository root: `make bench` runs this with the others
(bench/report.py, when PostgreSQL is there: `HEARTH_BENCH_POSTGRES`, default
the local server's `test` database); `.venv/bin/python bench/shared_rate.py`
alone (`--prompts`, `--instances`).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import itertools
import os
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

if __package__ in (None, ""):  # run as a script: make `bot` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import AdapterSettings, Community, Config, ConsoleSettings, DiscordSettings
from bot.localtime import EVERY_DAY, epoch
from bot.members import sealed_row
from bot.pacing import Pacing
from bot.port import Adapter, Event, Member, Message, Place, RateLimited
from bot.storage import open_database
from bot.vault import Vault

SERVER = os.environ.get("HEARTH_BENCH_POSTGRES", "postgresql://127.0.0.1:5432/test")
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday, 07:00 UTC
PROMPTS = 10_000
INSTANCES = 4
LIMIT = 25  # requests a second: Hearth's Discord default, and the fake's limit
SECRET = bytes(range(32))
SECOND = timedelta(seconds=1)


class SharedDiscord:
    """The one platform every instance talks to: the fake time of each request,
    and a 429 for any over `limit` in the last second (that request is refused)."""

    def __init__(self, clock: FakeClock, limit: int) -> None:
        self.clock = clock
        self.limit = limit
        self.times: list[datetime] = []  # accepted requests, in the order they came
        self.by_instance: collections.Counter[int] = collections.Counter()
        self.delivered: collections.Counter[str | None] = collections.Counter()
        self.rejected = 0
        self._ids = itertools.count(1)

    def request(self, instance: int) -> None:
        now = self.clock.now()
        in_last_second = len(self.times) - bisect.bisect_right(self.times, now - SECOND)
        if in_last_second >= self.limit:
            self.rejected += 1
            raise RateLimited(1.0)
        bisect.insort(self.times, now)
        self.by_instance[instance] += 1

    def most_in_a_second(self) -> int:
        """The most requests in any sliding second (open at its start)."""
        most, start = 0, 0
        for end, moment in enumerate(self.times):
            while self.times[start] <= moment - SECOND:
                start += 1
            most = max(most, end - start + 1)
        return most


class ShardClient(Adapter):
    """One instance's client of the shared fake Discord."""

    platform = "discord"

    def __init__(self, discord: SharedDiscord, instance: int) -> None:
        self.discord = discord
        self.instance = instance

    async def send(self, place: Place, message: Message) -> str:
        self.discord.request(self.instance)
        self.discord.delivered[message.idempotency_key] += 1
        return str(next(self.discord._ids))

    async def reply(self, event: Event, message: Message) -> None:
        pass

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        self.discord.request(self.instance)

    async def delete(self, place: Place, message_id: str) -> None:
        self.discord.request(self.instance)


def config_for(url: str, rate: int) -> Config:
    return Config(
        database=url,
        adapters=AdapterSettings(
            console=ConsoleSettings(enabled=False),
            discord=DiscordSettings(enabled=True, token="bench", sends_per_second=rate),
        ),
        communities=(Community(name="bench", platform="discord", guild_id="1"),),
    )


async def fill(url: str, prompts: int) -> None:
    """`prompts` members with a daily 07:00 schedule, all due at once."""
    db = await open_database(url)  # the real migrations
    vault = Vault(SECRET)
    try:
        async with db.transaction() as tx:
            for n in range(prompts):
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
                    epoch(START),
                    START.date().isoformat(),
                )
    finally:
        await db.close()


@dataclass(frozen=True)
class Shared:
    prompts: int
    instances: int
    limit: int
    shared: bool  # one bucket for all (False: each instance its own)
    delivered: int  # distinct prompts the platform received
    most_per_prompt: int
    rejected: int  # requests answered 429
    most_in_a_second: int  # across all instances together
    senders: int  # instances that sent at least one request
    span: float  # fake seconds, first request to last
    wall: float

    @property
    def ideal(self) -> float:
        return self.prompts / self.limit

    @property
    def ok(self) -> bool:
        return (
            self.delivered == self.prompts
            and self.most_per_prompt == 1
            and self.rejected == 0
            and self.most_in_a_second <= self.limit
        )


class Job(Protocol):
    async def next_due_at(self) -> datetime | None: ...

    async def run_due(self, now: datetime) -> None: ...


async def drive(jobs: Sequence[Job], clock: FakeClock, until: datetime) -> int:
    """Each instance's `job` (its scheduler, or its outbox alone) runs at the earliest
    moment any is due, all at once, until nothing is due before `until`. Returns
    how many steps that took."""
    now = clock.now()
    for step in range(10_000_000):
        clock.set(now)
        await asyncio.gather(*(job.run_due(now) for job in jobs))
        dues = [d for job in jobs if (d := await job.next_due_at()) is not None]
        upcoming = min(dues, default=None)
        if upcoming is None or upcoming > until:
            return step + 1
        # Due at this very moment still (a token another instance took): a step on.
        now = max(upcoming, now + timedelta(microseconds=1))
    raise RuntimeError("shared rate: still due after ten million steps")


async def run_shards(
    url: str,
    prompts: int = PROMPTS,
    instances: int = INSTANCES,
    limit: int = LIMIT,
    *,
    shared: bool = True,
) -> Shared:
    """Fill a fresh database at `url` and prompt everyone through `instances`."""
    await fill(url, prompts)
    config = config_for(url, limit)
    clock = FakeClock(START)  # one clock, read by every instance
    discord = SharedDiscord(clock, limit)
    hearths = []
    for index in range(instances):
        db = await open_database(url)
        client = ShardClient(discord, index)
        hearth = Hearth(config, db, clock, {"discord": client}, Vault(SECRET))
        if not shared:  # each its own bucket, as before migration 20
            hearth.outbox.pacing = Pacing(config.adapters)
        hearths.append(hearth)
    try:
        started = time.perf_counter()
        # 07:00: every instance's scheduler queues its share of the prompts (sending
        # what the rate lets go meanwhile); then each step needs only the outboxes.
        await drive([h.scheduler for h in hearths], clock, START)
        queued = await hearths[0].db.fetchval("SELECT count(*) FROM outbox")
        if queued != prompts:
            raise RuntimeError(f"shared rate: {queued} prompts queued of {prompts}")
        end = START + timedelta(seconds=prompts / limit * 1.5 + 120)
        await drive([h.outbox for h in hearths], clock, end)
        wall = time.perf_counter() - started
    finally:
        for hearth in hearths:
            await hearth.db.close()
    span = (discord.times[-1] - discord.times[0]).total_seconds() if discord.times else 0.0
    return Shared(
        prompts,
        instances,
        limit,
        shared,
        len(discord.delivered),
        max(discord.delivered.values(), default=0),
        discord.rejected,
        discord.most_in_a_second(),
        len(discord.by_instance),
        span,
        wall,
    )


async def fresh_schema(server: str = SERVER) -> tuple[str, str]:
    """A new schema on `server` for one run: (its URL, its name)."""
    import asyncpg

    name = f"hearth_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(server, timeout=5)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
    finally:
        await conn.close()
    joiner = "&" if "?" in server else "?"
    return f"{server}{joiner}search_path={name}", name


async def drop_schema(name: str, server: str = SERVER) -> None:
    import asyncpg

    conn = await asyncpg.connect(server, timeout=5)
    try:
        await conn.execute(f"DROP SCHEMA {name} CASCADE")
    finally:
        await conn.close()


async def available(server: str = SERVER) -> bool:
    try:
        import asyncpg

        conn = await asyncpg.connect(server, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


# --- the report -----------------------------------------------------------------------


def print_shared(result: Shared) -> None:
    from checkins import format_table  # bench/ is on the path: run as a script or by report.py

    r = result
    print(
        f"One send rate across processes: {r.instances} instances on one PostgreSQL, "
        f"{r.prompts:,} prompts, one fake Discord allowing {r.limit} requests in any "
        f"second (fake time), {'one shared bucket' if r.shared else 'a bucket each'}"
    )
    rows = [
        ("", "Hearth", "expected"),
        ("prompts delivered", f"{r.delivered:,}", f"{r.prompts:,}"),
        ("most deliveries of one prompt", f"{r.most_per_prompt}", "1"),
        ("most requests in any second, all instances", f"{r.most_in_a_second}", f"≤ {r.limit}"),
        ("requests answered 429", f"{r.rejected}", "0"),
        ("instances that sent", f"{r.senders}", f"{r.instances}"),
        ("fake time, first request to last (s)", f"{r.span:,.1f}", f"{r.ideal:,.1f} ideal"),
        ("wall time (s)", f"{r.wall:.1f}", ""),
    ]
    print(format_table(rows))
    print()


def summary_rows(result: Shared) -> list[tuple[str, ...]]:
    r = result
    return [
        (
            f"{r.instances} processes, one PostgreSQL, {r.prompts:,} prompts: most requests/s",
            f"{r.most_in_a_second} in any second, {r.rejected} over, {r.senders} sent",
            f"{r.limit}/s configured; {r.span:,.0f} s for {r.ideal:,.0f} s ideal",
            f"{r.most_in_a_second / r.limit:.2f}",
            f"never over the rate: {'yes' if r.ok else 'no'}",
        )
    ]


async def run(
    prompts: int = PROMPTS, instances: int = INSTANCES, limit: int = LIMIT, shared: bool = True
) -> Shared | None:
    """Measure and print; None (and a note) when no PostgreSQL is there."""
    if not await available():
        print(f"One send rate across processes: no PostgreSQL at {SERVER}; skipped.\n")
        return None
    url, name = await fresh_schema()
    try:
        result = await run_shards(url, prompts, instances, limit, shared=shared)
    finally:
        await drop_schema(name)
    print_shared(result)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--prompts", type=int, default=PROMPTS, help="(%(default)s)")
    parser.add_argument("--instances", type=int, default=INSTANCES, help="(%(default)s)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="requests a second")
    parser.add_argument("--unshared", action="store_true", help="a bucket per instance")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    result = asyncio.run(run(args.prompts, args.instances, args.limit, not args.unshared))
    if result is not None and not result.ok:
        sys.exit("shared rate: over the limit, or a prompt not sent exactly once")


if __name__ == "__main__":
    main()
