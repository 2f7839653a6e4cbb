"""Hourly tidying: forget old event ids and delivered outbox rows, purge
check-in notes older than each community's `privacy.retention_days` and
moderator log entries older than its `moderation.log_days`.

Every step finds its rows by index and changes at most BATCH of them per
transaction, so a large backlog is cleared in many short writes: SQLite's
statements run on the event loop's thread (bot/storage/sqlite.py), and no
one event waits behind a long purge."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot import slot_counts
from bot.config import Config
from bot.localtime import epoch
from bot.scheduler import Hourly
from bot.storage import Database, Transaction
from bot.vault import SEALED_FIELDS

KEEP_EVENT_IDS = timedelta(days=14)  # platforms replay within minutes, not weeks
KEEP_DELIVERED = timedelta(days=7)
KEEP_ALERTS = timedelta(days=366)  # mod stats counts them by week, over a year
BATCH = 500  # rows one step changes per transaction

# SQL whose last parameter is the batch size (or a function doing it), its values.
Step = tuple[str | Callable[..., Awaitable[int]], tuple[Any, ...]]


async def _forget_dms(tx: Transaction, before: int, batch: int) -> int:
    """Delivered DMs past KEEP_DELIVERED; a prompt's slot is counted anew in mod stats
    (bot/slot_counts.py), as it has always read a slot whose row is gone."""
    ids = [
        row["id"]
        for row in await tx.fetch(
            "SELECT id FROM outbox WHERE place_kind = 'dm' AND created_at < $1 "
            "AND status NOT IN ('pending', 'sending') LIMIT $2",
            before,
            batch,
        )
    ]
    if not ids:
        return 0
    linked = slot_counts.ids_in("s.outbox_id", ids)
    await slot_counts.leave(tx, linked, *ids)
    await tx.execute(f"DELETE FROM outbox WHERE {slot_counts.ids_in('id', ids)}", *ids)
    await slot_counts.join(tx, linked, *ids)
    return len(ids)


async def _run(tx: Transaction, step: Step) -> int:
    sql, values = step
    if callable(sql):
        return await sql(tx, *values, BATCH)
    return await tx.execute(sql, *values, BATCH)


class Housekeeping(Hourly):
    name = "housekeeping"

    def __init__(self, db: Database, config: Config, start: datetime) -> None:
        super().__init__(start)
        self.db = db
        self.config = config

    async def work(self, now: datetime) -> None:
        await self._batched(self._steps(now))

    def _steps(self, now: datetime) -> list[Step]:
        """Each hour's purges (Step)."""
        steps: list[Step] = [
            (
                "DELETE FROM processed_events WHERE (platform, event_key) IN ("
                "SELECT platform, event_key FROM processed_events WHERE seen_at < $1 LIMIT $2)",
                (epoch(now - KEEP_EVENT_IDS),),
            ),
            # Channel posts stay: they are how a reaction finds its share.
            (_forget_dms, (epoch(now - KEEP_DELIVERED),)),
            # A cooldown that ran out is not kept (bot/ratelimits.py).
            (
                "DELETE FROM rate_marks WHERE mark IN ("
                "SELECT mark FROM rate_marks WHERE until <= $1 LIMIT $2)",
                (epoch(now),),
            ),
        ]
        for field in SEALED_FIELDS:
            if field.expires_column:
                key, table = field.key_column, field.table
                steps.append(
                    (
                        f"UPDATE {table} SET {field.column} = NULL WHERE {key} IN (SELECT {key} "
                        f"FROM {table} WHERE {field.expires_column} < $1 "
                        f"AND {field.column} IS NOT NULL LIMIT $2)",
                        (epoch(now),),
                    )
                )
        for community in self.config.communities:
            cutoff = now - timedelta(days=community.privacy.retention_days)
            steps.append(
                (
                    "UPDATE checkins SET note = NULL WHERE id IN (SELECT id FROM checkins "
                    "WHERE created_at < $2 AND note IS NOT NULL AND community = $1 LIMIT $3)",
                    (community.name, epoch(cutoff)),
                )
            )
            # A crisis alert is counted by week in mod stats for a year; one nobody
            # still waits on goes with the moderation log's days, or after that year.
            keep_alerts = max(timedelta(days=community.moderation.log_days), KEEP_ALERTS)
            steps.append(
                (
                    "DELETE FROM crisis_alerts WHERE id IN (SELECT id FROM crisis_alerts "
                    "WHERE community = $1 AND created_at < $2 AND due_at IS NULL LIMIT $3)",
                    (community.name, epoch(now - keep_alerts)),
                )
            )
            steps.append(
                (
                    "DELETE FROM moderation_log WHERE id IN (SELECT id FROM moderation_log "
                    "WHERE community = $1 AND created_at < $2 LIMIT $3)",
                    (community.name, epoch(now - timedelta(days=community.moderation.log_days))),
                )
            )
        return steps

    async def _batched(self, steps: list[Step]) -> int:
        """Run every step once in one short transaction, then again each step that
        filled a whole batch, until none does: an hour with little to purge costs
        one transaction, a backlog never holds the write lock for long."""
        total = 0
        while steps:
            async with self.db.transaction() as tx:
                changed = [await _run(tx, step) for step in steps]
            total += sum(changed)
            steps = [step for step, count in zip(steps, changed, strict=True) if count >= BATCH]
            if steps:
                await asyncio.sleep(0)  # events go in between
        return total
