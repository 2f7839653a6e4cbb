"""The persistent outbox: messages that must not be lost or doubled.

A message is written here in the same transaction as the state change that
causes it, under an idempotency key; the deliverer sends it afterwards and
passes the key to the platform so a retried send posts once. A member whose
DMs cannot be reached is marked unreachable, never retried.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime, timedelta

from bot import members
from bot.localtime import epoch, from_epoch
from bot.port import Adapter, Choice, DeliveryError, Message, Place, Unreachable
from bot.storage import Database, Transaction
from bot.vault import OUTBOX_BODY, Vault

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 100


def _encode(vault: Vault, key: str, place: Place, message: Message) -> str:
    """Where and what, sealed together: a relay to an anonymous author must not
    keep their id next to their share in the clear, and members' words never are."""
    plain = json.dumps(
        {
            "to": place.target,
            "text": message.text,
            "choices": [asdict(c) for c in message.choices],
        }
    )
    return vault.seal(OUTBOX_BODY, key, plain)


def _decode(vault: Vault, row: object) -> tuple[Place, Message]:
    key = row["idempotency_key"]  # type: ignore[index]
    data = json.loads(vault.open(OUTBOX_BODY, key, row["body"]))  # type: ignore[index]
    place = Place(row["place_kind"], row["platform"], data["to"])  # type: ignore[index]
    choices = tuple(Choice(**c) for c in data["choices"])
    return place, Message(data["text"], choices=choices, idempotency_key=key)


async def enqueue(
    tx: Transaction,
    vault: Vault,
    key: str,
    place: Place,
    message: Message,
    now: datetime,
    *,
    member_id: int | None = None,
    expires_at: datetime | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue `message` for `place`; False if `key` was queued before (nothing changes).

    `not_before` holds it back, e.g. until a member's quiet hours end."""
    changed = await tx.execute(
        "INSERT INTO outbox (idempotency_key, member_id, platform, place_kind, "
        "body, next_attempt_at, expires_at, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING",
        key,
        member_id,
        place.platform,
        place.kind,
        _encode(vault, key, place, message),
        epoch(max(now, not_before or now)),
        None if expires_at is None else epoch(expires_at),
        epoch(now),
    )
    return changed == 1


async def find_sent(
    tx: Transaction, vault: Vault, platform: str, message_id: str
) -> Message | None:
    """The message the bot sent as `message_id`, e.g. to map a reaction to a choice."""
    row = await tx.fetchrow(
        "SELECT * FROM outbox WHERE platform = $1 AND message_id = $2",
        platform,
        message_id,
    )
    return None if row is None else _decode(vault, row)[1]


async def message_id_for(tx: Transaction, key: str) -> str | None:
    """The platform's id of the message queued under `key`, once it was sent."""
    return await tx.fetchval("SELECT message_id FROM outbox WHERE idempotency_key = $1", key)


class OutboxDeliverer:
    """A scheduler job: send what is due, record the outcome, back off on failure."""

    name = "outbox"

    def __init__(self, db: Database, vault: Vault, adapters: Mapping[str, Adapter]) -> None:
        self.db = db
        self.vault = vault
        self.adapters = adapters

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval(
            "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'"
        )
        return None if value is None else from_epoch(value)

    async def depth(self) -> int:
        return int(await self.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'"))

    async def run_due(self, now: datetime) -> None:
        while True:
            rows = await self.db.fetch(
                "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 "
                "ORDER BY next_attempt_at, id LIMIT $2",
                epoch(now),
                BATCH,
            )
            for row in rows:
                await self._deliver(row, now)
            if len(rows) < BATCH:
                return

    async def _deliver(self, row: object, now: datetime) -> None:
        outbox_id = row["id"]  # type: ignore[index]
        if row["expires_at"] is not None and row["expires_at"] < epoch(now):  # type: ignore[index]
            await self._finish(outbox_id, "expired", now)
            return
        adapter = self.adapters.get(row["platform"])  # type: ignore[index]
        if adapter is None:
            await self._retry(row, now, "no adapter running")
            return
        place, message = _decode(self.vault, row)
        try:
            message_id = await adapter.send(place, message)
        except Unreachable:
            log.info("outbox %s: member unreachable, not retrying", outbox_id)
            async with self.db.transaction() as tx:
                await self._finish_in(tx, outbox_id, "unreachable", now)
                if row["member_id"] is not None:  # type: ignore[index]
                    await members.mark_unreachable(tx, row["member_id"], now)  # type: ignore[index]
        except DeliveryError as exc:
            await self._retry(row, now, type(exc).__name__)
        else:
            await self._finish(outbox_id, "sent", now, message_id)

    async def _retry(self, row: object, now: datetime, reason: str) -> None:
        attempts = row["attempts"] + 1  # type: ignore[index]
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        delay = timedelta(seconds=min(30 * 2**attempts, 3600))
        log.warning("outbox %s: send failed (%s), attempt %d", row["id"], reason, attempts)  # type: ignore[index]
        await self.db.execute(
            "UPDATE outbox SET attempts = $1, status = $2, next_attempt_at = $3 WHERE id = $4",
            attempts,
            status,
            epoch(now + delay),
            row["id"],  # type: ignore[index]
        )

    async def _finish(
        self, outbox_id: int, status: str, now: datetime, message_id: str | None = None
    ) -> None:
        async with self.db.transaction() as tx:
            await self._finish_in(tx, outbox_id, status, now, message_id)

    @staticmethod
    async def _finish_in(
        tx: Transaction, outbox_id: int, status: str, now: datetime, message_id: str | None = None
    ) -> None:
        await tx.execute(
            "UPDATE outbox SET status = $1, sent_at = $2, message_id = $3 WHERE id = $4",
            status,
            epoch(now),
            message_id,
            outbox_id,
        )
