"""Shared fixtures: a Hearth on a temporary SQLite file (and, for every test
that asks for `db_url`, again on PostgreSQL) with the real migrations, a
recording adapter instead of a platform, and a fake clock."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from postgres_support import POSTGRES, REQUIRED, postgres_url

from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import Channels, Community, Config, Moderators
from bot.port import (
    Adapter,
    ChoicePicked,
    CommandGiven,
    Event,
    Member,
    Message,
    Place,
    Unreachable,
)
from bot.storage import open_database
from bot.vault import Vault

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin
SECRET = bytes(range(32))


@dataclasses.dataclass
class Sent:
    place: Place
    message: Message
    event: Event | None = None  # set for replies


class RecordingAdapter(Adapter):
    """Stands in for a platform: records everything, can refuse DMs."""

    platform = "console"

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.deleted: list[tuple[Place, str]] = []
        self.unreachable: set[str] = set()
        self._ids = itertools.count(1)

    async def send(self, place: Place, message: Message) -> str:
        if place.is_dm and place.target in self.unreachable:
            raise Unreachable(place.target)
        self.sent.append(Sent(place, message))
        return f"m{next(self._ids)}"

    async def reply(self, event: Event, message: Message) -> None:
        self.sent.append(Sent(event.place, message, event))

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        pass

    async def delete(self, place: Place, message_id: str) -> None:
        self.deleted.append((place, message_id))

    def in_channel(self, channel: str) -> list[Message]:
        """What was posted in a channel for everyone (not private replies)."""
        return [s.message for s in self.sent if s.place.target == channel and s.event is None]

    def texts(self, user: str | None = None) -> list[str]:
        return [s.message.text for s in self.sent if user is None or s.place.target == user]

    def prompts(self, user: str) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.event is None
            and s.place.target == user
            and "Time for your check-in" in s.message.text
        ]

    def clear(self) -> None:
        self.sent.clear()


def community(**overrides: object) -> Community:
    base = Community(
        name="example",
        platform="console",
        channels=Channels(shares="shares", mod_queue="mod-queue", celebrations="celebrations"),
        moderators=Moderators(users=("mona",)),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


class Harness:
    """A running Hearth with helpers to speak as members and move time."""

    def __init__(self, hearth: Hearth, adapter: RecordingAdapter, clock: FakeClock) -> None:
        self.hearth = hearth
        self.adapter = adapter
        self.clock = clock
        self.db = hearth.db
        self._ids = itertools.count(1)

    def event_id(self) -> str:
        return f"e{next(self._ids)}"

    async def command(
        self, user: str, text: str, *, event_id: str | None = None, place: Place | None = None
    ) -> list[str]:
        """Give a command; return the texts of the replies it caused."""
        member = Member("console", user)
        before = len(self.adapter.sent)
        event = CommandGiven(
            event_id or self.event_id(), member, place or Place.dm(member), text, display_name=user
        )
        await self.hearth.handle(event)
        await self.hearth.settle()
        return [s.message.text for s in self.adapter.sent[before:]]

    async def pick(self, user: str, command: str) -> list[str]:
        member = Member("console", user)
        before = len(self.adapter.sent)
        picked = ChoicePicked(self.event_id(), member, Place.dm(member), command, display_name=user)
        await self.hearth.handle(picked)
        return [s.message.text for s in self.adapter.sent[before:]]

    async def advance(self, **delta: float) -> None:
        from datetime import timedelta

        await self.hearth.scheduler.advance_to(self.clock.now() + timedelta(**delta))

    async def advance_to(self, moment: datetime) -> None:
        await self.hearth.scheduler.advance_to(moment)

    async def count(self, table: str) -> int:
        return int(await self.db.fetchval(f"SELECT count(*) FROM {table}"))

    async def member_id(self, user: str, platform: str = "console") -> int | None:
        """The row id of a member, found as Hearth finds it (by the keyed lookup)."""
        return await self.db.fetchval(
            "SELECT id FROM members WHERE lookup = $1", lookup(user, platform)
        )

    async def outbox_rows(self, prefix: str = "") -> list[dict[str, object]]:
        """The outbox as Hearth reads it: each row with its idempotency key (`key`),
        which is stored hashed, and its platform message id, stored sealed."""
        return await outbox_rows(self.db, self.hearth.vault, prefix)

    def outbox_key(self, key: str) -> str:
        """How the outbox stores the idempotency key `key`."""
        from bot.outbox import stored_key

        return stored_key(self.hearth.vault, key)


async def outbox_rows(db: object, vault: Vault, prefix: str = "") -> list[dict[str, object]]:
    import json

    from bot.vault import OUTBOX_BODY, OUTBOX_MESSAGE

    rows = []
    for row in await db.fetch("SELECT * FROM outbox"):  # type: ignore[attr-defined]
        found = dict(zip(row.keys(), tuple(row), strict=True))
        found["key"] = json.loads(vault.open(OUTBOX_BODY, row["id"], row["body"]))["key"]
        if row["message_id"]:
            found["message_id"] = vault.open(OUTBOX_MESSAGE, row["id"], row["message_id"])
        if str(found["key"]).startswith(prefix):
            rows.append(found)
    return rows


async def insert_members(
    db: object, vault: Vault, users: list[str], platform: str = "console", first_id: int = 1
) -> None:
    """Many members at once, stored as bot/members.py stores them (for scale tests)."""
    from bot.members import sealed_row

    rows = [
        (number, *sealed_row(vault, number, Member(platform, user)))
        for number, user in enumerate(users, first_id)
    ]
    for start in range(0, len(rows), 500):
        batch = rows[start : start + 500]
        marks = ", ".join(
            f"(${5 * i + 1}, ${5 * i + 2}, ${5 * i + 3}, ${5 * i + 4}, ${5 * i + 5})"
            for i in range(len(batch))
        )
        await db.execute(  # type: ignore[attr-defined]
            f"INSERT INTO members (id, lookup, platform, identity, secret) VALUES {marks}",
            *(value for row in batch for value in row),
        )
    advance = db.dialect.advance_ids  # type: ignore[attr-defined]
    if advance:
        await db.execute(advance.format(table="members"))  # type: ignore[attr-defined]


def lookup(user: str, platform: str = "console", secret: bytes = SECRET) -> str:
    """The keyed lookup of a member's row (bot/members.py), as a test's SQL needs it."""
    return Vault(secret).member_lookup(Member(platform, user))


ENGINES = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: reads SQLite's own files or catalog; not run on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses `db_url` (so every Harness) runs on both engines."""
    if "db_url" in metafunc.fixturenames:
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        engines = ENGINES[:1] if sqlite_only else ENGINES
        metafunc.parametrize("db_url", engines, indirect=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    POSTGRES.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if POSTGRES.unavailable and not REQUIRED:
        terminalreporter.write_line(
            f"PostgreSQL tests were skipped: {POSTGRES.unavailable}. "
            "Set HEARTH_REQUIRE_POSTGRES=1 to make that a failure.",
            yellow=True,
        )


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path}/hearth.db"
        return
    # A Harness migrates to the latest schema anyway: it may reuse an emptied one.
    reusable = "make_harness" in request.fixturenames
    url = postgres_url(migrated_is_fine=reusable)
    yield url
    if reusable:
        POSTGRES.give_back(url)


@pytest.fixture
async def make_harness(db_url: str) -> AsyncIterator[Callable[..., object]]:
    """Build a Harness; call again with the same database to 'restart'."""
    opened: list[Hearth] = []

    async def build(
        *,
        config: Config | None = None,
        clock: FakeClock | None = None,
        adapter: RecordingAdapter | None = None,
        secret: bytes = SECRET,
    ) -> Harness:
        config = config or Config(database=db_url, communities=(community(),))
        clock = clock or FakeClock(START)
        adapter = adapter or RecordingAdapter()
        db = await open_database(config.database)
        hearth = Hearth(config, db, clock, {"console": adapter}, Vault(secret))
        opened.append(hearth)
        return Harness(hearth, adapter, clock)

    build.opened = opened  # type: ignore[attr-defined]
    yield build
    for hearth in opened:  # a PostgreSQL pool left open would hold its connections
        await hearth.db.close()


@pytest.fixture
async def harness(make_harness: Callable[..., object]) -> AsyncIterator[Harness]:
    h = await make_harness()  # type: ignore[operator]
    yield h
    await h.db.close()
