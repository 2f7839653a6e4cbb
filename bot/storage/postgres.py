"""PostgreSQL through an asyncpg pool, behind the same interface as SQLite.

Each `transaction()` is a real transaction on its own pooled connection, so
several Hearth processes (Discord shards) can share one database; rows that
must be handled once are claimed with `FOR UPDATE SKIP LOCKED` (see
`bot.storage.dialect`). A commit returns once PostgreSQL has made it durable
(`synchronous_commit` on, the server's default).
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.storage.database import Database, DatabaseError, Row, Transaction
from bot.storage.dialect import POSTGRES

try:
    import asyncpg
except ImportError:  # the `postgres` extra is optional
    asyncpg = None

# Hearth's own URL options, taken out before asyncpg sees the URL (asyncpg
# would pass unknown ones to the server as settings, which it refuses).
POOL_OPTIONS = {"pool_min_size": 1, "pool_max_size": 10}
CLOSE_WITHIN = 10.0  # seconds for connections in use to come back at close
IN_USE_LOCK = 7244016  # the advisory lock a running bot shares (Database.mark_in_use)
_ARGUMENT = re.compile(r"query argument (\$\d+)")


def pool_options(url: str) -> tuple[str, dict[str, int]]:
    """`postgresql://h/db?pool_max_size=4` → (`postgresql://h/db`, {min: 1, max: 4})."""
    base, _, query_text = url.partition("?")
    query = parse_qsl(query_text, keep_blank_values=True)
    options = dict(POOL_OPTIONS)
    kept = []
    for key, value in query:
        if key in POOL_OPTIONS:
            if not value.isdigit() or int(value) < 1:
                raise DatabaseError(f"{key} in the database URL must be a whole number ≥ 1")
            options[key] = int(value)
        else:
            kept.append((key, value))
    options["pool_min_size"] = min(options["pool_min_size"], options["pool_max_size"])
    # Rebuilt by hand: urlunsplit turns `postgresql:///db` (a Unix socket) into `postgresql:/db`.
    return (f"{base}?{urlencode(kept)}" if kept else base), options


def _without_values(exc: Exception) -> Exception:
    """The same error without the values in it: PostgreSQL's DETAIL repeats the
    row or key that failed (member ids, sealed text), and asyncpg quotes a
    query argument it could not encode. Logs get the statement's fault, never
    its data — as with SQLite, whose errors name only columns."""
    message = str(exc.args[0]) if exc.args else ""
    if message.startswith("invalid input for query argument"):  # raised before sending
        where = _ARGUMENT.search(message)
        argument = where.group(1) if where else "?"
        return DatabaseError(
            f"invalid input for query argument {argument} ({exc.__cause__ or 'wrong type'})"
        )
    if isinstance(exc, asyncpg.PostgresError):
        exc.detail = None  # type: ignore[attr-defined]
    return exc


async def _keep_session(conn: Any) -> None:
    """Hearth's sessions hold nothing beyond a transaction (no SET, LISTEN, cursor
    or session lock), and asyncpg rolls back one left open before calling this:
    so its reset query, one more round trip after every transaction, is skipped."""


class _PostgresTransaction(Transaction):
    dialect = POSTGRES

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        try:
            status = await self._conn.execute(sql, *args)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _without_values(exc) from None
        # "INSERT 0 1", "UPDATE 3", "DELETE 0"; DDL ("CREATE TABLE") changes no rows.
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        try:
            return await self._conn.fetch(sql, *args)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _without_values(exc) from None


class PostgresDatabase(Database):
    dialect = POSTGRES

    def __init__(self, pool: Any, url: str) -> None:
        self.url = url
        self._pool = pool
        self._use: Any = None  # the connection holding the in-use lock

    @classmethod
    async def connect(cls, url: str) -> PostgresDatabase:
        if asyncpg is None:
            raise DatabaseError(
                "the database URL names PostgreSQL, but its driver (asyncpg) is not installed: "
                "install hearth[postgres] (pip install 'hearth[postgres]')"
            )
        dsn, options = pool_options(url)
        # asyncpg 0.29 has no `reset` (it would pass it on to connect()).
        skip_reset = "reset" in inspect.signature(asyncpg.create_pool).parameters
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=options["pool_min_size"],
                max_size=options["pool_max_size"],
                **({"reset": _keep_session} if skip_reset else {}),
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # The URL may carry a password: name only where it points.
            where = urlsplit(dsn)
            target = f"{where.hostname or 'localhost'}:{where.port or 5432}{where.path}"
            raise DatabaseError(f"cannot connect to PostgreSQL at {target}: {exc}") from None
        return cls(pool, url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield _PostgresTransaction(conn)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Transaction]:
        # One snapshot for every statement of the read, and no write can slip in.
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield _PostgresTransaction(conn)

    async def compact(self) -> None:
        """Nothing a client can do, on purpose (docs/postgres.md, "Erasure").

        SQLite's WAL is a file beside the database that keeps old page images
        until a checkpoint truncates it: that is SQLite's `compact()`.
        PostgreSQL's WAL, its archives, replicas and backups are the server's
        and the operator's; no statement from here clears them. Deleted row
        versions stay in the table files, unreachable through SQL, until
        autovacuum reclaims the space. A VACUUM after each erasure would only
        mark that space reusable (it wipes nothing), cannot run inside a
        transaction, and would contend with the other processes."""

    async def _use_lock(self, function: str) -> bool:
        """A session advisory lock on a connection of its own (shared by bots,
        exclusive for a rotation): the server releases it when the session ends."""
        dsn, _options = pool_options(self.url)
        conn = await asyncpg.connect(dsn)
        if await conn.fetchval(f"SELECT {function}($1)", IN_USE_LOCK):
            self._use = conn
            return True
        await conn.close()
        return False

    async def mark_in_use(self) -> None:
        if not await self._use_lock("pg_try_advisory_lock_shared"):
            raise DatabaseError(
                "the database is being re-keyed (`hearth keys rotate`): "
                "start Hearth once it is done"
            )

    async def claim_sole_use(self) -> bool:
        return await self._use_lock("pg_try_advisory_lock")

    async def close(self) -> None:
        if self._use is not None:
            use, self._use = self._use, None
            await use.close()
        if self._pool.is_closing():
            return
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_WITHIN)
        except TimeoutError:  # a connection still in use: don't hang the shutdown
            self._pool.terminate()
