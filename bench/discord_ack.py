"""Discord acknowledgements under a burst: 5,000 slash commands arrive at once
(`/checkin now mood:4`, each from its own member), fed through discord.py's
own gateway parser; its HTTP goes to the fake transport of the adapter tests
(tests/discord_support.py), which answers at once (zero network delay).

Measured per interaction: wall time from the moment its INTERACTION_CREATE
reached discord.py to the moment its first callback (the answer, type 4, or
the deferral, type 5) reached the transport. Discord allows 3 s; the target
is a p99 under 1 s. Every interaction must also get its answer in the end (a
deferral is followed by an edit of the original response).

Also measured here: the requests per DM prompt, at a process's first start and
after a restart on the same database. Members with a daily schedule are
prompted through the fake transport; then a new process (a new adapter, the
same database, Discord keeping the same DM channels) prompts them the next
day. The DM channel id is kept in the database, so the second run makes one
request per prompt (the message), not two (POST /users/@me/channels first).

Run from the repository root: `make bench` runs this with the others
(bench/report.py); `.venv/bin/python bench/discord_ack.py` runs it alone
(`--events` for smaller bursts).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bot` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord.responder import DEFER_AFTER  # noqa: E402
from bot.localtime import EVERY_DAY, epoch  # noqa: E402
from bot.members import sealed_row  # noqa: E402
from bot.port import Member  # noqa: E402
from bot.storage import open_database  # noqa: E402
from bot.vault import Vault  # noqa: E402
from tests import discord_support  # noqa: E402
from tests.discord_payloads import slash, user  # noqa: E402

EVENTS = 5_000
DM_MEMBERS = 1_000
TARGET = 1.0  # seconds, p99


@dataclass(frozen=True)
class Acks:
    events: int
    latencies: tuple[float, ...]  # seconds, feed → first callback, one per interaction
    deferred: int  # answered first with a deferral (type 5)
    answered: int  # interactions that got their answer (a message or an edit)
    wall: float  # seconds from the first feed to the last answer

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p99(self) -> float:
        return self.quantile(0.99)

    @property
    def ok(self) -> bool:
        return len(self.latencies) == self.events == self.answered and self.p99 < TARGET


class _TimedDiscord(discord_support.FakeDiscord):
    """The fake transport, noting when each interaction's first callback came in."""

    def __init__(self) -> None:
        super().__init__()
        self.first_callback: dict[str, tuple[float, int]] = {}
        self.finished: set[str] = set()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        exchange = super().request(method, url, **kwargs)
        recorded = self.requests[-1]
        segments = recorded.path.strip("/").split("/")
        if segments[0] == "interactions" and segments[-1] == "callback":
            kind = recorded.json["type"]
            self.first_callback.setdefault(segments[1], (time.perf_counter(), kind))
            if kind == 4:
                self.finished.add(segments[2])
        elif segments[0] == "webhooks" and method in ("POST", "PATCH"):
            self.finished.add(segments[2])  # the deferral's answer, by interaction token
        return exchange


async def burst(events: int = EVENTS, defer_after: float = DEFER_AFTER) -> Acks:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-ack-") as tmp:
        config = discord_support.discord_config(f"sqlite:///{Path(tmp) / 'ack.db'}")
        fake = _TimedDiscord()
        h = await discord_support.start(config, fake=fake, defer_after=defer_after)
        try:
            payloads = [
                slash(user(500000000000000000 + n, f"m{n}"), "checkin now", {"mood": "4"})
                for n in range(events)
            ]
            fed: dict[str, float] = {}
            started = time.perf_counter()
            for payload in payloads:
                fed[payload["id"]] = time.perf_counter()
                h.feed("INTERACTION_CREATE", payload)
            await discord_support.settle()
            wall = time.perf_counter() - started
            saved = await h.hearth.db.fetchval("SELECT count(*) FROM checkins")
        finally:
            await h.stop()
    if saved != events:
        raise RuntimeError(f"ack burst: {saved} check-ins saved of {events}")
    latencies = tuple(fake.first_callback[i][0] - fed[i] for i in fed if i in fake.first_callback)
    deferred = sum(1 for _, kind in fake.first_callback.values() if kind == 5)
    tokens = {p["token"] for p in payloads}
    return Acks(events, latencies, deferred, len(fake.finished & tokens), wall)


@dataclass(frozen=True)
class Restart:
    members: int
    first: float  # requests to Discord per prompt, first start
    after: float  # the same after a restart
    opened_after: int  # POST /users/@me/channels after the restart

    @property
    def ok(self) -> bool:
        return self.after == 1.0 and self.opened_after == 0


async def _schedules(url: str, members: int) -> None:
    """`members` Discord members of the harbour, prompted daily at 07:00 UTC."""
    db = await open_database(url)
    vault = Vault(discord_support.SECRET)
    try:
        async with db.transaction() as tx:
            for n in range(members):
                await tx.execute(
                    "INSERT INTO members (id, lookup, platform, identity, secret) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    n + 1,
                    *sealed_row(vault, n + 1, Member("discord", str(500000000000000000 + n))),
                )
                await tx.execute(
                    "INSERT INTO schedules (member_id, community, prompt_time, days, "
                    "next_prompt_at, next_slot_date) VALUES ($1, 'harbour', '07:00', $2, $3, $4)",
                    n + 1,
                    EVERY_DAY,
                    epoch(discord_support.START),
                    discord_support.START.date().isoformat(),
                )
    finally:
        await db.close()


def _to_discord(requests: list[discord_support.Request]) -> tuple[int, int]:
    """(requests that count against the bot's rate, of them DM channels opened)."""
    counted = [r for r in requests if not r.path.startswith(("/interactions/", "/webhooks/"))]
    return len(counted), sum(1 for r in counted if r.path == "/users/@me/channels")


async def restart(members: int = DM_MEMBERS) -> Restart:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-dm-") as tmp:
        config = discord_support.discord_config(f"sqlite:///{Path(tmp) / 'dm.db'}")
        await _schedules(config.database, members)
        h = await discord_support.start(config)
        try:
            first = await h.advance(hours=1)
        finally:
            await h.stop()
        fake = discord_support.FakeDiscord()
        fake.dm_channels = dict(h.fake.dm_channels)  # Discord keeps the channels
        again = await discord_support.start(config, clock=h.clock, fake=fake)
        try:
            after = await again.advance(days=1)
        finally:
            await again.stop()
    prompts = sum(1 for r in h.fake.requests if r.json and "Time for" in str(r.json))
    prompts_after = sum(1 for r in after if r.json and "Time for" in str(r.json))
    if prompts != members or prompts_after != members:
        raise RuntimeError(f"restart: {prompts} and {prompts_after} prompts for {members}")
    counted, _ = _to_discord(first)
    counted_after, opened_after = _to_discord(after)
    return Restart(members, counted / members, counted_after / members, opened_after)


def print_restart(result: Restart) -> None:
    from checkins import format_table

    print(f"DM prompts to {result.members:,} members, before and after a restart")
    rows = [
        ("", "Hearth", "expected"),
        ("requests per DM prompt, first start", f"{result.first:.2f}", "2.00 (channel + message)"),
        ("requests per DM prompt, after a restart", f"{result.after:.2f}", "1.00"),
        ("DM channels opened after the restart", f"{result.opened_after:,}", "0"),
    ]
    print(format_table(rows))
    print()


def print_acks(result: Acks) -> None:
    from checkins import format_table  # bench/ is on the path: run as a script or by report.py

    print(
        f"Discord acknowledgements: {result.events:,} slash commands at once, "
        "over the fake transport (no network delay)"
    )
    rows = [
        ("", "Hearth", "expected"),
        ("interactions acknowledged", f"{len(result.latencies):,}", f"{result.events:,}"),
        ("  first with a deferral", f"{result.deferred:,}", ""),
        ("interactions answered in the end", f"{result.answered:,}", f"{result.events:,}"),
        ("ack p50 (s)", f"{result.p50:.3f}", ""),
        ("ack p99 (s)", f"{result.p99:.3f}", f"< {TARGET:.0f}"),
        ("ack max (s)", f"{max(result.latencies, default=0):.3f}", "< 3 (Discord's limit)"),
        ("burst handled in (s, wall)", f"{result.wall:.2f}", ""),
    ]
    print(format_table(rows))
    print()


def summary_rows(result: Acks, dm: Restart | None = None) -> list[tuple[str, ...]]:
    """The rows of `make bench`'s summary (bench/report.py)."""
    rows = [
        (
            f"Discord ack p99, {result.events:,}-event burst (s)",
            f"{result.p99:.3f}",
            f"{result.p50:.3f} p50; {result.deferred:,} deferred",
            f"{result.p99 / TARGET:.2f} of 1 s",
            f"< 1 s: {'yes' if result.ok else 'no'}",
        )
    ]
    if dm is not None:
        rows.append(
            (
                f"requests per DM prompt after a restart ({dm.members:,})",
                f"{dm.after:.2f}",
                f"{dm.first:.2f} at first start (channel + message)",
                f"{dm.after / dm.first:.2f}",
                f"1.00: {'yes' if dm.ok else 'no'}",
            )
        )
    return rows


async def run(events: int = EVENTS, members: int = DM_MEMBERS) -> tuple[Acks, Restart]:
    result = await burst(events)
    print_acks(result)
    dm = await restart(members)
    print_restart(dm)
    return result, dm


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS, help="burst size (%(default)s)")
    parser.add_argument("--members", type=int, default=DM_MEMBERS, help="DM prompts")
    parser.add_argument(
        "--timer-only",
        action="store_true",
        help="first as before issue 21 (a 1.5 s timer alone), then a 0.5 s timer alone",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.timer_only:
        from adapters.discord import client

        backlog, client.BACKLOG = client.BACKLOG, sys.maxsize
        for timer in (1.5, DEFER_AFTER):
            alone = asyncio.run(burst(args.events, defer_after=timer))
            print(f"With a {timer} s timer alone:")
            print_acks(alone)
        client.BACKLOG = backlog
    result, dm = asyncio.run(run(args.events, args.members))
    if not result.ok or not dm.ok:
        sys.exit("discord: ack p99 over target, an interaction unanswered, or extra requests")


if __name__ == "__main__":
    main()
