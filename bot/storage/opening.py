"""Opening a database by URL: the engine, then the schema brought up to date."""

from __future__ import annotations

import sqlite3
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
        except sqlite3.DatabaseError as exc:
            # A file damaged past its first pages shows it here, not on opening.
            await db.close()
            raise DatabaseError(
                f"the database cannot be read ({exc}): it is damaged. "
                "Restore it from a backup, or move it aside to start afresh"
            ) from None
        except BaseException:
            await db.close()
            raise
    return db
