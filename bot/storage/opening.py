"""Opening a database by URL: the engine, then the schema brought up to date."""

from __future__ import annotations

from collections.abc import Mapping

from bot.storage.database import Database, DatabaseError
from bot.storage.migrations import Convert, upgrade


async def open_database(
    url: str, *, migrate: bool = True, converters: Mapping[int, Convert] | None = None
) -> Database:
    """Open the database that `url` names and bring its schema up to date
    (`converters`: the steps that reseal what is stored, from bot/privacy_upgrade.py)."""
    if url.startswith("sqlite://"):
        from bot.storage.sqlite import SQLiteDatabase  # each engine's driver, only if used

        db: Database = await SQLiteDatabase.connect(url)
    elif url.startswith(("postgresql://", "postgres://")):
        from bot.storage.postgres import PostgresDatabase

        db = await PostgresDatabase.connect(url)
    else:
        raise DatabaseError(f"unknown database URL scheme in {url.split(':', 1)[0]!r}")
    if migrate:
        try:
            await upgrade(db, converters=converters)
        except BaseException:
            await db.close()
            raise
    return db
