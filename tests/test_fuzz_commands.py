"""Fuzzing the command parser and every handler through `Hearth.handle`:
whatever words a member sends, from wherever, nothing raises past `handle`,
nothing ends in "something went wrong", and a refused command leaves every
table exactly as it was (no partial write).

The examples run against one community that already holds shares (pending,
published, with a reply), a celebration, a schedule, a counter and a block,
so numbers and names in the fuzzed words meet real rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import SORRY, Hearth
from bot.clock import FakeClock
from bot.config import Config, Sharing
from bot.port import ChoicePicked, CommandGiven, Event, Member, MessagePosted, Place
from bot.storage import Database, open_database
from bot.storage.migrations import table_names
from bot.vault import Vault
from tests.conftest import SECRET, START, RecordingAdapter, community

T = TypeVar("T")
# Every fuzzer's settings: a modest count in `make test`; the "long" profile
# (HYPOTHESIS_PROFILE=long, or HEARTH_SLOW_TESTS=1) for a night's hunt.
# Examples share one database, so a fixture outliving them is the point.
settings.register_profile(
    "fuzz",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("long", settings.get_profile("fuzz"), max_examples=1000)
SLOW = os.environ.get("HEARTH_SLOW_TESTS") == "1"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("long" if SLOW else "fuzz")
FUZZ = settings.get_profile(PROFILE)
MODERATOR = "mona"
PLACES = ("dm", "shares", "mod-queue", "celebrations", "general")


async def digest(db: Database) -> str:
    """Every row of every table, order-free: equal digests, equal contents."""
    summary = hashlib.sha256()
    for table in table_names():
        rows = sorted(repr(tuple(row)) for row in await db.fetch(f"SELECT * FROM {table}"))
        summary.update(f"{table}:{len(rows)}:{'|'.join(rows)}".encode("utf-8", "surrogatepass"))
    return summary.hexdigest()


class World:
    """A Hearth with some history, on a loop of its own (hypothesis examples are
    plain functions), and the facts each example checks."""

    def __init__(self, hearth: Hearth, adapter: RecordingAdapter, clock: FakeClock) -> None:
        self.hearth = hearth
        self.adapter = adapter
        self.clock = clock
        self.ids = 0

    @classmethod
    async def open(cls, url: str) -> World:
        config = Config(
            database=url,
            communities=(community(sharing=Sharing(vetting=True, cooldown_minutes=1)),),
        )
        clock = FakeClock(START)
        adapter = RecordingAdapter()
        db = await open_database(url)
        world = cls(Hearth(config, db, clock, {"console": adapter}, Vault(SECRET)), adapter, clock)
        for who, place, text in HISTORY:
            answer = await world.say(who, text, place)
            assert SORRY not in answer, (text, answer)
            await world.hearth.scheduler.advance_to(clock.now() + timedelta(minutes=11))
        return world

    def member_event(self, who: str, place: str, text: str, kind: str = "command") -> Event:
        self.ids += 1
        member = Member("console", who)
        where = Place.dm(member) if place == "dm" else Place.channel("console", place)
        if kind == "choice":
            return ChoicePicked(f"f{self.ids}", member, where, text)
        if kind == "message":
            return MessagePosted(f"f{self.ids}", member, where, text)
        return CommandGiven(f"f{self.ids}", member, where, text)

    async def say(self, who: str, text: str, place: str = "dm") -> list[str]:
        before = len(self.adapter.sent)
        await self.hearth.handle(self.member_event(who, place, text))
        await self.hearth.settle()
        return [s.message.text for s in self.adapter.sent[before:]]

    def errors(self, kind: str) -> float:
        registry = self.hearth.metrics.registry
        return registry.get_sample_value("hearth_errors_total", {"kind": kind}) or 0.0

    async def check(self, event: Event) -> list[str]:
        """Handle `event` and check the promises; return what the member was told."""
        before = await digest(self.hearth.db)
        refusals, failures = self.errors("refusal"), self.errors("failure")
        sent = len(self.adapter.sent)
        await self.hearth.handle(event)  # raising here fails the example
        told = [s.message.text for s in self.adapter.sent[sent:]]
        assert self.errors("failure") == failures, told
        assert not any(SORRY in text or "Traceback" in text for text in told), told
        if self.errors("refusal") > refusals:
            assert told, "a refusal says why"
            assert await digest(self.hearth.db) == before, f"a refusal wrote something: {told}"
        await self.hearth.settle()  # then deliver what it queued, as after every event
        return told

    async def close(self) -> None:
        await self.hearth.db.close()


HISTORY = (
    ("ana", "dm", "checkin schedule 09:00 Europe/Berlin"),
    ("ana", "dm", "checkin 3 slow start #sleep"),
    ("ana", "dm", "share Evenings are the hardest part"),
    ("bob", "dm", "share Three weeks today"),
    (MODERATOR, "mod-queue", "mod approve 2"),
    ("ana", "dm", "reply 2 Proud of you"),
    ("bob", "dm", "milestone set sober 2026-02-20 anonymous Europe/London"),
    ("bob", "dm", "celebrate A whole month of mornings anonymous"),
    ("ana", "dm", "share Someone please call 0151 2345678"),
    (MODERATOR, "mod-queue", "mod block 1 3"),
    ("cy", "dm", "report 2 not kind"),
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, asyncio.AbstractEventLoop]]:
    loop = asyncio.new_event_loop()
    opened = loop.run_until_complete(World.open(f"sqlite:///{tmp_path}/hearth.db"))
    yield opened, loop
    loop.run_until_complete(opened.close())
    loop.close()


def run(loop: asyncio.AbstractEventLoop, step: Coroutine[Any, Any, T]) -> T:
    return loop.run_until_complete(step)


# --- what members might type ------------------------------------------------------------

COMMANDS = (
    "checkin",
    "share",
    "reply",
    "support",
    "report",
    "milestone",
    "celebrate",
    "cheer",
    "mod",
    "mydata",
    "help",
    "resources",
    "privacy",
    "contact",
    "said",
)
WORDS = (
    # subcommands
    *("schedule", "pause", "resume", "skip", "snooze", "quiet", "history", "stop", "list"),
    *("delete", "confirm", "cancel", "cw", "set", "reset", "visibility", "remove", "export"),
    *("queue", "approve", "reject", "block", "unblock", "stats", "log", "reload", "yes", "no"),
    *("private", "anonymous", "public", "daily", "weekdays", "weekends"),
    # numbers, times, dates and zones: fine, wrong, and wrong in odd ways
    *("0", "1", "2", "3", "4", "5", "6", "-1", "1.5", "1e309", "nan", "NaN", "٣", "³"),
    *("99999999999999999999", "2.1", "1.1", "1.99", "2."),
    *("09:00", "9:00", "24:00", "23:59", "25:61", "-1:00", ":::", "09:00-07:00", "22:00-22:00"),
    *("off", "2026-02-30", "2026-01-03", "0001-01-01", "9999-12-31", "1899-12-31", "today"),
    *("yesterday", "Europe/Berlin", "UTC", "utc", "Mars/Olympus", "../../etc/passwd"),
    *("America/New_York", "Etc/GMT+14", "mon,wed,fri", "monday", ",", "mon,,fri"),
    "--community",
    "--community=example",
    "--community=",
    "|",
    "#tag",
    "@everyone",
    "<@123>",
    "https://example.org",
    "me@example.org",
    "+44 7700 900123",
    "\u202eevil\u202c",  # right-to-left override
    "\u200b",  # zero width space
    "e\u0301\u0301\u0301",  # combining marks
    "🙂👩‍👩‍👧",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "x" * 2100,
    "I want to end my life",
)
texts = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda name, words: " ".join([name, *words]),
        st.sampled_from(COMMANDS),
        st.lists(st.sampled_from(WORDS) | st.text(max_size=20), max_size=6),
    ),
)
who = st.sampled_from(("ana", "bob", MODERATOR, "newcomer", "x" * 64))


@FUZZ
@given(text=texts, member=who, place=st.sampled_from(PLACES))
def test_any_command_is_answered_and_a_refusal_changes_nothing(world, text, member, place):
    hearth_world, loop = world
    run(loop, hearth_world.check(hearth_world.member_event(member, place, text)))


@FUZZ
@given(
    text=texts,
    member=who,
    kind=st.sampled_from(("choice", "message")),
    place=st.sampled_from(PLACES),
)
def test_any_choice_or_plain_message_is_answered_safely(world, text, member, kind, place):
    hearth_world, loop = world
    run(loop, hearth_world.check(hearth_world.member_event(member, place, text, kind)))


def test_a_replayed_event_has_no_second_effect(world):
    hearth_world, loop = world
    event = hearth_world.member_event("ana", "dm", "checkin 4 again #replay")
    run(loop, hearth_world.check(event))
    before = run(loop, digest(hearth_world.hearth.db))
    assert run(loop, hearth_world.check(event)) == []  # nothing said, nothing written
    assert run(loop, digest(hearth_world.hearth.db)) == before
