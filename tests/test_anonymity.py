"""The anonymity audit: after a full sharing scenario, nothing stored, logged,
posted or shown to moderators links an anonymous author to their words."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.crypto import SealError
from bot.port import Place
from bot.vault import REPLY_AUTHOR, SHARE_AUTHOR, Vault
from tests.conftest import Harness

AUTHOR = "member-5f3a9c"  # distinctive, so a byte search cannot hit by chance
REPLIER = "member-c0ffee"
MOD_QUEUE = Place.channel("console", "mod-queue")


async def scenario(h: Harness) -> None:
    await h.command(AUTHOR, "share Three weeks sober. Evenings are hard.")
    await h.command("mona", "mod approve 1", place=MOD_QUEUE)
    await h.command(REPLIER, "reply 1 Evenings were hard for me too.")
    await h.command("carol", "support 1")
    await h.command("carol", "report 1.1 feels off")
    await h.advance(minutes=20)
    await h.command(AUTHOR, "reply 1 thank you both")
    await h.command("mona", "mod queue", place=MOD_QUEUE)
    await h.command("mona", "mod block 1 3", place=MOD_QUEUE)
    await h.command(AUTHOR, "share am I blocked?")
    await h.advance(hours=4)
    await h.command(AUTHOR, "share I want to end my life")
    await h.command("mona", "mod queue", place=MOD_QUEUE)
    await h.command(AUTHOR, "share list")
    await h.advance(hours=1)


@pytest.fixture
async def audited(harness, caplog):
    caplog.set_level(logging.DEBUG)
    await scenario(harness)
    return harness


def dump(db_url: str) -> list[str]:
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.mark.sqlite_only  # reads the database files
async def test_the_database_links_no_author_to_anything_anonymous(audited, db_url):
    lines = dump(db_url)
    for person in (AUTHOR, REPLIER):  # not even in the members table: ids are sealed there
        assert not [line for line in lines if person in line]
    # The words were written, but only sealed.
    raw = b"".join(p.read_bytes() for p in Path(db_url.removeprefix("sqlite:///")).parent.glob("*"))
    assert b"Evenings are hard" not in raw and b"end my life" not in raw
    member_ids = {str(r["id"]) for r in await audited.db.fetch("SELECT id FROM members")}
    columns = {r["name"] for r in await audited.db.fetch("PRAGMA table_info(shares)")}
    assert not {"member_id", "user_id", "platform"} & columns
    assert member_ids  # nothing above could join them to a share


async def test_without_the_key_nothing_maps_back_to_the_author(audited):
    rows = await audited.db.fetch("SELECT id, owner, author_link FROM shares")
    guesses = set()
    for person in (AUTHOR, REPLIER):
        for text in (person, f"console:{person}", f"example:console:{person}"):
            for algorithm in ("md5", "sha1", "sha256", "sha512"):
                guesses.add(hashlib.new(algorithm, text.encode()).hexdigest())
    other_key = Vault(bytes(range(200, 232)))
    for row in rows:
        assert row["owner"] not in guesses
        if row["author_link"]:
            with pytest.raises(SealError):
                other_key.open(SHARE_AUTHOR, row["id"], row["author_link"])
    for row in await audited.db.fetch("SELECT id, owner, author_link FROM share_replies"):
        assert row["owner"] not in guesses
        if row["author_link"]:
            with pytest.raises(SealError):
                other_key.open(REPLY_AUTHOR, row["id"], row["author_link"])


async def test_no_log_line_names_an_author(audited, caplog):
    records = caplog.get_records("setup")  # the scenario ran while setting up `audited`
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)
    assert records
    for secret in (AUTHOR, REPLIER, "Evenings are hard", "end my life"):
        assert secret not in logged


async def test_channels_and_moderators_never_see_an_author(audited):
    public = [s for s in audited.adapter.sent if not s.place.is_dm]
    assert any("Anonymous share #1" in s.message.text for s in public)
    assert any("Possible crisis" in s.message.text for s in public)
    for sent in public:  # channel posts, the mod queue, and private replies to moderators
        shown = sent.message.text + (sent.message.spoiler.text if sent.message.spoiler else "")
        assert AUTHOR not in shown and REPLIER not in shown
    moderator_view = [
        s.message.text
        for s in audited.adapter.sent
        if s.place.target == "mona" or (s.event is not None and s.event.member.user_id == "mona")
    ]
    assert moderator_view and not any(AUTHOR in t or REPLIER in t for t in moderator_view)
