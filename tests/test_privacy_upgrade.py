"""Migration 7 on a database written by the Hearth before it (tests/fixtures/hearth-v6.db,
made by tests/fixtures/make_v6.py at commit b44064c): the plain ids are sealed in
place, the old pseudonyms become tokens, and everything works as before."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import Config, Moderators, Sharing
from bot.port import CommandGiven, Member, Place
from bot.privacy_upgrade import converters
from bot.storage import DatabaseError, open_database
from bot.storage.migrations import LATEST, current_version
from bot.vault import Vault
from tests import attacker
from tests.conftest import SECRET, START, RecordingAdapter, community

FIXTURE = Path(__file__).parent / "fixtures" / "hearth-v6.db"
PEOPLE = ("ann-7c1d", "bob-5e2a", "cat-3a4b", "dan-8d6e", "mona-9f0b")
ANN, BOB, CAT, DAN, MONA = PEOPLE
pytestmark = pytest.mark.sqlite_only  # the fixture is a SQLite file


@pytest.fixture
def old_copy(tmp_path: Path) -> Path:
    path = tmp_path / "hearth.db"
    shutil.copyfile(FIXTURE, path)
    return path


async def test_the_fixture_is_an_old_database_with_plain_ids(old_copy):
    data = old_copy.read_bytes()
    assert all(person.encode() in data for person in PEOPLE)  # what migration 7 must remove
    db = await open_database(f"sqlite:///{old_copy}", migrate=False)
    try:
        assert await current_version(db) == 6
    finally:
        await db.close()


async def test_without_the_key_the_upgrade_is_refused_and_changes_nothing(old_copy):
    before = old_copy.read_bytes()
    with pytest.raises(DatabaseError, match="needs the deployment key"):
        await open_database(f"sqlite:///{old_copy}")
    db = await open_database(f"sqlite:///{old_copy}", migrate=False)
    try:
        assert await current_version(db) == 6  # the step rolled back as a whole
    finally:
        await db.close()
    assert len(old_copy.read_bytes()) >= len(before) // 2


async def start(path: Path) -> tuple[Hearth, RecordingAdapter]:
    lighthouse = community(
        moderators=Moderators(users=(MONA,)), sharing=Sharing(vetting=True, cooldown_minutes=0)
    )
    config = Config(database=f"sqlite:///{path}", communities=(lighthouse,))
    db = await open_database(config.database, converters=converters(Vault(SECRET)))
    adapter = RecordingAdapter()
    clock = FakeClock(START.replace(day=4))
    return Hearth(config, db, clock, {"console": adapter}, Vault(SECRET)), adapter


EVENTS = iter(range(1, 10_000))


async def say(hearth: Hearth, adapter: RecordingAdapter, who: str, text: str) -> str:
    before = len(adapter.sent)
    member = Member("console", who)
    place = Place.channel("console", "mod-queue") if who == MONA else Place.dm(member)
    await hearth.handle(CommandGiven(f"after-{next(EVENTS)}", member, place, text))
    await hearth.settle()
    return "\n".join(s.message.text for s in adapter.sent[before:])


async def test_the_upgrade_seals_every_id_and_keeps_every_promise(old_copy):
    hearth, adapter = await start(old_copy)
    try:
        assert await current_version(hearth.db) == LATEST
        await hearth.db.compact()
        data = b"".join(
            path.read_bytes() for path in attacker.sqlite_files(f"sqlite:///{old_copy}")
        )
        assert not attacker.platform_ids_in(data, PEOPLE)
        copy = await attacker.snapshot(hearth.db)
        assert not attacker.shared_values(copy)

        # Each member finds what is theirs, and only that.
        assert "#1 — published" in await say(hearth, adapter, ANN, "share list")
        assert "haven't shared" in await say(hearth, adapter, CAT, "share list")
        assert "paused your sharing" in await say(hearth, adapter, BOB, "share Again.")
        assert "your own celebration" in await say(hearth, adapter, ANN, "cheer 1")
        assert "already cheered" in await say(hearth, adapter, CAT, "cheer 1")
        assert "already sent support" in await say(hearth, adapter, CAT, "support 1")
        assert "your own share" in await say(hearth, adapter, ANN, "support 1")
        listed = await say(hearth, adapter, ANN, "milestone list")
        assert "sober" in listed and "2 attempts" in listed and "anonymously" in listed
        log = await say(hearth, adapter, MONA, "mod log")
        assert "mona-9f0b approved share #1" in log and "blocked the author of share #2" in log

        await say(hearth, adapter, CAT, "mydata export")
        export = json.loads(adapter.sent[-1].message.attachment.data)
        assert [r["reply"] for r in export["anonymous_replies"]] == ["1.1"]
        assert export["support_you_sent"] == [{"community": "example", "share": 1}]
        assert [r["reason"] for r in export["reports_you_sent"]] == ["feels off"]
        await say(hearth, adapter, ANN, "mydata export")
        export = json.loads(adapter.sent[-1].message.attachment.data)
        assert [s["number"] for s in export["anonymous_shares"]] == [1]
        (counter,) = export["milestones_and_celebrations"]["counters"]
        assert counter["earlier_runs"] == [{"from": "2026-02-24", "to": "2026-02-25", "days": 1}]
        celebrations = export["milestones_and_celebrations"]["celebrations"]
        # #1 her win; #3 her "sober" counter's 7 days, reached on the first look after.
        assert [(c["number"], c["anonymous"]) for c in celebrations] == [(1, True), (3, True)]
        assert export["checkins"] and export["member"]["user_id"] == ANN

        # A reply still reaches the share's author through the sealed link.
        await say(hearth, adapter, DAN, "reply 1 after the upgrade")
        # replies reach the author batched, like support
        await hearth.advance_to(hearth.clock.now() + timedelta(minutes=16))
        assert any(
            "replied to your share #1" in s.message.text
            for s in adapter.sent
            if s.place.target == ANN
        )
        await say(hearth, adapter, ANN, "mydata delete confirm")
        assert "haven't shared" in await say(hearth, adapter, ANN, "share list")
    finally:
        await hearth.db.close()
