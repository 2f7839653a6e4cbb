"""SQLite through aiosqlite, with group commit.

Concurrent transactions run one after another on one connection inside a
shared outer transaction (each after the first in its own SAVEPOINT, so it
can fail alone); the last one waiting commits for all of them. Every caller
still returns only after its write is durable (WAL, synchronous=FULL), but N
concurrent events cost one fsync, not N.

What waits goes through aiosqlite's thread; what computes runs inline. A
Hearth statement is an indexed lookup or a one-row write in pages already in
memory (about 10 µs here), while a round trip to aiosqlite's worker thread
costs several times that. So inside a transaction, statements run directly on
the connection aiosqlite opened (one at a time: our lock is held), and only
the steps that can block — BEGIN IMMEDIATE (busy_timeout behind another
process), COMMIT (the fsync), checkpoints, opening and closing — are sent to
aiosqlite's thread, so the event loop never waits on the disk or a lock.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.database import Database, DatabaseError, Row, Transaction
from bot.storage.dialect import SQLITE

_PLACEHOLDER = re.compile(r"\$(\d+)")
# A bound on how many transactions share one commit, so a steady stream of
# events cannot postpone durability indefinitely.
MAX_GROUP = 256
# Set on every connection (the benchmarks' raw baselines use the same).
PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",  # an acknowledged write survives power loss
    "foreign_keys=ON",
    "busy_timeout=5000",
    "secure_delete=ON",  # deleted notes do not linger in free pages
    "cache_size=-65536",  # 64 MiB of pages: a large community's indexes stay in memory
)


@lru_cache(maxsize=512)
def _to_sqlite(sql: str) -> str:
    return _PLACEHOLDER.sub(r"?\1", sql)


def sqlite_path(url: str) -> str:
    """`sqlite:///data/x.db` → `data/x.db`; `sqlite:////abs/x.db` → `/abs/x.db`."""
    if not url.startswith("sqlite:///"):
        raise DatabaseError("a SQLite URL looks like sqlite:///path/to/hearth.db")
    path = url[len("sqlite:///") :]
    if not path:
        raise DatabaseError("the SQLite URL names no file")
    return path


class _SQLiteTransaction(Transaction):
    """Statements run inline on the connection (see the module's docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        return self._conn.execute(_to_sqlite(sql), args).rowcount

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        return self._conn.execute(_to_sqlite(sql), args).fetchall()


class _SQLiteReadTransaction(Transaction):
    """Statements on the read connection, each run on its own aiosqlite thread:
    a long read never holds the event loop (sqlite3 lets go of the GIL while
    SQLite works) nor the write lock (WAL readers and the writer do not wait)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self._conn.execute(_to_sqlite(sql), args)
        return cursor.rowcount

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        return list(await self._conn.execute_fetchall(_to_sqlite(sql), args))


def _settle(group: asyncio.Future[None], commit: asyncio.Future[None]) -> None:
    """Tell every transaction of a group how its commit went."""
    if group.done():
        return
    failure = None if commit.cancelled() else commit.exception()
    if commit.cancelled() or failure is not None:
        group.set_exception(DatabaseError(f"commit failed: {failure or 'cancelled'}"))
        group.exception()  # mark retrieved: each waiter re-raises it
    else:
        group.set_result(None)


class SQLiteDatabase(Database):
    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection, url: str) -> None:
        self.url = url
        self._conn = conn
        # The sqlite3 connection inside aiosqlite's proxy, for inline statements.
        self._inline: sqlite3.Connection = conn._conn
        self._lock = asyncio.Lock()
        self._waiting = 0  # transactions entered and not yet finished
        self._group: asyncio.Future[None] | None = None
        self._group_size = 0
        self._late_commit: asyncio.Future[None] | None = None
        self._closed = False
        self._use_fds: list[int] = []
        self._reader: aiosqlite.Connection | None = None  # opened on the first read
        self._read_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str) -> SQLiteDatabase:
        # aiosqlite logs every statement with its parameters at DEBUG: member
        # ids and sealed text would reach the logs. Never below INFO.
        logging.getLogger("aiosqlite").setLevel(
            max(logging.INFO, logging.getLogger("aiosqlite").level)
        )
        path = sqlite_path(url)
        if path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                # Only the owner may read it; SQLite gives its WAL and shared memory
                # files the database file's own mode.
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            except OSError as exc:
                raise DatabaseError(
                    f"cannot open the SQLite database {path!r}: {exc.strerror or exc}"
                ) from None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            # check_same_thread=False: statements also run on the loop's thread,
            # never at the same time as aiosqlite's (our lock orders them).
            conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open the SQLite database {path!r}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        try:
            for pragma in PRAGMAS:
                await conn.execute(f"PRAGMA {pragma}")
            # Reading the schema finds a file that is not a database, or whose first
            # pages are damaged, before anything is written to it.
            await conn.execute("SELECT count(*) FROM sqlite_master")
        except sqlite3.Error as exc:
            # Closed, or aiosqlite's thread keeps the process alive after the error.
            await conn.close()
            raise DatabaseError(
                f"the SQLite database {path!r} cannot be read ({exc}): it is damaged or not "
                "a SQLite database. Restore it from a backup, or move it aside to start afresh"
            ) from None
        return cls(conn, url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        self._waiting += 1
        finished = False
        try:
            async with self._lock:
                # The first transaction of a group needs no savepoint: if it
                # fails, rolling back the whole group undoes only its own work.
                first = self._group is None
                if first:
                    if not self._conn.in_transaction:  # a cancelled BEGIN may have run
                        await self._conn.execute("BEGIN IMMEDIATE")
                    self._group = asyncio.get_running_loop().create_future()
                    self._group_size = 0
                else:
                    self._inline.execute("SAVEPOINT tx")
                group = self._group
                assert group is not None
                try:
                    yield _SQLiteTransaction(self._inline)
                except BaseException:
                    if first:
                        await self._abandon_group()
                    else:
                        self._inline.execute("ROLLBACK TO tx")
                        self._inline.execute("RELEASE tx")
                    raise
                else:
                    if not first:
                        self._inline.execute("RELEASE tx")
                finally:
                    self._waiting -= 1
                    finished = True
                    self._group_size += 1
                    if self._group is group and (
                        self._waiting == 0 or self._group_size >= MAX_GROUP
                    ):
                        await self._commit_group()
            await asyncio.shield(group)
        finally:
            if not finished:  # cancelled while waiting for the lock
                self._waiting -= 1
                if self._waiting == 0:
                    # whoever ran last counted on us to commit their group
                    self._late_commit = asyncio.ensure_future(self._commit_if_idle())

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Transaction]:
        if sqlite_path(self.url) == ":memory:":  # no second connection sees it
            async with self.transaction() as tx:
                yield tx
            return
        async with self._read_lock:
            if self._closed:
                raise DatabaseError("the database is closed")
            if self._reader is None:
                self._reader = await self._open_reader()
            # A deferred BEGIN: one snapshot from the first read to the end.
            await self._reader.execute("BEGIN")
            try:
                yield _SQLiteReadTransaction(self._reader)
            finally:
                await self._reader.execute("ROLLBACK")  # it wrote nothing

    async def _open_reader(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(
            sqlite_path(self.url), isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        for pragma in ("busy_timeout=5000", "query_only=ON", "cache_size=-65536"):
            await conn.execute(f"PRAGMA {pragma}")
        return conn

    async def _commit_if_idle(self) -> None:
        async with self._lock:
            if self._group is not None and self._waiting == 0:
                await self._commit_group()

    async def _abandon_group(self) -> None:
        """The group's first transaction failed: nothing else is in it yet."""
        group, self._group = self._group, None
        assert group is not None
        if self._conn.in_transaction:
            await self._conn.execute("ROLLBACK")
        group.set_result(None)

    async def _commit_group(self) -> None:
        group, self._group = self._group, None
        assert group is not None
        commit = asyncio.ensure_future(self._commit())
        commit.add_done_callback(lambda done: _settle(group, done))
        # A commit under way finishes and settles the whole group even if the
        # task running it is cancelled; a failure reaches every waiter,
        # this one included, through the group.
        await asyncio.wait([commit])

    async def _commit(self) -> None:
        try:
            await self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:  # e.g. SQLITE_BUSY leaves it open
                await self._conn.execute("ROLLBACK")
            raise

    async def compact(self) -> None:
        # secure_delete already zeroes freed pages; the WAL still holds old page
        # images until it is folded into the main file and truncated.
        async with self._lock:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _use_lock(self, kind: int) -> bool:
        """An advisory lock on `DB.lock` beside the database file (shared by bots,
        exclusive for a rotation): released by the kernel if the process dies."""
        path = sqlite_path(self.url)
        if path == ":memory:":
            return True
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._use_fds.append(fd)
        return True

    async def mark_in_use(self) -> None:
        if not self._use_lock(fcntl.LOCK_SH):
            raise DatabaseError(
                "the database is being re-keyed (`hearth keys rotate`): "
                "start Hearth once it is done"
            )

    async def claim_sole_use(self) -> bool:
        return self._use_lock(fcntl.LOCK_EX)

    async def close(self) -> None:
        async with self._lock, self._read_lock:
            if not self._closed:
                self._closed = True
                if self._reader is not None:
                    await self._reader.close()
                await self._conn.close()
            while self._use_fds:
                os.close(self._use_fds.pop())
