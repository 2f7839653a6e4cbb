"""The async database layer: one interface, the engine chosen by URL scheme.

SQL is written once with `$1`-style placeholders and runs on every engine.
"""

from __future__ import annotations

from bot.storage.database import Database, DatabaseError, Transaction
from bot.storage.opening import open_database

__all__ = ["Database", "DatabaseError", "Transaction", "open_database"]
