"""The database layer: migrations, refusal of newer schemas, group commit."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.storage import DatabaseError, open_database
from bot.storage.migrations import LATEST, MIGRATIONS, Migration, upgrade


async def test_migrations_run_once_and_record_the_version(db_url):
    async with await open_database(db_url) as db:
        assert await db.fetchval("SELECT max(version) FROM schema_version") == LATEST
    async with await open_database(db_url) as db:  # a second start changes nothing
        assert await db.fetchval("SELECT count(*) FROM schema_version") == len(MIGRATIONS)


@pytest.mark.sqlite_only
async def test_pragmas_for_durability_and_integrity(db_url):
    async with await open_database(db_url) as db:
        assert (await db.fetchval("PRAGMA journal_mode")).lower() == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA synchronous") == 2  # FULL
        assert await db.fetchval("PRAGMA busy_timeout") == 5000


async def test_a_database_newer_than_the_code_is_refused(db_url):
    async with await open_database(db_url) as db:
        await db.execute("INSERT INTO schema_version (version) VALUES ($1)", LATEST + 1)
    with pytest.raises(DatabaseError, match="newer Hearth"):
        await open_database(db_url)


async def test_a_failing_migration_leaves_the_previous_version(db_url):
    async with await open_database(db_url, migrate=False) as db:
        broken = (
            Migration(1, "ok", ("CREATE TABLE a (x INTEGER)",)),
            Migration(2, "broken", ("CREATE TABLE b (x INTEGER)", "NOT SQL")),
        )
        with pytest.raises(Exception):  # noqa: B017 - whatever the engine raises
            await upgrade(db, broken)
        assert await db.fetchval("SELECT max(version) FROM schema_version") == 1
        await db.fetchval("SELECT count(*) FROM a")
        with pytest.raises(Exception):  # noqa: B017 - no such table, in the engine's words
            await db.fetchval("SELECT count(*) FROM b")


async def test_unknown_url_scheme_is_refused():
    with pytest.raises(DatabaseError, match="unknown database URL"):
        await open_database("mysql://localhost/hearth")


async def test_concurrent_transactions_commit_together_and_fail_alone(db_url):
    async with await open_database(db_url) as db:

        async def write(n: int) -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO processed_events VALUES ('t', $1, 0)", str(n))
                if n % 10 == 0:
                    raise ValueError(n)

        results = await asyncio.gather(*(write(n) for n in range(100)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, ValueError)]
        assert len(failures) == 10
        assert await db.fetchval("SELECT count(*) FROM processed_events") == 90

    # What was acknowledged is on disk for the next process.
    async with await open_database(db_url) as db:
        assert await db.fetchval("SELECT count(*) FROM processed_events") == 90


async def test_cancelled_waiter_does_not_strand_the_group(db_url):
    async with await open_database(db_url) as db:
        entered = asyncio.Event()
        release = asyncio.Event()

        async def slow() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO processed_events VALUES ('t', 'slow', 0)")
                entered.set()
                await release.wait()

        async def waiter() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO processed_events VALUES ('t', 'never', 0)")

        first = asyncio.create_task(slow())
        await entered.wait()
        second = asyncio.create_task(waiter())
        await asyncio.sleep(0)  # let it queue on the lock
        second.cancel()
        release.set()
        await asyncio.wait_for(first, 5)
        assert await db.fetchval("SELECT count(*) FROM processed_events") == 1


@pytest.mark.sqlite_only
async def test_waiting_for_another_process_s_write_lock_does_not_block_the_loop(db_url):
    """SQLite statements run inline, but what can wait (BEGIN IMMEDIATE behind
    another process, COMMIT's fsync) goes to aiosqlite's thread."""
    from bot.storage.sqlite import sqlite_path

    async with await open_database(db_url) as db:
        other = sqlite3.connect(sqlite_path(db_url), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        async def write() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO processed_events VALUES ('t', 'waited', 0)")

        ticker = asyncio.create_task(tick())
        writer = asyncio.create_task(write())
        for _ in range(50):  # the writer waits on the lock; the loop goes on
            await asyncio.sleep(0)
        assert not writer.done() and ticks >= 40
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(writer, 5)
        ticker.cancel()
        assert await db.fetchval("SELECT count(*) FROM processed_events") == 1
