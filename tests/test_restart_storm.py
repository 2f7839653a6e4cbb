"""The restart storm: members across time zones with daily and weekly prompts
through the spring DST changes of 2026 (US 8 March, Europe 29 March, Chile,
Australia and New Zealand 4–5 April), with Hearth restarted on the same
database at random moments: after a clean stop, after a downtime inside or
beyond the catch-up window, or killed between two database calls in the
middle of a pass.

Every prompt is compared with a reference model built from zoneinfo alone:
each one due is delivered exactly once, never early and never later than the
catch-up window, and none the window covers is missed.

Always 60 members over the 10 days with Europe's and the southern changes;
`HEARTH_SLOW_TESTS=1`: 200 members over 30 days from 7 March, on PostgreSQL
too. `HEARTH_STORM_SEED=N` replays one storm (every failure names its seed).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import Config
from bot.port import Adapter, CommandGiven, Event, Member, Message, Place
from bot.storage import Database, open_database
from bot.vault import Vault
from tests.conftest import SECRET, community, outbox_rows

SLOW = os.environ.get("HEARTH_SLOW_TESTS") == "1"
pytestmark = [] if SLOW else [pytest.mark.sqlite_only]  # PostgreSQL too in the long run
MEMBERS = 200 if SLOW else 60
# Always ten days with Europe's and the southern changes; slow: all 30 days.
START = datetime(2026, 3, 7, tzinfo=UTC) if SLOW else datetime(2026, 3, 27, tzinfo=UTC)
END = START + timedelta(days=30 if SLOW else 10)
CATCH_UP = timedelta(hours=2)  # the community default
HARD_DOWNTIME = timedelta(minutes=20)  # at most, after a kill: what was in flight is owed
WEEKDAYS = {"daily": range(7), "weekdays": range(5), "weekends": (5, 6), "mon,wed,fri": (0, 2, 4)}
# Zones that change in the span, each with a time its change skips or repeats.
DST_EDGES = (
    ("Europe/Berlin", "02:30"),  # skipped on 29 March
    ("Europe/London", "01:30"),  # skipped on 29 March
    ("America/New_York", "02:30"),  # skipped on 8 March
    ("America/Los_Angeles", "02:15"),  # skipped on 8 March
    ("America/Havana", "00:00"),  # midnight itself skipped on 8 March
    ("America/Santiago", "23:30"),  # repeated on 4 April
    ("Australia/Sydney", "02:30"),  # repeated on 5 April
    ("Australia/Lord_Howe", "01:45"),  # repeated on 5 April (a half-hour change)
    ("Pacific/Auckland", "02:15"),  # repeated on 5 April
)
STEADY = ("Asia/Kolkata", "Asia/Tokyo", "UTC", "America/Sao_Paulo")


class Killed(BaseException):
    """The process died here: nothing of it runs any more (not an Exception, so
    no `except Exception` in Hearth can carry on as if it had not)."""


@dataclass(frozen=True)
class Plan:
    user: str
    zone: str
    at: str  # HH:MM local
    days: str


def plans(rng: random.Random) -> list[Plan]:
    found = []
    for n in range(MEMBERS):
        if n % 4 == 0:  # a quarter at the very times a change skips or repeats
            zone, at = DST_EDGES[n // 4 % len(DST_EDGES)]
        else:
            zone = rng.choice([z for z, _ in DST_EDGES] + list(STEADY))
            at = f"{rng.randrange(24):02d}:{rng.choice((0, 30)):02d}"
        days = "daily" if n % 3 else rng.choice(sorted(WEEKDAYS))
        found.append(Plan(f"p{n}", zone, at, days))
    return found


# --- the reference model ------------------------------------------------------------


def wall_clock_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """When a wall clock in `zone` reads `at` on `day`, found by trying each UTC
    offset the zone has around then: the first reading if it reads it twice,
    and if a change skips it, the instant that far past the change (02:30 → 03:30)."""
    naive = datetime.combine(day, at)
    offsets = {
        (naive + timedelta(hours=h)).replace(tzinfo=UTC).astimezone(zone).utcoffset()
        for h in range(-30, 31, 3)
    }
    readings = [
        naive.replace(tzinfo=UTC) - offset
        for offset in offsets
        if offset is not None
        and (naive.replace(tzinfo=UTC) - offset).astimezone(zone).replace(tzinfo=None) == naive
    ]
    if readings:
        return min(readings)
    before = (naive - timedelta(days=1)).replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert before is not None
    return naive.replace(tzinfo=UTC) - before


def due_slots(plan: Plan) -> dict[date, datetime]:
    """Every slot of the plan after START up to END: local date → instant due."""
    zone = ZoneInfo(plan.zone)
    at = time.fromisoformat(plan.at)
    found = {}
    day = START.astimezone(zone).date() - timedelta(days=1)
    while day <= END.astimezone(zone).date() + timedelta(days=1):
        if day.weekday() in WEEKDAYS[plan.days]:
            due = wall_clock_instant(day, at, zone)
            if START < due <= END:
                found[day] = due
        day += timedelta(days=1)
    return found


def owed(due: datetime, outages: list[tuple[datetime, datetime]]) -> bool:
    """Due while up, or while down but back within the catch-up window."""
    for down, back in outages:
        if down < due < back:
            return back - due <= CATCH_UP
    return True


# --- the platform and the process ---------------------------------------------------------


@dataclass
class Platform(Adapter):
    """One platform across every restart: it honours idempotency keys (a second
    send with a key already posted shows nothing new) and counts every attempt."""

    clock: Callable[[], datetime]
    platform: str = "console"
    attempts: Counter[str] = field(default_factory=Counter)
    delivered: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # key → user, when
    replies: list[str] = field(default_factory=list)

    async def send(self, place: Place, message: Message) -> str:
        key = message.idempotency_key or ""
        self.attempts[key] += 1
        self.delivered.setdefault(key, (place.target, self.clock()))
        return f"m-{key}"

    async def reply(self, event: Event, message: Message) -> None:
        self.replies.append(message.text)

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        pass

    async def delete(self, place: Place, message_id: str) -> None:
        pass


def doom(db: Database, calls: int) -> None:
    """Let `db` take `calls` more transactions, then die at every later one."""
    real = db.transaction
    left = itertools.count(calls, -1)

    def transaction():  # noqa: ANN202 - the real one's context manager
        if next(left) <= 0:
            raise Killed
        return real()

    db.transaction = transaction  # type: ignore[method-assign]


async def start(url: str, clock: FakeClock, platform: Platform) -> Hearth:
    config = Config(database=url, communities=(community(),))
    db = await open_database(url)
    return Hearth(config, db, clock, {"console": platform}, Vault(SECRET))


async def bury(hearth: Hearth) -> None:
    """What a dead process leaves: its connection closed, whatever was committed."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await asyncio.gather(*others, return_exceptions=True)  # they die at their next call
    await hearth.db.close()


# --- the storm ---------------------------------------------------------------------------


# How a run ends: killed between two database calls, or stopped cleanly and
# back at once, within the catch-up window, or after it.
KINDS = ("kill", "now", "window", "long")


@dataclass
class Storm:
    rng: random.Random
    outages: list[tuple[datetime, datetime]] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)  # outbox keys being sent at a kill
    ends: Counter[str] = field(default_factory=Counter)

    def next_kind(self, previous: str | None) -> str:
        # The first run is killed, and each kind comes once before any repeats.
        # Never two kills in a row: what one leaves in flight is sent well in the window.
        unused = [kind for kind in KINDS if not self.ends[kind]]
        choices = unused or list(KINDS)
        if previous == "kill" and len(choices) > 1:
            choices = [kind for kind in choices if kind != "kill"]
        return "kill" if previous is None else self.rng.choice(choices)

    def downtime(self, kind: str) -> timedelta:
        seconds = timedelta(seconds=self.rng.uniform(1, 59))  # never on a whole minute
        if kind == "kill":
            return self.rng.random() * HARD_DOWNTIME + seconds
        if kind == "now":
            return timedelta(0)
        if kind == "window":
            return timedelta(minutes=self.rng.uniform(1, 115)) + seconds
        # Long enough that some prompts certainly fall out of the window.
        return timedelta(hours=self.rng.uniform(6, 30)) + seconds

    async def run(self, url: str, platform: Platform, clock: FakeClock) -> None:
        kind = None
        while True:
            hearth = await start(url, clock, platform)
            await hearth.settle()  # catching up at start: what the window still covers
            if clock.now() >= END:
                await hearth.db.close()
                return
            kind = self.next_kind(kind)
            if kind == "kill":  # runs until it dies, at any of its next database calls
                target = END
                doom(hearth.db, self.rng.randrange(1, 1500))
            else:
                target = min(clock.now() + self.rng.uniform(0.1, 2) * timedelta(days=1), END)
            try:
                await hearth.scheduler.advance_to(target)
            except Killed:
                pass
            else:
                kind = "now" if kind == "kill" else kind  # it reached the end alive
            stopped = clock.now()
            await bury(hearth)
            if kind == "kill":
                db = await open_database(url)
                rows = await outbox_rows(db, Vault(SECRET))
                self.in_flight |= {r["key"] for r in rows if r["status"] == "sending"}
                await db.close()
            self.ends[kind] += 1
            back = min(stopped + self.downtime(kind), END)
            self.outages.append((stopped, back))
            clock.set(back)


async def test_every_prompt_due_is_sent_once_through_a_restart_storm(db_url: str) -> None:
    seed = int(os.environ.get("HEARTH_STORM_SEED") or random.SystemRandom().randrange(1 << 32))
    rng = random.Random(seed)
    clock = FakeClock(START)
    platform = Platform(clock.now)
    members = plans(rng)
    hearth = await start(db_url, clock, platform)
    try:
        for plan in members:
            member = Member("console", plan.user)
            text = f"checkin schedule {plan.at} {plan.days} {plan.zone}"
            await hearth.handle(CommandGiven(plan.user, member, Place.dm(member), text))
            assert platform.replies[-1].startswith("Done."), platform.replies[-1]
    finally:
        await hearth.db.close()
    storm = Storm(rng)
    await storm.run(db_url, platform, clock)

    expected = {
        (plan.user, day): due
        for plan in members
        for day, due in due_slots(plan).items()
        if owed(due, storm.outages)
    }
    delivered = {}
    for key, (user, when) in platform.delivered.items():
        assert key.startswith("prompt:"), key
        day = date.fromisoformat(key.split(":")[3])
        delivered[user, day] = when
    context = f"HEARTH_STORM_SEED={seed}, restarts {dict(storm.ends)}"
    missing = sorted(set(expected) - set(delivered))
    extra = sorted(set(delivered) - set(expected))
    assert not missing and not extra, (context, missing[:5], extra[:5])
    late = {slot: when - expected[slot] for slot, when in delivered.items()}
    assert all(timedelta(0) <= wait <= CATCH_UP for wait in late.values()), (context, late)
    again = {key for key, count in platform.attempts.items() if count > 1}
    assert again <= storm.in_flight, (context, again - storm.in_flight)
    # It was a storm: restarts of each kind, and prompts the window let go.
    assert all(storm.ends[kind] for kind in KINDS), context
    assert len(expected) < sum(len(due_slots(plan)) for plan in members), context
