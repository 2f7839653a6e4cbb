"""The anonymity audit across every feature and adapter.

One scenario touches everything a member can do anonymously or privately:
check-ins with notes, a safety plan, shares (one behind a content warning),
an anonymous reply, support, a report, a block, celebrations anonymous and
public, cheers, milestones reached anonymously and publicly, a share held as
a possible crisis, a buddy pairing, the moderators' queue, log and stats, and
a data export.

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
from tests.conftest import SECRET, START, Harness, RecordingAdapter

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
    "Walk to the harbour wall",  # a step of a safety plan: the member's alone
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
    (TROUBLED, "dm", "celebrate a week clean but I want to die anonymous"),  # held: sealed
    (MODERATOR, "mod-queue", "mod queue"),
    (MODERATOR, "mod-queue", "mod log"),
    (MODERATOR, "mod-queue", "mod stats"),
    (AUTHOR, "dm", "safetyplan edit 2 Walk to the harbour wall and phone my sister"),
    # Buddies: the author and the helper pair up (named to each other, by their choice).
    (AUTHOR, "dm", "buddy join walking Europe/Berlin"),
    (HELPER, "dm", "buddy join walking night shifts Europe/Berlin"),
    (AUTHOR, "dm", "buddy accept"),
    (HELPER, "dm", "buddy accept"),
    (AUTHOR, "dm", "mydata export"),
    timedelta(hours=7),  # an anonymous milestone post goes out within six hours
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


def audit_database(db_path: Path, hidden: tuple[str, ...]) -> None:
    with sqlite3.connect(db_path) as db:
        dump = list(db.iterdump())
        anonymous = db.execute(
            "SELECT count(*) FROM celebrations WHERE owner IS NOT NULL AND member_id IS NOT NULL"
        ).fetchone()[0]
        columns = {
            table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for table in ANONYMOUS_TABLES
        }
    # No member's platform id anywhere: not in a dump, not in any page of any file.
    for person in hidden:
        assert not [line for line in dump if person in line], person
    assert anonymous == 0, "an anonymous celebration keeps its author's member id"
    for table, names in columns.items():
        assert not {"member_id", "user_id", "platform"} & names, table
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db_path}{suffix}")
        data = path.read_bytes() if path.exists() else b""
        for words in WORDS:
            assert words.encode() not in data, (suffix, words)
        for person in hidden:
            assert person.encode() not in data, (suffix, person)


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
    h = await start(
        discord_config(discord_url, harbour(sharing=Sharing(vetting=True, cooldown_minutes=1)))
    )
    # the slash commands as the adapter offers them: what the core declares
    leaves = {command.qualified_name: command for command in h.adapter.declared.commands}
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
        levels = {"lighthouse": 50 if who == MODERATOR else 0}  # the adapter's power levels
        where = translate.Where(room, sender if place == "dm" else None, levels)
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


# --- the copy, on both engines: what someone with the database and no key can learn ------

from tests import attacker  # noqa: E402

SOMEONE = "member-9e0d44"  # checks in and supports; never writes anything anonymous
NAMED = "member-pat-71d2"  # celebrates with their name, as they chose
WARDEN = "member-mona-3b8e"  # the moderator
EVERYONE = (*HIDDEN, SOMEONE, NAMED, WARDEN)
LINK_DAYS = 30
COOLDOWN_MINUTES = 10
# Every fixed interval Hearth adds to a time it stores: an attacker tries each.
OFFSETS = tuple(
    sign * span
    for span in (0, COOLDOWN_MINUTES * 60, 3600, 86400, LINK_DAYS * 86400, (LINK_DAYS + 1) * 86400)
    for sign in (1, -1)
)


def copy_scenario() -> tuple[Step, ...]:
    """The scenario above, with its people renamed, and the everyday check-ins of a
    community around it (on a day when only one member is active, everything that
    day is theirs by elimination: docs/privacy.md says so)."""
    rename = {PUBLIC: NAMED, MODERATOR: WARDEN}
    steps: list[Step] = []
    for step in STEPS:
        if isinstance(step, timedelta):
            steps.append(step)
            if step >= timedelta(hours=17):  # a new day: everyone checks in again
                steps += [(who, "dm", "checkin 4") for who in (SOMEONE, NAMED, HELPER, REPLIER)]
            continue
        who, place, text = step
        steps.append((rename.get(who, who), place, text))
    daily = [(who, "dm", "checkin 3") for who in (SOMEONE, NAMED, HELPER, REPLIER, TROUBLED)]
    return (*daily, *steps, *ENCOURAGEMENT)


# Encouragement notes (issue 20): two writers, a vetted note each, delivered after low
# check-ins and thanked; none may be tied to its writer or to whom it reached.
ENCOURAGEMENT: tuple[Step, ...] = (
    (AUTHOR, "dm", "encourage You got through yesterday. Be gentle with yourself today."),
    (HELPER, "dm", "encourage One step, then another. You are not alone."),
    (WARDEN, "mod-queue", "mod approve e1"),
    (WARDEN, "mod-queue", "mod approve e2"),
    (REPLIER, "dm", "checkin encouragement on"),
    (SOMEONE, "dm", "checkin encouragement on"),
    (REPLIER, "dm", "checkin 2"),
    (SOMEONE, "dm", "checkin 2"),
    (REPLIER, "dm", "encourage thanks 1"),
    (REPLIER, "dm", "encourage thanks 2"),
    (SOMEONE, "dm", "encourage thanks 1"),
    (SOMEONE, "dm", "encourage thanks 2"),
    timedelta(minutes=20),
)


async def start_copy_world(db_url: str) -> tuple[Hearth, RecordingAdapter, FakeClock]:
    from tests.conftest import community

    lighthouse = community(
        moderators=Moderators(users=(WARDEN,)),
        sharing=Sharing(vetting=True, cooldown_minutes=COOLDOWN_MINUTES, link_days=LINK_DAYS),
    )
    config = Config(database=db_url, communities=(lighthouse,))
    clock = FakeClock(START)
    adapter = RecordingAdapter()
    db = await open_database(db_url)
    return Hearth(config, db, clock, {"console": adapter}, Vault(SECRET)), adapter, clock


EVENT_IDS = iter(range(1, 1_000_000))


async def play_copy(hearth: Hearth, clock: FakeClock, steps: tuple[Step, ...]) -> None:
    for step in steps:
        if isinstance(step, timedelta):
            await hearth.scheduler.advance_to(clock.now() + step)
            continue
        who, place, text = step
        member = Member("console", who)
        where = Place.dm(member) if place == "dm" else Place.channel("console", place)
        await hearth.handle(CommandGiven(f"c{next(EVENT_IDS)}", member, where, text))
        await hearth.settle()


async def database_bytes(hearth: Hearth, db_url: str) -> bytes:
    if db_url.startswith("sqlite"):
        files = attacker.sqlite_files(db_url)
    else:
        files = await attacker.postgres_files(hearth.db)
    assert files
    return b"".join(path.read_bytes() for path in files)


def judge(copy: attacker.Snapshot, who: attacker.Oracle) -> None:
    """Everything the attacker tries on one copy, and what they must not get."""
    assert not attacker.shared_values(copy)
    named = attacker.time_joins(copy, who.authors, OFFSETS)
    assert not [(item, who.names[member]) for item, _t, member in named]


async def test_a_copy_of_the_database_names_no_one(db_url):
    hearth, _adapter, clock = await start_copy_world(db_url)
    try:
        await play_copy(hearth, clock, copy_scenario())
        data = await database_bytes(hearth, db_url)
        assert not attacker.platform_ids_in(data, EVERYONE)
        for words in WORDS:
            assert words.encode() not in data, words
        before = await attacker.snapshot(hearth.db)
        who = attacker.oracle(before, Vault(SECRET), ["example"])
        # The oracle (with the key) sees every kind of anonymous item, by its author.
        authored = {table for table, _index in who.authors}
        assert {"shares", "share_replies", "share_supports", "share_reports"} <= authored
        assert {"celebrations", "celebration_cheers"} <= authored
        assert {"encouragement_notes", "encouragement_receipts"} <= authored
        judge(before, who)

        # A second copy after one member's `mydata delete`: the difference is theirs
        # alone; everyone else's anonymous items read exactly as before (but for
        # replies under a share of theirs, taken down with it, as everyone saw).
        await play_copy(hearth, clock, ((AUTHOR, "dm", "mydata delete confirm"),))
        after = await attacker.snapshot(hearth.db)
        gone = next(m for m, name in who.names.items() if name == AUTHOR)
        theirs = {(t, before[t][i]["id"]) for (t, i), a in who.authors.items() if a == gone}

        def on_theirs(row: dict) -> bool:  # a reply, support or cheer on an item of theirs
            return ("shares", row.get("share_id")) in theirs or (
                "celebrations",
                row.get("celebration_id"),
            ) in theirs

        for (table, index), author in who.authors.items():
            row = before[table][index]
            if author != gone and not on_theirs(row):
                assert row in after[table], (table, row)
        assert not attacker.platform_ids_in(await database_bytes(hearth, db_url), EVERYONE)
        later = attacker.oracle(after, Vault(SECRET), ["example"])
        assert gone not in later.authors.values()
        judge(after, later)
    finally:
        await hearth.db.close()
