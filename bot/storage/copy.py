"""`hearth db copy SRC DST`: every row of every table, from one database to another
(SQLite → PostgreSQL and back), for moving a deployment between engines.

The tables are the ones the migrations create, in the order they create them,
so a row always arrives after the rows it references. Values are copied as
they are: sealed fields stay sealed and open with the same key. The target
gets the source's schema version first and the data in one transaction; only
then is it upgraded like any database Hearth opens. A target that holds any
row is refused, so nothing is ever merged or overwritten.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.storage.database import Database, DatabaseError, Transaction
from bot.storage.migrations import (
    LATEST,
    MIGRATIONS,
    Migration,
    current_version,
    table_names,
    upgrade,
)
from bot.storage.opening import open_database

PAGE = 2000  # rows read at a time from tables keyed by `id`
MAX_PARAMETERS = 30000  # below both engines' limit on $N in one statement


class CopyRefused(DatabaseError):
    """The copy was not made: no row was written to the target."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _steps_up_to(version: int) -> tuple[Migration, ...]:
    return tuple(step for step in MIGRATIONS if step.version <= version)


def _tables_with_ids(steps: tuple[Migration, ...]) -> set[str]:
    """Tables created with an auto-numbered `id`: paged by it, and on PostgreSQL
    their identity moved past the copied ids."""
    return {
        name
        for step in steps
        for statement in step.statements
        if "{id}" in statement
        for name in table_names((Migration(step.version, "", (statement,)),))
    }


async def _open_source(url: str) -> Database:
    if url.startswith("sqlite:///"):
        from bot.storage.sqlite import sqlite_path

        if not Path(sqlite_path(url)).is_file():
            raise CopyRefused(f"there is no SQLite database at {sqlite_path(url)}")
    return await open_database(url, migrate=False)


async def _version_of(source: Database) -> int:
    """The source's schema version, without creating anything in it."""
    try:
        return int(await source.fetchval("SELECT max(version) FROM schema_version") or 0)
    except Exception:  # no such table, in the engine's own words: not a Hearth database
        return 0


async def _rows(tx: Transaction, table: str, keyed: bool) -> AsyncIterator[Sequence[Any]]:
    """All rows of `table`, a page at a time where there is an `id` to page by."""
    if not keyed:
        yield await tx.fetch(f"SELECT * FROM {_quoted(table)}")
        return
    last = None
    while True:
        if last is None:
            page = await tx.fetch(f"SELECT * FROM {_quoted(table)} ORDER BY id LIMIT $1", PAGE)
        else:
            page = await tx.fetch(
                f"SELECT * FROM {_quoted(table)} WHERE id > $1 ORDER BY id LIMIT $2", last, PAGE
            )
        if not page:
            return
        yield page
        last = page[-1]["id"]


async def _insert(tx: Transaction, table: str, rows: Sequence[Any]) -> None:
    """Insert rows as they are, many to a statement."""
    columns = list(rows[0].keys())
    names = ", ".join(_quoted(c) for c in columns)
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        groups = []
        values: list[Any] = []
        for row in chunk:
            first = len(values) + 1
            groups.append("(" + ", ".join(f"${first + i}" for i in range(len(columns))) + ")")
            values.extend(row[c] for c in columns)
        try:
            await tx.execute(
                f"INSERT INTO {_quoted(table)} ({names}) VALUES {', '.join(groups)}", *values
            )
        except Exception as exc:
            raise DatabaseError(f"copying table {table} failed: {exc}") from None


async def _refuse_unless_empty(tx: Transaction, tables: Sequence[str]) -> None:
    for table in tables:
        if await tx.fetchval(f"SELECT 1 FROM {_quoted(table)} LIMIT 1") is not None:
            raise CopyRefused(
                f"the target database is not empty (table {table} has rows), and a copy never "
                "merges or overwrites: point it at a new, empty database"
            )


async def copy_database(source_url: str, target_url: str) -> dict[str, int]:
    """Copy every row from source to target; return how many rows each table had."""
    if source_url == target_url:
        raise CopyRefused("the source and the target are the same database")
    source = await _open_source(source_url)
    try:
        version = await _version_of(source)
        if version == 0:
            raise CopyRefused("the source holds no Hearth database (no schema version)")
        if version > LATEST:
            raise CopyRefused(
                f"the source is at schema version {version}, newer than this Hearth "
                f"({LATEST}): copy it with the Hearth that wrote it"
            )
        steps = _steps_up_to(version)
        tables = table_names(steps)
        keyed = _tables_with_ids(steps)
        target = await open_database(target_url, migrate=False)
        try:
            target_version = await current_version(target)
            if target_version > version:
                raise CopyRefused(
                    f"the target is at schema version {target_version}, the source at "
                    f"{version}: copy into a new, empty database"
                )
            async with target.transaction() as tx:
                await _refuse_unless_empty(tx, table_names(_steps_up_to(target_version)))
            await upgrade(target, steps)  # the source's own schema, to copy it as it is
            counts: dict[str, int] = {}
            async with source.transaction() as read, target.transaction() as write:
                if read.dialect.read_snapshot:
                    await read.execute(read.dialect.read_snapshot)
                await _refuse_unless_empty(write, tables)  # still, now that it is ours
                for table in tables:
                    counts[table] = 0
                    async for page in _rows(read, table, table in keyed):
                        if page:
                            await _insert(write, table, page)
                            counts[table] += len(page)
                    if table in keyed and write.dialect.advance_ids:
                        await write.execute(write.dialect.advance_ids.format(table=table))
            await upgrade(target)  # then on to this Hearth's version, as at any start
            return counts
        finally:
            await target.close()
    finally:
        await source.close()


def shown(url: str) -> str:
    """A database URL as it may be printed: without its password."""
    password = urlsplit(url).password
    return url if password is None else url.replace(f":{password}@", ":***@", 1)


def copy_command(source_url: str, target_url: str) -> int:
    """`hearth db copy`: 0 when copied, 2 when refused or failed (nothing half-done)."""
    try:
        counts = asyncio.run(copy_database(source_url, target_url))
    except DatabaseError as exc:
        print(f"Nothing was copied: {exc}", file=sys.stderr)
        return 2
    for table, count in counts.items():
        print(f"{table:<24} {count:>9}")
    print(
        f"Copied {sum(counts.values())} rows in {len(counts)} tables from {shown(source_url)} "
        f"to {shown(target_url)}. Point `database:` at the new one and start Hearth; keep "
        "the same secret key, or nothing sealed will open."
    )
    return 0
