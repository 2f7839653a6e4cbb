"""The anonymity audit across every feature and adapter.

One scenario touches everything a member can do anonymously or privately:
check-ins with notes, shares (one behind a content warning), an anonymous
reply, support, a report, a block, celebrations anonymous and public, cheers,
milestones reached anonymously and publicly, a share held as a possible
crisis, the moderators' queue, log and stats, and a data export.

It runs on the console (a recording adapter), on Discord (discord.py over the
fake transport: every HTTP request recorded) and on Matrix (each message as
the content the adapter sends, each member's event parsed by nio and
translated). Afterwards nobody but the author can tie an anonymous author to
their words through Hearth: not the database file (its bytes, WAL and shared
memory, and a dump), not any log line at DEBUG, not any outbound request, not
anything shown in a channel or to a moderator.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import Channels, Community, Config, Moderators, Sharing
from bot.port import Adapter, CommandGiven, Event, Member, Message, Place
from bot.storage import open_database
from bot.vault import Vault
from tests.conftest import SECRET, START, Harness

# Distinctive ids, so a byte search cannot hit by chance.
AUTHOR = "member-5f3a9c"  # shares, replies to their own share, an anonymous win and milestone
REPLIER = "member-c0ffee"  # an anonymous reply
HELPER = "member-b0a7ed"  # support, a report and cheers: anonymous to the authors too
TROUBLED = "member-a11ce5"  # a share held as a possible crisis
PUBLIC = "pat"  # celebrates with their name, as they chose
MODERATOR = "mona"
HIDDEN = (AUTHOR, REPLIER, HELPER, TROUBLED)
# Words written anonymously or privately: posted where the author chose, sealed at rest,
# never in a log.
WORDS = (
    "Evenings are hard",
    "Evenings were hard for me too",
    "thank you both",
    "My old dog died",
    "Ninety days without a drink",
    "end my life",
    "calling my sponsor",
    "feels off",
)

ANONYMOUS_TABLES = ("shares", "share_replies", "share_reports", "share_blocks", "share_drafts")

Step = tuple[str, str, str] | timedelta
STEPS: tuple[Step, ...] = (
    (AUTHOR, "dm", "checkin 3 rough evening, thinking of calling my sponsor #cravings"),
    (AUTHOR, "dm", "share Three weeks sober. Evenings are hard."),
    (MODERATOR, "mod-queue", "mod queue"),
    (MODERATOR, "mod-queue", "mod approve 1"),
    (REPLIER, "dm", "reply 1 Evenings were hard for me too."),
    (HELPER, "dm", "support 1"),
    (HELPER, "dm", "report 1.1 feels off"),
    timedelta(minutes=20),
    (AUTHOR, "dm", "reply 1 thank you both"),
    (AUTHOR, "dm", "share cw grief | My old dog died on Sunday"),
    (MODERATOR, "mod-queue", "mod approve 2"),
    (MODERATOR, "mod-queue", "mod block 1 3"),
    (AUTHOR, "dm", "share am I blocked?"),
    (AUTHOR, "dm", "celebrate Ninety days without a drink anonymous"),
    (PUBLIC, "dm", "celebrate Finished my first painting"),
    (HELPER, "dm", "cheer 1"),
    (PUBLIC, "dm", "cheer 1"),
    (AUTHOR, "dm", "milestone set sober 2026-02-24 anonymous Europe/Berlin"),
    (PUBLIC, "dm", "milestone set smokefree 2026-02-24 public Europe/Berlin"),
    timedelta(hours=17),  # past midnight in Berlin: both reach 7 days
    (HELPER, "dm", "cheer 3"),
    (HELPER, "dm", "cheer 4"),
    (TROUBLED, "dm", "share I want to end my life"),
    (MODERATOR, "mod-queue", "mod queue"),
    (MODERATOR, "mod-queue", "mod log"),
    (MODERATOR, "mod-queue", "mod stats"),
    (AUTHOR, "dm", "mydata export"),
    timedelta(hours=1),
)

Say = Callable[[str, str, str], Awaitable[object]]
Advance = Callable[[timedelta], Awaitable[object]]


async def play(say: Say, advance: Advance) -> None:
    for step in STEPS:
        if isinstance(step, timedelta):
            await advance(step)
        else:
            await say(*step)


def log_lines(records: list[logging.LogRecord]) -> str:
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in records
    )


def assert_logs_hide_everyone(records: list[logging.LogRecord], *extra: str) -> None:
    assert records, "the scenario logs something"
    logged = log_lines(records)
    for secret in (*HIDDEN, *WORDS, *extra):
        assert secret not in logged, secret


# --- the database --------------------------------------------------------------------


def page_owners(db_path: Path) -> tuple[int, dict[int, str]]:
    """The page size, and which table or index each page of the database holds."""
    with sqlite3.connect(db_path) as db:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("SELECT name, pageno FROM dbstat")
        return size, {page: name for name, page in pages}


def pages_holding(data: bytes, needle: bytes, size: int, *, wal: bool) -> set[int]:
    """The database page of each place `needle` appears (in the WAL, from its frame header)."""
    found, start = set(), data.find(needle)
    while start != -1:
        if wal:  # a 32-byte header, then frames: 24-byte header (page number first), a page
            frame = 32 + (start - 32) // (24 + size) * (24 + size)
            found.add(int.from_bytes(data[frame : frame + 4], "big"))
        else:
            found.add(start // size + 1)
        start = data.find(needle, start + 1)
    return found


def audit_database(db_path: Path, hidden: tuple[str, ...]) -> None:
    with sqlite3.connect(db_path) as db:
        dump = list(db.iterdump())
        schema = db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'members'")
        member_tables = {name for (name,) in schema}  # the table and its indexes
        anonymous = db.execute(
            "SELECT count(*) FROM celebrations "
            "WHERE author_key IS NOT NULL AND member_id IS NOT NULL"
        ).fetchone()[0]
        columns = {
            table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for table in ANONYMOUS_TABLES
        }
    # A dump names the members, and only in the members table.
    for person in hidden:
        holding = [line for line in dump if person in line]
        assert holding, f"{person} is a member"
        assert all(line.startswith('INSERT INTO "members"') for line in holding), holding
    assert anonymous == 0, "an anonymous celebration keeps its author's member id"
    for table, names in columns.items():
        assert not {"member_id", "user_id", "platform"} & names, table
    # The files: words only sealed; ids only in the pages of the members table.
    size, owners = page_owners(db_path)
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db_path}{suffix}")
        data = path.read_bytes() if path.exists() else b""
        for words in WORDS:
            assert words.encode() not in data, (suffix, words)
        for person in hidden:
            pages = pages_holding(data, person.encode(), size, wal=suffix == "-wal")
            assert suffix != "-shm" or not pages, person
            assert {owners.get(page, "free") for page in pages} <= member_tables, (suffix, person)


# --- the console ---------------------------------------------------------------------------


def moderator_view(h: Harness) -> list[str]:
    return [
        sent.message.text + (sent.message.spoiler.text if sent.message.spoiler else "")
        for sent in h.adapter.sent
        if sent.place.target in (MODERATOR, "mod-queue")
        or (sent.event is not None and sent.event.member.user_id == MODERATOR)
    ]


@pytest.mark.sqlite_only  # reads the database files
async def test_the_console_keeps_every_anonymous_author_hidden(harness: Harness, db_url, caplog):
    caplog.set_level(logging.DEBUG)
    h = harness

    async def say(who: str, place: str, text: str) -> None:
        where = None if place == "dm" else Place.channel("console", place)
        await h.command(who, text, place=where)

    await play(say, lambda step: h.advance(seconds=step.total_seconds()))

    public = [s for s in h.adapter.sent if not s.place.is_dm]
    shown = [s.message.text + (s.message.spoiler.text if s.message.spoiler else "") for s in public]
    assert any("Anonymous share #2" in text for text in shown)
    assert any("Someone in our community reached 7 days" in text for text in shown)
    assert any(f"{PUBLIC} reached 7 days" in text for text in shown)  # as they chose
    assert any("Possible crisis" in text for text in moderator_view(h))
    for text in shown + moderator_view(h):
        assert not any(person in text for person in HIDDEN), text
    # Each private answer went to the one who asked, by DM or "only" them.
    for sent in h.adapter.sent:
        if sent.event is not None and not sent.place.is_dm:
            assert sent.event.member.user_id in (MODERATOR, PUBLIC, *HIDDEN)
    assert_logs_hide_everyone(caplog.records)
    audit_database(Path(db_url.removeprefix("sqlite:///")), HIDDEN)


# --- Discord ------------------------------------------------------------------------------


@pytest.fixture
def discord_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/hearth.db"


async def test_discord_requests_keep_every_anonymous_author_hidden(discord_url, caplog):
    pytest.importorskip("discord")
    from adapters.discord import commands as spec
    from bot.config import DEFAULT_MOOD_LABELS
    from tests.discord_payloads import (
        CELEBRATIONS,
        MOD_QUEUE,
        MOD_ROLE,
        SHARES,
        dm_message,
        slash,
        user,
    )
    from tests.discord_support import discord_config, harbour, start

    caplog.set_level(logging.DEBUG)  # as `log.level: DEBUG`: before the adapter tames discord.py
    people = {
        name: user(400000000000000100 + n, name)
        for n, name in enumerate((*HIDDEN, PUBLIC, MODERATOR))
    }
    leaves = {leaf.qualified_name: leaf for leaf in spec.leaves(DEFAULT_MOOD_LABELS)}
    h = await start(
        discord_config(discord_url, harbour(sharing=Sharing(vetting=True, cooldown_minutes=1)))
    )
    try:

        async def say(who: str, place: str, text: str) -> None:
            if place == "dm":  # members type `!command` in their DM with the bot
                channel = str(700000000000000500 + list(people).index(who))
                await h.run("MESSAGE_CREATE", dm_message(people[who], f"!{text}", channel))
                return
            words = text.split()
            leaf = leaves[" ".join(words[:2])]
            values = {
                option.name: option.kind(value) if option.kind is int else value
                for option, value in zip(leaf.options, words[2:], strict=False)
            }
            await h.interact(
                slash(people[who], leaf.qualified_name, values, channel=MOD_QUEUE, roles=[MOD_ROLE])
            )

        await play(say, lambda step: h.advance(seconds=step.total_seconds()))
        await h.flush()
    finally:
        await h.stop()

    ids = tuple(people[person]["id"] for person in HIDDEN)
    identities = ids + tuple(people[person]["username"] for person in HIDDEN)
    requests = h.fake.requests
    in_channels = (f"/channels/{SHARES}/", f"/channels/{CELEBRATIONS}/")
    everyone_sees = [r for r in requests if r.path.startswith(in_channels)]
    # Only the moderator uses slash commands here: every interaction answer is theirs.
    moderators_see = [
        r
        for r in requests
        if r.path.startswith((f"/channels/{MOD_QUEUE}/", "/interactions/", "/webhooks/"))
    ]
    assert everyone_sees and moderators_see
    assert any("Someone in our community reached 7 days" in r.text for r in everyone_sees)
    for request in everyone_sees + moderators_see:
        assert not any(identity in request.text for identity in identities), request.text
    for request in requests:  # a request may name a member, or carry anonymous words: never both
        if any(identity in request.text for identity in identities):
            assert not any(words in request.text for words in WORDS), request.text
    assert_logs_hide_everyone(caplog.records, *identities)
    audit_database(Path(discord_url.removeprefix("sqlite:///")), ids)


# --- Matrix -----------------------------------------------------------------------------------


@dataclass
class Posted:
    room: str
    content: dict[str, Any]
    txn: str


class MatrixContent(Adapter):
    """The Matrix adapter's outbound half without a homeserver: each message as the
    `m.room.message` content it sends, each choice's reaction, each transaction id."""

    platform = "matrix"

    def __init__(self, dm_rooms: dict[str, str]) -> None:
        from adapters.matrix.client import transaction_id

        self.dm_rooms = dm_rooms
        self.posted: list[Posted] = []
        self._txn = transaction_id
        self._count = 0

    def _room(self, place: Place) -> str:
        return self.dm_rooms[place.target] if place.is_dm else place.target

    async def send(self, place: Place, message: Message) -> str:
        from adapters.matrix import translate

        self._count += 1
        event_id = f"$event{self._count}"
        room = self._room(place)
        txn = self._txn(b"k" * 32, message.idempotency_key, "message")
        self.posted.append(Posted(room, translate.message_content(message), txn))
        for choice in message.choices:
            if choice.emoji:
                content = translate.reaction_content(event_id, choice.emoji)
                self.posted.append(Posted(room, content, self._txn(b"k" * 32, event_id, "react")))
        return event_id

    async def reply(self, event: Event, message: Message) -> None:
        await self.send(Place.dm(event.member), message)

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        pass

    async def delete(self, place: Place, message_id: str) -> None:
        pass


async def test_matrix_contents_keep_every_anonymous_author_hidden(tmp_path, caplog):
    pytest.importorskip("nio")
    from nio import Event as NioEvent

    from adapters.matrix import translate

    caplog.set_level(logging.DEBUG)
    server = "hearth.test"
    ids = {name: f"@{name}:{server}" for name in (*HIDDEN, PUBLIC, MODERATOR)}
    dm_rooms = {ids[name]: f"!dm-{n}:{server}" for n, name in enumerate(ids)}
    rooms = {"shares": f"!shares:{server}", "mod-queue": f"!modq:{server}"}
    rooms["celebrations"] = f"!yay:{server}"
    lighthouse = Community(
        name="lighthouse",
        platform="matrix",
        channels=Channels(rooms["shares"], rooms["mod-queue"], rooms["celebrations"]),
        moderators=Moderators(power_level=50),
        sharing=Sharing(vetting=True, cooldown_minutes=1),
    )
    config = Config(database=f"sqlite:///{tmp_path}/hearth.db", communities=(lighthouse,))
    platform = MatrixContent(dm_rooms)
    clock = FakeClock(START)
    db = await open_database(config.database)
    hearth = Hearth(config, db, clock, {"matrix": platform}, Vault(SECRET))
    counter = iter(range(1, 10_000))

    async def say(who: str, place: str, text: str) -> None:
        sender = ids[who]
        room = dm_rooms[sender] if place == "dm" else rooms[place]
        source = {
            "type": "m.room.message",
            "sender": sender,
            "content": {"msgtype": "m.text", "body": f"!{text}"},
            "origin_server_ts": 1772434800000,
            "event_id": f"$in{next(counter)}",
        }
        where = translate.Where(
            room, sender if place == "dm" else None, 50 if who == MODERATOR else 0
        )
        event = translate.inbound(NioEvent.parse_event(source), where)
        assert isinstance(event, CommandGiven) and event.member == Member("matrix", sender)
        await hearth.handle(event)
        await hearth.settle()

    try:
        await play(say, lambda step: hearth.scheduler.advance_to(clock.now() + step))
    finally:
        await db.close()

    hidden = tuple(ids[name] for name in HIDDEN)
    in_rooms = [p for p in platform.posted if p.room in rooms.values()]
    assert any(
        "Someone in our community reached 7 days" in json.dumps(p.content, ensure_ascii=False)
        for p in in_rooms
    )
    for post in in_rooms:
        shown = json.dumps(post.content, ensure_ascii=False) + post.txn
        assert not any(identity in shown for identity in hidden), shown
        if "body" in post.content:
            assert post.content["m.mentions"] == {}  # pings nobody
    assert_logs_hide_everyone(caplog.records, *hidden)
    audit_database(tmp_path / "hearth.db", hidden)
