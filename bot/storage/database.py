"""The engine-neutral database interface and the URL → engine choice."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.storage.dialect import SQLITE, Dialect

# Rows are read by column name (`row["mood"]`) or position (`row[0]`) on every engine.
Row = Any


class DatabaseError(Exception):
    """The database cannot be used as it is (wrong URL, newer than this code, …)."""


class Transaction(ABC):
    """Statements that commit together or not at all."""

    dialect: Dialect = SQLITE

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; return the number of rows it changed."""

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]: ...

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]


class Database(ABC):
    """A pool of connections. Reads may run outside a transaction; writes use
    `transaction()`, which returns only once the commit is durable."""

    url: str
    dialect: Dialect = SQLITE

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        async with self.transaction() as tx:
            return await tx.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        async with self.transaction() as tx:
            return await tx.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.transaction() as tx:
            return await tx.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, *args)

    def reading(self) -> AbstractAsyncContextManager[Transaction]:
        """A read-only snapshot for long reads (`mod stats`, /metrics, an export's
        scans): on a connection of its own, off the event loop and outside the
        write lock, so writers and the loop never wait for it. Engines without
        a second connection read inside an ordinary transaction."""
        return self.transaction()

    async def compact(self) -> None:  # noqa: B027 - engines that keep no copies need nothing
        """After erasing data: make sure no copy lingers in journals or free pages."""

    @abstractmethod
    async def mark_in_use(self) -> None:
        """Say, for as long as this stays open, that a bot runs on this database:
        `claim_sole_use` fails meanwhile, in any process (a key rotation must not
        run beside a bot that would seal new rows under the old key)."""

    @abstractmethod
    async def claim_sole_use(self) -> bool:
        """True, and held until close, when no bot has this database open."""

    @abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
