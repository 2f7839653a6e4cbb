"""The PostgreSQL engine itself: the driver hint, the pool, rowcounts, errors
without values, real transactions, SKIP LOCKED, migrations from several
processes at once. (Every Harness test also runs on PostgreSQL: conftest.)"""

from __future__ import annotations

import asyncio

import pytest
from postgres_support import postgres_url

import bot.storage.postgres as postgres
from bot.storage import DatabaseError, open_database
from bot.storage.dialect import POSTGRES, SQLITE
from bot.storage.migrations import MIGRATIONS, table_names
from bot.storage.postgres import pool_options


@pytest.fixture
def pg_url() -> str:
    return postgres_url()


async def test_a_missing_driver_says_what_to_install(monkeypatch):
    monkeypatch.setattr(postgres, "asyncpg", None)
    with pytest.raises(DatabaseError, match=r"install hearth\[postgres\]"):
        await open_database("postgresql://127.0.0.1/hearth")


def test_pool_options_are_hearths_and_the_rest_goes_to_asyncpg():
    dsn, options = pool_options("postgresql://h/db?pool_max_size=4&search_path=hearth")
    assert dsn == "postgresql://h/db?search_path=hearth"
    assert options == {"pool_min_size": 1, "pool_max_size": 4}
    with pytest.raises(DatabaseError, match="pool_max_size"):
        pool_options("postgresql://h/db?pool_max_size=zero")


async def test_an_unreachable_server_is_named_without_its_password():
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL at 127.0.0.1:1/db") as e:
        await open_database("postgresql://hearth:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(e.value)


def test_the_dialects_differ_only_in_their_fragments():
    assert SQLITE.skip_locked == "" and POSTGRES.skip_locked == " FOR UPDATE SKIP LOCKED"
    assert SQLITE.migration_lock is None and POSTGRES.migration_lock


async def test_rowcounts_come_from_the_status(pg_url):
    async with await open_database(pg_url) as db:
        assert db.dialect is POSTGRES
        insert = "INSERT INTO processed_events VALUES ('t', $1, 0) ON CONFLICT DO NOTHING"
        assert await db.execute(insert, "a") == 1
        assert await db.execute(insert, "a") == 0
        await db.execute(insert, "b")
        assert await db.execute("UPDATE processed_events SET seen_at = 1") == 2
        assert await db.execute("DELETE FROM processed_events WHERE event_key = 'zz'") == 0
        assert await db.execute("CREATE TABLE scratch (x INTEGER)") == 0


async def test_errors_name_the_fault_never_the_values(pg_url):
    async with await open_database(pg_url) as db:
        await db.execute(
            "INSERT INTO members (platform, lookup) VALUES ('discord', $1)",
            "user-4815162342",
        )
        with pytest.raises(Exception, match="unique") as duplicate:
            await db.execute(
                "INSERT INTO members (platform, lookup) VALUES ('discord', $1)",
                "user-4815162342",
            )
        assert "4815162342" not in str(duplicate.value)
        with pytest.raises(DatabaseError, match=r"query argument \$1") as wrong_type:
            await db.execute("UPDATE members SET timezone = $1", 4815162342)
        assert "4815162342" not in str(wrong_type.value)


async def test_each_transaction_is_real_and_isolated(pg_url):
    async with await open_database(pg_url) as db:
        inside = asyncio.Event()
        done = asyncio.Event()

        async def writer() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO processed_events VALUES ('t', 'w', 0)")
                inside.set()
                await done.wait()

        task = asyncio.create_task(writer())
        await inside.wait()
        # Another pooled connection does not see what is not committed.
        assert await db.fetchval("SELECT count(*) FROM processed_events") == 0
        done.set()
        await task
        assert await db.fetchval("SELECT count(*) FROM processed_events") == 1


async def test_skip_locked_passes_over_a_row_another_process_holds(pg_url):
    async with await open_database(pg_url) as one, await open_database(pg_url) as other:
        await one.execute(
            "INSERT INTO relay_batches (kind, ref_id, count, due_at) VALUES ('k', 1, 1, 0)"
        )
        claim = f"SELECT id FROM relay_batches{POSTGRES.skip_locked}"
        holding = asyncio.Event()
        release = asyncio.Event()

        async def hold() -> None:
            async with one.transaction() as tx:
                assert await tx.fetchval(claim) is not None
                holding.set()
                await release.wait()

        task = asyncio.create_task(hold())
        await holding.wait()
        assert await asyncio.wait_for(other.fetchval(claim), 5) is None  # passed by, not waited
        release.set()
        await task
        assert await other.fetchval(claim) is not None


async def test_processes_starting_together_migrate_once(pg_url):
    # Empty schema: four processes start at once and each runs the migrations.
    dbs = await asyncio.gather(*(open_database(pg_url) for _ in range(4)))
    try:
        versions = await dbs[0].fetch("SELECT version FROM schema_version ORDER BY version")
        assert [r[0] for r in versions] == [m.version for m in MIGRATIONS]
        for table in table_names():
            await dbs[3].fetchval(f"SELECT count(*) FROM {table}")
    finally:
        for db in dbs:
            await db.close()


async def test_compact_has_nothing_to_fold_on_postgresql(pg_url):
    async with await open_database(pg_url) as db:
        await db.compact()  # documented no-op: no WAL file of old pages beside the data
        await db.close()  # closing twice is harmless
