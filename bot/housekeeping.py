"""Hourly tidying: forget old event ids and delivered outbox rows, purge
check-in notes older than each community's `privacy.retention_days` and
moderator log entries older than its `moderation.log_days`."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import ratelimits
from bot.config import Config
from bot.localtime import epoch
from bot.storage import Database
from bot.vault import SEALED_FIELDS

EVERY = timedelta(hours=1)
KEEP_EVENT_IDS = timedelta(days=14)  # platforms replay within minutes, not weeks
KEEP_DELIVERED = timedelta(days=7)


class Housekeeping:
    name = "housekeeping"

    def __init__(self, db: Database, config: Config, start: datetime) -> None:
        self.db = db
        self.config = config
        self._next = start + EVERY

    async def next_due_at(self) -> datetime | None:
        return self._next

    async def run_due(self, now: datetime) -> None:
        if now < self._next:
            return
        self._next = now + EVERY
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM processed_events WHERE seen_at < $1", epoch(now - KEEP_EVENT_IDS)
            )
            await tx.execute(
                # Channel posts stay: they are how a reaction finds its share.
                "DELETE FROM outbox WHERE status NOT IN ('pending', 'sending') "
                "AND place_kind = 'dm' "
                "AND created_at < $1",
                epoch(now - KEEP_DELIVERED),
            )
            await ratelimits.purge(tx, now)  # a cooldown that ran out is not kept
            for field in SEALED_FIELDS:
                if field.expires_column:
                    await tx.execute(
                        f"UPDATE {field.table} SET {field.column} = NULL "
                        f"WHERE {field.expires_column} < $1 AND {field.column} IS NOT NULL",
                        epoch(now),
                    )
            for community in self.config.communities:
                cutoff = now - timedelta(days=community.privacy.retention_days)
                await tx.execute(
                    "UPDATE checkins SET note = NULL WHERE community = $1 AND created_at < $2 "
                    "AND note IS NOT NULL",
                    community.name,
                    epoch(cutoff),
                )
                await tx.execute(
                    "DELETE FROM moderation_log WHERE community = $1 AND created_at < $2",
                    community.name,
                    epoch(now - timedelta(days=community.moderation.log_days)),
                )
