"""Batched relays: "3 people sent support to your share #4", not three DMs.

A feature records each tap with `add(tx, kind, ref_id, now)`; taps on the same
target gather in one open batch, delivered once its window has passed by the
resolver the feature registered for that kind. The resolver decides who hears
and what they read (and enqueues it in the outbox); this module only counts
and keeps time, so delivery is durable and happens once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.config import Config
from bot.localtime import epoch, from_epoch
from bot.members import MemberRecord
from bot.storage import Database, Transaction
from bot.vault import Vault

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)
BATCH = 200


@dataclass(frozen=True)
class RelayContext:
    tx: Transaction
    vault: Vault
    config: Config
    now: datetime

    def locale_for(self, member: MemberRecord | None, community: str) -> str:
        """The language to tell `member` in: their own, else the community's."""
        found = self.config.community(community)
        fallback = found.language if found else texts.ENGLISH
        return (member.language if member else None) or fallback


# (context, target id, how many taps, batch id) -> None; enqueues what should be said.
Resolver = Callable[[RelayContext, int, int, int], Awaitable[None]]


async def add(
    tx: Transaction, kind: str, ref_id: int, now: datetime, window: timedelta = WINDOW
) -> None:
    """Count one tap towards the open batch for (kind, ref_id), opening one if needed."""
    await tx.execute(
        "INSERT INTO relay_batches (kind, ref_id, count, due_at) VALUES ($1, $2, 1, $3) "
        "ON CONFLICT (kind, ref_id) DO UPDATE SET count = relay_batches.count + 1",
        kind,
        ref_id,
        epoch(now + window),
    )


async def take(tx: Transaction, kind: str, ref_id: int) -> int:
    """Close the open batch for (kind, ref_id) now, for a resolver that says its news
    in the same DM as another kind's ("3 new replies … 2 people sent support");
    how many taps it held (0 if none was open)."""
    row = await tx.fetchrow(
        "DELETE FROM relay_batches WHERE kind = $1 AND ref_id = $2 RETURNING count", kind, ref_id
    )
    return 0 if row is None else int(row["count"])


class RelayJob:
    """A scheduler job: hand each due batch to its resolver, exactly once."""

    name = "relays"

    def __init__(
        self, db: Database, vault: Vault, config: Config, resolvers: Mapping[str, Resolver]
    ) -> None:
        self.db = db
        self.vault = vault
        self.config = config
        self.resolvers = dict(resolvers)

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval("SELECT min(due_at) FROM relay_batches")
        return None if value is None else from_epoch(value)

    async def run_due(self, now: datetime) -> None:
        while True:
            rows = await self.db.fetch(  # passing by what another process holds
                "SELECT id, kind, ref_id, count FROM relay_batches WHERE due_at <= $1 "
                f"ORDER BY due_at LIMIT $2{self.db.dialect.skip_locked}",
                epoch(now),
                BATCH,
            )
            for row in rows:
                await self._deliver(row, now)
            if len(rows) < BATCH:
                return

    async def _deliver(self, row: object, now: datetime) -> None:
        batch_id, kind = row["id"], row["kind"]  # type: ignore[index]
        try:
            async with self.db.transaction() as tx:
                # The claim: lock the batch (another process holding it passes
                # it by), read its count as it is now, and delete it in the
                # transaction that delivers it, so it goes out exactly once.
                claimed = await tx.fetchrow(
                    "SELECT ref_id, count FROM relay_batches "
                    f"WHERE id = $1{tx.dialect.skip_locked}",
                    batch_id,
                )
                if claimed is None:
                    return
                await tx.execute("DELETE FROM relay_batches WHERE id = $1", batch_id)
                resolver = self.resolvers.get(kind)
                if resolver is None:
                    log.error("relay batch %s: no resolver for kind %s; dropped", batch_id, kind)
                    return
                context = RelayContext(tx, self.vault, self.config, now)
                await resolver(context, claimed["ref_id"], claimed["count"], batch_id)
        except Exception:
            log.exception("relay batch %s (%s) failed", batch_id, kind)
