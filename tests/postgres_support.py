"""PostgreSQL for the tests: one throwaway database per test session, one
schema per test in it (`?search_path=`), the database dropped at the end.

Migrating a fresh schema costs PostgreSQL about 0.2 s, more than most tests
take. So a schema that a Harness test used is emptied afterwards (rows
deleted, identities restarted) and handed to the next Harness test, which
would have migrated to the same schema anyway; a test that may change the
schema itself gets one of its own.

The server is `HEARTH_TEST_POSTGRES` (default: this machine's, trust auth).
Without one the PostgreSQL tests are skipped and the summary says why;
`HEARTH_REQUIRE_POSTGRES=1` (CI) turns that into a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.storage.migrations import LATEST, table_names

SERVER = os.environ.get("HEARTH_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
REQUIRED = os.environ.get("HEARTH_REQUIRE_POSTGRES", "") == "1"


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run admin statements on a loop of their own, away from the test's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _empty_if_unchanged(url: str) -> bool:
    """Delete every row if the schema is exactly Hearth's latest; False if it is not."""
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5, server_settings={"lock_timeout": "2s"})
    try:
        found = await conn.fetch(
            "SELECT table_name::text FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
        tables = table_names()
        if {r[0] for r in found} != {*tables, "schema_version"}:
            return False
        if await conn.fetchval("SELECT max(version) FROM schema_version") != LATEST:
            return False
        sequences = await conn.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
        )
        script = [f"DELETE FROM {table}" for table in reversed(tables)]
        script += [f"ALTER SEQUENCE {row[0]} RESTART" for row in sequences]
        async with conn.transaction():
            await conn.execute(";\n".join(script))
        return True
    except (asyncpg.PostgresError, OSError):
        return False  # e.g. a lock a leaked connection still holds: don't reuse it
    finally:
        await conn.close()


class PostgresForTests:
    def __init__(self, server: str = SERVER) -> None:
        self.server = server
        self.database = f"hearth_test_{secrets.token_hex(4)}"
        self.unavailable: str | None = None  # why not, once tried
        self._started = False
        self._schemas = itertools.count(1)
        self._migrated: list[str] = []  # emptied schemas at the latest version

    def _url(self, search_path: str | None = None) -> str:
        """The server's URL with this session's database (and a schema) in it."""
        parts = urlsplit(self.server)
        query = [q for q in parts.query.split("&") if q]
        if search_path:
            # The server acknowledges commits before its WAL reaches the disk:
            # nothing here outlives the run, and no test crashes the server.
            query += [f"search_path={search_path}", "synchronous_commit=off"]
        url = f"{parts.scheme}://{parts.netloc}/{self.database}"
        return f"{url}?{'&'.join(query)}" if query else url

    def start(self) -> None:
        """Create this session's database; remember why not if there is no server."""
        if self._started or self.unavailable:
            return
        try:
            import asyncpg  # noqa: F401
        except ImportError:
            self.unavailable = "asyncpg is not installed (pip install -e '.[dev,postgres]')"
            return
        try:
            _run(_admin(self.server, f"CREATE DATABASE {self.database}"))
        except Exception as exc:  # connection refused, no such role, …
            self.unavailable = f"no PostgreSQL at {self.server} ({type(exc).__name__}: {exc})"
            return
        self._started = True

    def new_url(self, *, migrated_is_fine: bool = False) -> str:
        """A schema of its own for one test: empty, or emptied at the latest version."""
        if migrated_is_fine and self._migrated:
            return self._migrated.pop()
        schema = f"t{next(self._schemas)}"
        _run(_admin(self._url(), f"CREATE SCHEMA {schema}"))
        return self._url(schema)

    def give_back(self, url: str) -> None:
        """After a test whose schema the next Harness test may reuse."""
        if _run(_empty_if_unchanged(url)):
            self._migrated.append(url)

    def stop(self) -> None:
        if self._started:
            # FORCE: a test that failed may have left a pool open.
            _run(_admin(self.server, f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"))
            self._started = False


POSTGRES = PostgresForTests()  # the session's; conftest drops its database at the end


def postgres_url(*, migrated_is_fine: bool = False) -> str:
    """A schema for this test, or the test is skipped (failed, when CI requires it)."""
    POSTGRES.start()
    if POSTGRES.unavailable:
        if REQUIRED:
            pytest.fail(f"HEARTH_REQUIRE_POSTGRES=1, but {POSTGRES.unavailable}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {POSTGRES.unavailable}")
    return POSTGRES.new_url(migrated_is_fine=migrated_is_fine)
