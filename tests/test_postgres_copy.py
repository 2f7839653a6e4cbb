"""`hearth db copy`: a populated SQLite database to PostgreSQL and back, every
row of every table kept, sealed fields still opening with the same key, the
bot reading the same check-ins, milestones and shares afterwards."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from postgres_support import postgres_url

from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import Config
from bot.port import Place
from bot.storage import open_database
from bot.storage.copy import CopyRefused, copy_database, shown
from bot.storage.migrations import table_names
from bot.vault import Vault
from tests.conftest import SECRET, START, Harness, RecordingAdapter, community

MOD_QUEUE = Place.channel("console", "mod-queue")
EVENTS = itertools.count(1)


async def open_hearth(url: str, clock: FakeClock) -> Harness:
    db = await open_database(url)
    adapter = RecordingAdapter()
    config = Config(database=url, communities=(community(),))
    return Harness(Hearth(config, db, clock, {"console": adapter}, Vault(SECRET)), adapter, clock)


async def populate(h: Harness) -> None:
    """A little of everything Hearth stores."""
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin 4 walked by the river #outside")
    await h.command("ana", "checkin 2 I want to end my life")
    await h.pick("ana", "contact yes")
    await h.command("ana", "milestone set sober 2026-01-03 anonymous")
    await h.command("ana", "milestone reset sober 2026-02-01")
    await h.command("ana", "celebrate finished my first week anonymous")
    await h.command("bo", "cheer 1")
    await h.command("bo", "share my sister called me today")
    await h.command("mona", "mod approve 1", place=MOD_QUEUE)
    await h.command("ana", "reply 1 so glad to hear that")
    await h.command("cy", "support 1")
    await h.command("dee", "report 1 seems off somehow")
    await h.command("cy", "share call me on 0151 2345678 please")  # waits as a draft
    await h.advance(days=1)  # prompts, relays, streaks
    await h.command("ana", "checkin skip")
    await h.command("ana", "checkin 5 good day")
    await h.command("dee", "support 1")  # a batch still gathering
    await h.command("mona", "mod block 1 3", place=MOD_QUEUE)


async def every_row(url: str) -> dict[str, list[tuple]]:
    async with await open_database(url, migrate=False) as db:
        return {
            table: sorted((tuple(r) for r in await db.fetch(f"SELECT * FROM {table}")), key=repr)
            for table in table_names()
        }


READS = [
    ("ana", "checkin history"),
    ("ana", "milestone list"),
    ("bo", "share list"),
    ("ana", "mydata export"),
    ("mona", "mod queue"),
]


async def what_the_bot_reads(url: str) -> list[str]:
    """The same commands at the same moment, on any copy (events new to each)."""
    h = await open_hearth(url, FakeClock(START + timedelta(days=2)))
    try:
        texts = []
        for user, text in READS:
            place = MOD_QUEUE if text.startswith("mod") else None
            await h.command(user, text, event_id=f"read{next(EVENTS)}", place=place)
            # Only the answers: what falls due meanwhile depends on the copy's moment.
            for answer in (s.message for s in h.adapter.sent if s.event is not None):
                texts.append(answer.text)
                if answer.attachment is not None and answer.attachment.filename.endswith(".json"):
                    texts.append(answer.attachment.data.decode())  # every sealed note, opened
            h.adapter.clear()
        return texts
    finally:
        await h.db.close()


async def test_sqlite_to_postgresql_and_back_keeps_every_row_and_it_still_opens(tmp_path):
    source = f"sqlite:///{tmp_path}/source.db"
    h = await open_hearth(source, FakeClock(START))
    await populate(h)
    await h.db.close()
    expected_reads = await what_the_bot_reads(source)
    assert "walked by the river" in "\n".join(expected_reads)  # a sealed note, opened
    original = await every_row(source)
    filled = [table for table, rows in original.items() if rows]
    assert len(filled) >= 21, filled  # (earlier runs of a counter live in its sealed state)

    # SQLite → PostgreSQL through the command line, as an operator would.
    postgres = postgres_url()
    copied = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "copy", source, postgres,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await copied.communicate()
    assert copied.returncode == 0, err.decode()
    assert "Copied" in out.decode()
    assert await every_row(postgres) == original
    assert await what_the_bot_reads(postgres) == expected_reads

    # PostgreSQL → a new SQLite file.
    back = f"sqlite:///{tmp_path}/back.db"
    now_in_postgres = await every_row(postgres)
    counts = await copy_database(postgres, back)
    assert counts == {table: len(rows) for table, rows in now_in_postgres.items()}
    assert await every_row(back) == now_in_postgres
    assert await what_the_bot_reads(back) == expected_reads

    # New rows on each copy come after the copied ids (identities moved on).
    for url in (postgres, back):
        h = await open_hearth(url, FakeClock(START + timedelta(days=3)))
        await h.command("ana", "checkin 3 still here", event_id="new")
        top = await h.db.fetchval("SELECT max(id) FROM checkins")
        assert top == max(r[0] for r in original["checkins"]) + 1  # no duplicate key
        await h.db.close()


async def test_a_target_with_rows_is_refused_and_left_as_it_was(tmp_path):
    source = f"sqlite:///{tmp_path}/source.db"
    h = await open_hearth(source, FakeClock(START))
    await h.command("ana", "checkin 4 fine")
    await h.db.close()
    target = postgres_url()
    h = await open_hearth(target, FakeClock(START))
    await h.command("bo", "checkin 2 meh")
    await h.db.close()
    before = await every_row(target)

    with pytest.raises(CopyRefused, match="not empty"):
        await copy_database(source, target)
    assert await every_row(target) == before


async def test_a_missing_or_foreign_source_or_the_same_database_is_refused(tmp_path):
    with pytest.raises(CopyRefused, match="no SQLite database"):
        await copy_database(f"sqlite:///{tmp_path}/none.db", f"sqlite:///{tmp_path}/x.db")
    assert not Path(tmp_path / "x.db").exists()
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE notes (x TEXT)").close()
    with pytest.raises(CopyRefused, match="no Hearth database"):
        await copy_database(f"sqlite:///{tmp_path}/other.db", f"sqlite:///{tmp_path}/x.db")
    same = f"sqlite:///{tmp_path}/a.db"
    with pytest.raises(CopyRefused, match="same database"):
        await copy_database(same, same)


def test_the_command_line_refuses_clearly_and_never_prints_a_password(tmp_path, capsys):
    from bot.__main__ import main

    code = main(["db", "copy", f"sqlite:///{tmp_path}/none.db", "postgresql://u:pw@h/db"])
    assert code == 2
    assert "Nothing was copied: there is no SQLite database" in capsys.readouterr().err
    assert shown("postgresql://hearth:s3cret@db:5432/hearth") == (
        "postgresql://hearth:***@db:5432/hearth"
    )


def test_every_table_the_migrations_create_is_copied():
    # The list comes from the migrations: a new table is copied without anyone
    # remembering to add it here.
    tables = table_names()
    assert tables[0] == "members" and len(tables) == len(set(tables))
    assert {"checkins", "shares", "milestone_counters", "outbox"} <= set(tables)
