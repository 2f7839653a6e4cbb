"""The persistent outbox: messages that must not be lost or doubled.

A message is written here in the same transaction as the state change that
causes it, under an idempotency key; the deliverer sends it afterwards and
passes the key to the platform so a retried send posts once. A member whose
DMs cannot be reached is marked unreachable, never retried.

Several processes may share the outbox (Discord shards on one PostgreSQL): a
row is leased — marked 'sending' until `next_attempt_at`, committed — before
it is sent, so no two processes send it. A sender that dies leaves the lease
to run out; the row is then sent again under the same key.

Sends to each platform are paced (bot/pacing.py): a platform's rows are leased
only as fast as its rate allows, in queue order, while other platforms go on;
`next_due_at` names when the next may go. Every request counts, one an adapter
must make first included (`Adapter.prepare`); on PostgreSQL the rate
is shared by every process on the database, and a platform's "too many
requests" (`RateLimited`) holds them all back for as long as it asks.

A row says nothing a copy of the database could join on (docs/privacy.md):
its id is random, not the order it was written in; its key is stored as a
keyed hash (the key itself, like the place and the words, is sealed in the
body); the platform's message id is sealed and found by a keyed hash; it is
dated to the day it was queued. Only while it waits does it keep its place in
the queue (`seq`), cleared once it is sent.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from bot import members, slot_counts
from bot.clock import Clock
from bot.config import Config
from bot.localtime import day_floor, epoch, from_epoch
from bot.metrics import Metrics
from bot.pacing import Pacing, SharedBudget
from bot.port import (
    Adapter,
    Choice,
    DeliveryError,
    Mentions,
    Message,
    Place,
    RateLimited,
    Spoiler,
    Unreachable,
)
from bot.storage import Database, Transaction
from bot.storage.dialect import POSTGRES
from bot.vault import OUTBOX_BODY, OUTBOX_MESSAGE, Vault

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 20  # rows leased at a time: sent one after another within LEASE
LEASE = timedelta(minutes=5)
# Waiting to be sent: pending, or leased to a sender whose lease ran out.
UNSENT = "status IN ('pending', 'sending')"
# The prompt slot whose outbox row is $1 (none for any other message): bot/slot_counts.py
PROMPT_OF = "s.outbox_id = $1"


_SEQUENCE = itertools.count()
_PER_SECOND = 1_000_000


def _queue_position(now: datetime) -> int:
    """Where a new row stands in the queue while it waits: the second it was queued,
    then the order this process queued it in (the outbox ids are random)."""
    return epoch(now) * _PER_SECOND + next(_SEQUENCE) % _PER_SECOND


def queued_at(position: int) -> int:
    """The second a waiting row was queued, from its place in the queue."""
    return position // _PER_SECOND


def stored_key(vault: Vault, key: str) -> str:
    """How an idempotency key is stored: a keyed hash, so "relay:reply:12" or
    "milestone:7:…" cannot be read from a copy."""
    return vault.lookup("outbox", key)


def message_key(vault: Vault, platform: str, message_id: str) -> str:
    return vault.lookup("message", platform, message_id)


def _seal(vault: Vault, row_id: int, body: dict[str, object]) -> str:
    """Where and what, sealed together: a relay to an anonymous author must not
    keep their id next to their share in the clear, and members' words never are."""
    return vault.seal(OUTBOX_BODY, row_id, json.dumps(body))


def _open(vault: Vault, row: object) -> dict[str, Any]:
    return json.loads(vault.open(OUTBOX_BODY, row["id"], row["body"]))  # type: ignore[index]


def _message(body: dict[str, Any], key: str, reply_to: str | None = None) -> Message:
    spoiler = Spoiler(**body["spoiler"]) if body.get("spoiler") else None
    choices = tuple(Choice(**c) for c in body["choices"])
    called = body.get("mentions")  # a crisis alert raised again (bot/safety/alerts.py)
    mentions = Mentions(tuple(called["users"]), tuple(called["roles"])) if called else None
    return Message(
        body["text"],
        choices=choices,
        spoiler=spoiler,
        reply_to=reply_to,
        idempotency_key=key,
        mentions=mentions,
    )


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
    reply_to_key: str | None = None,
    thread: str | None = None,
) -> bool:
    """Queue `message` for `place`; False if `key` was queued before (nothing changes).

    `not_before` holds it back, e.g. until a member's quiet hours end.
    `reply_to_key` names the queued post this one answers (a reply under a share).
    `thread` opens a thread on the post, with that title (`Adapter.open_thread`)."""
    body = {
        "op": "send",
        "key": key,
        "to": place.target,
        "text": message.text,
        "choices": [asdict(c) for c in message.choices],
        "spoiler": asdict(message.spoiler) if message.spoiler else None,
        "reply_to_key": reply_to_key,
    }
    if thread is not None:
        body["thread"] = thread
    if message.mentions is not None:
        body["mentions"] = asdict(message.mentions)
    return await _insert(tx, vault, key, place, body, now, member_id, expires_at, not_before)


async def enqueue_delete(
    tx: Transaction, vault: Vault, key: str, place: Place, target_key: str, now: datetime
) -> bool:
    """Take down the post queued as `target_key` (or make sure it never goes out)."""
    body = {"op": "delete", "key": key, "to": place.target, "target_key": target_key}
    return await _insert(tx, vault, key, place, body, now, None, None, None)


async def enqueue_react(
    tx: Transaction,
    vault: Vault,
    key: str,
    place: Place,
    target_key: str,
    emoji: str,
    now: datetime,
) -> bool:
    """React with `emoji` to the post queued as `target_key`, once it is out (a mod
    queue post marked as handled). Nothing happens if that post was never queued."""
    body = {"op": "react", "key": key, "to": place.target, "target_key": target_key, "emoji": emoji}
    return await _insert(tx, vault, key, place, body, now, None, None, None)


async def _insert(
    tx: Transaction,
    vault: Vault,
    key: str,
    place: Place,
    body: dict[str, object],
    now: datetime,
    member_id: int | None,
    expires_at: datetime | None,
    not_before: datetime | None,
) -> bool:
    row_id = secrets.randbits(62) + 1
    changed = await tx.execute(
        "INSERT INTO outbox (id, idempotency_key, member_id, platform, place_kind, "
        "body, next_attempt_at, expires_at, created_at, seq) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        row_id,
        stored_key(vault, key),
        member_id,
        place.platform,
        place.kind,
        _seal(vault, row_id, body),
        epoch(max(now, not_before or now)),
        None if expires_at is None else epoch(expires_at),
        day_floor(now),
        _queue_position(now),
    )
    return changed == 1


async def row_id_for(tx: Transaction, vault: Vault, key: str) -> int | None:
    """The outbox row queued under `key` (e.g. for delivery statistics)."""
    return await tx.fetchval(
        "SELECT id FROM outbox WHERE idempotency_key = $1", stored_key(vault, key)
    )


async def erase_dms_to(tx: Transaction, vault: Vault, place: Place) -> int:
    """Delete every DM row addressed to `place` that carries no member id (relays to
    an anonymous author: only the sealed body says whom), sent or waiting. Rows
    with the member's id go with their row. For `mydata delete`; returns how many."""
    rows = await tx.fetch(
        "SELECT id, body FROM outbox WHERE place_kind = 'dm' AND platform = $1 "
        "AND member_id IS NULL",
        place.platform,
    )
    gone = [row["id"] for row in rows if _open(vault, row).get("to") == place.target]
    for row_id in gone:
        await slot_counts.leave(tx, PROMPT_OF, row_id)
        await tx.execute("DELETE FROM outbox WHERE id = $1", row_id)
        await slot_counts.join(tx, PROMPT_OF, row_id)
    return len(gone)


async def forget_member(tx: Transaction, vault: Vault, key: str) -> None:
    """Keep the row queued under `key` past its member's deletion (a take-down needs it)."""
    await tx.execute(
        "UPDATE outbox SET member_id = NULL WHERE idempotency_key = $1", stored_key(vault, key)
    )


async def find_sent(
    tx: Transaction, vault: Vault, platform: str, message_id: str
) -> Message | None:
    """The message the bot sent as `message_id`, e.g. to map a reaction to a choice."""
    row = await tx.fetchrow(
        "SELECT * FROM outbox WHERE message_key = $1", message_key(vault, platform, message_id)
    )
    if row is None:
        return None
    body = _open(vault, row)
    return _message(body, body["key"])


async def messages_to(
    tx: Transaction, vault: Vault, member_id: int
) -> list[tuple[str, int, str | None]]:
    """(status, day queued, text) of what was queued for one member, for their export."""
    rows = await tx.fetch("SELECT * FROM outbox WHERE member_id = $1 ORDER BY id", member_id)
    return [(r["status"], r["created_at"], _open(vault, r).get("text")) for r in rows]


async def _sent_message_id(
    tx: Transaction, vault: Vault, stored: str
) -> tuple[str | None, str | None]:
    """(status, the platform's message id once sent) of the row stored under `stored`."""
    row = await tx.fetchrow(
        "SELECT id, status, message_id FROM outbox WHERE idempotency_key = $1", stored
    )
    if row is None:
        return None, None
    sealed = row["message_id"]
    return row["status"], vault.open(OUTBOX_MESSAGE, row["id"], sealed) if sealed else None


class _Held(Exception):
    """The platform's bucket is empty: the row waits for a token, no attempt counted."""


class OutboxDeliverer:
    """A scheduler job: send what is due, record the outcome, back off on failure."""

    name = "outbox"

    def __init__(
        self,
        db: Database,
        vault: Vault,
        adapters: Mapping[str, Adapter],
        metrics: Metrics | None = None,
        *,
        config: Config | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.vault = vault
        self.adapters = adapters
        self.metrics = metrics or Metrics()
        self.clock = clock  # the time a request goes out; without one, the pass's `now`
        # Several processes share a PostgreSQL database, and the platform's limit.
        shared = SharedBudget(db) if db.dialect is POSTGRES else None
        self.pacing = Pacing(shared=shared)
        self.config = config or Config()  # the sending rates, by platform

    @property
    def config(self) -> Config:
        return self._config

    @config.setter
    def config(self, config: Config) -> None:
        """Set at start and by `Hearth.reload`: a new sending rate applies at once."""
        self._config = config
        self.pacing.configure(config.adapters)

    def _sendable(self, first: int, platforms: list[str] | None = None) -> tuple[str, list[str]]:
        """`platform IN ($first, …)`: the platforms this process has adapters for.
        A row for another one waits for the process that runs it (a Matrix
        process beside Discord shards), instead of failing here."""
        platforms = platforms or sorted(self.adapters) or [""]
        marks = ", ".join(f"${first + i}" for i in range(len(platforms)))
        return f"platform IN ({marks})", platforms

    async def next_due_at(self) -> datetime | None:
        platforms = sorted(self.adapters)
        held = {p: at for p in platforms if (at := await self.pacing.ready_at(p)) is not None}
        free = [p for p in platforms if p not in held]
        times = [await self._first_due(free)] if free or not platforms else []
        for platform, ready in held.items():  # due when both a row and a token are
            due = await self._first_due([platform])
            times.append(None if due is None else max(due, ready))
        return min((t for t in times if t is not None), default=None)

    async def _first_due(self, platforms: list[str]) -> datetime | None:
        sendable, platforms = self._sendable(1, platforms)
        value = await self.db.fetchval(
            f"SELECT min(next_attempt_at) FROM outbox WHERE {UNSENT} AND {sendable}", *platforms
        )
        return None if value is None else from_epoch(value)

    async def depth(self) -> int:
        return int(await self.db.fetchval(f"SELECT count(*) FROM outbox WHERE {UNSENT}"))

    async def run_due(self, now: datetime) -> None:
        # Unpaced platforms share leases of BATCH rows, as many as are due; a
        # paced one is leased no more rows than its bucket lets go now.
        unpaced = [p for p in sorted(self.adapters) if not self.pacing.paced(p)]
        groups = [[p] for p in sorted(self.adapters) if self.pacing.paced(p)]
        if unpaced:
            groups.insert(0, unpaced)
        while groups:
            for group in list(groups):
                if self.pacing.shared is not None and not await self._any_due(now, group):
                    groups.remove(group)  # a shared token is granted only for a due row
                    continue
                most = await self.pacing.available(group[0], self._moment(now), BATCH)
                rows = await self._lease(now, group, most) if most else []
                await self._deliver_all(rows, now)
                if len(rows) < most or not most:
                    groups.remove(group)  # nothing more due, or no token left

    async def _any_due(self, now: datetime, platforms: list[str]) -> bool:
        sendable, platforms = self._sendable(2, platforms)
        found = await self.db.fetchval(
            f"SELECT id FROM outbox WHERE {UNSENT} AND next_attempt_at <= $1 AND {sendable} "
            "LIMIT 1",
            epoch(now),
            *platforms,
        )
        return found is not None

    def _moment(self, now: datetime) -> datetime:
        """When a request goes out, for the buckets: the clock's time if there is one
        (a long pass must not make later sends look earlier), else the pass's."""
        return now if self.clock is None else max(now, self.clock.now())

    async def _deliver_all(self, rows: list[Any], now: datetime) -> None:
        untried = list(rows)
        try:
            while untried:
                try:
                    await self._deliver_one(untried[0], now)
                except _Held:
                    # Out of tokens (the rate went down meanwhile): this platform's
                    # rows wait until its bucket has one again, in their order.
                    platform = untried[0]["platform"]
                    waiting = [row for row in untried if row["platform"] == platform]
                    untried = [row for row in untried if row["platform"] != platform]
                    await self._hand_back(waiting)
                    continue
                untried.pop(0)
        finally:
            # Stopped part-way (shutdown): hand back what was not finished,
            # the send in hand included — it goes again under the same key.
            if untried:
                await self._release(untried, now)

    async def _lease(
        self, now: datetime, platforms: list[str] | None = None, most: int = BATCH
    ) -> list[Any]:
        """Claim up to `most` due rows for this process, committed before any is sent."""
        sendable, platforms = self._sendable(4, platforms)
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "UPDATE outbox SET status = 'sending', next_attempt_at = $1 WHERE id IN ("
                f"SELECT id FROM outbox WHERE {UNSENT} AND next_attempt_at <= $2 AND {sendable} "
                f"ORDER BY next_attempt_at, seq LIMIT $3{tx.dialect.skip_locked}) RETURNING *",
                epoch(now + LEASE),
                epoch(now),
                most,
                *platforms,
            )
        return sorted(rows, key=lambda row: row["seq"])  # in the order they were queued

    async def _release(self, rows: list[Any], now: datetime) -> None:
        async with self.db.transaction() as tx:
            for row in rows:
                await tx.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = $1 "
                    "WHERE id = $2 AND status = 'sending'",
                    epoch(now),
                    row["id"],
                )

    async def _hand_back(self, rows: list[Any]) -> None:
        """Rows held back for a token: pending again, no attempt counted. They keep
        their place at the head of the queue (due since the day they were queued), and
        `next_due_at` waits for the platform's bucket."""
        async with self.db.transaction() as tx:
            for row in rows:
                await tx.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = created_at "
                    "WHERE id = $1 AND status = 'sending'",
                    row["id"],
                )
        log.debug("outbox: %d rows wait for a send token", len(rows))

    async def _take_token(self, adapter: Adapter, place: Place, now: datetime) -> None:
        """A request to `place` is about to go: spend a token, or hold the row back.
        If the adapter must ask the platform something first (open a DM channel),
        that request takes a token of its own, and the row the next one."""
        platform = place.platform
        if not self.pacing.paced(platform):
            return
        ready = await adapter.ready_for(place)
        if not await self.pacing.take(platform, self._moment(now)):
            raise _Held(platform)
        if not ready:
            await adapter.prepare(place)
            if not await self.pacing.take(platform, self._moment(now)):
                raise _Held(platform)  # sent when the next token is there

    async def _slow_down(self, row: Any, exc: RateLimited, now: datetime) -> None:
        """The platform said "too many requests": every process waits as long as it
        asks, and the row goes first when it may (no attempt counted)."""
        platform = row["platform"]
        until = self._moment(now) + timedelta(seconds=max(exc.retry_after, 0))
        log.warning("outbox: %s asks to wait %.2f s (429)", platform, exc.retry_after)
        await self.pacing.hold(platform, until)
        raise _Held(platform)  # handed back with the rest of its platform's lease

    async def _deliver_one(self, row: Any, now: datetime) -> None:
        try:
            await self._deliver(row, now)
        except _Held:
            raise
        except Exception:
            # One broken row must not hold the rest of the lease back.
            log.exception("outbox %s: delivery failed", row["id"])
            await self._retry(row, now, "error")

    async def _deliver(self, row: object, now: datetime) -> None:
        outbox_id = row["id"]  # type: ignore[index]
        if row["expires_at"] is not None and row["expires_at"] < epoch(now):  # type: ignore[index]
            await self._finish(outbox_id, "expired", now)
            self.metrics.message("expired")
            return
        adapter = self.adapters.get(row["platform"])  # type: ignore[index]
        if adapter is None:
            await self._retry(row, now, "no adapter running")
            return
        body = _open(self.vault, row)
        place = Place(row["place_kind"], row["platform"], body["to"])  # type: ignore[index]
        if body["op"] == "delete":
            await self._take_down(adapter, place, body["target_key"], row, now)
            return
        if body["op"] == "react":
            await self._react(adapter, place, body, row, now)
            return
        reply_to = None
        if body.get("reply_to_key"):
            async with self.db.transaction() as tx:
                _status, reply_to = await _sent_message_id(
                    tx, self.vault, stored_key(self.vault, body["reply_to_key"])
                )
            if reply_to is None:  # the post it answers is not out yet: wait for it
                await self._retry(row, now, "parent not sent yet", count=False)
                return
        # The platform gets the key itself: its own record of it (a Matrix
        # transaction id, the console's table) is the platform's to keep safe.
        message = _message(body, body["key"], reply_to)
        try:
            await self._take_token(adapter, place, now)
            if body.get("thread") is not None:
                message_id = await adapter.open_thread(place, message, body["thread"])
            else:
                message_id = await adapter.send(place, message)
        except RateLimited as exc:
            await self._slow_down(row, exc, now)
        except Unreachable:
            log.info("outbox %s: member unreachable, not retrying", outbox_id)
            async with self.db.transaction() as tx:
                await self._finish_in(tx, outbox_id, "unreachable", now)
                if row["member_id"] is not None:  # type: ignore[index]
                    await members.mark_unreachable(tx, row["member_id"], now)  # type: ignore[index]
            self.metrics.message("unreachable")
        except DeliveryError as exc:
            await self._retry(row, now, type(exc).__name__)
        else:
            await self._finish(outbox_id, "sent", now, message_id, place.platform)
            self.metrics.message("sent")

    async def _take_down(
        self, adapter: Adapter, place: Place, target_key: str, row: Any, now: datetime
    ) -> None:
        outbox_id = row["id"]
        target_key = stored_key(self.vault, target_key)
        async with self.db.transaction() as tx:
            target_id = await tx.fetchval(
                "SELECT id FROM outbox WHERE idempotency_key = $1", target_key
            )
            # Not sent yet: it never will be.
            await slot_counts.leave(tx, PROMPT_OF, target_id)
            await tx.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE idempotency_key = $1 "
                "AND status = 'pending'",
                target_key,
            )
            await slot_counts.join(tx, PROMPT_OF, target_id)
            status, message_id = await _sent_message_id(tx, self.vault, target_key)
        if status == "sending":
            # Another process is sending it right now: take it down once it is out.
            await self._retry(row, now, "post being sent", count=False)
            return
        if message_id is not None:
            try:
                await self._take_token(adapter, place, now)  # a take-down is a request too
                await adapter.delete(place, message_id)
            except RateLimited as exc:
                await self._slow_down(row, exc, now)
            except DeliveryError as exc:
                await self._retry(row, now, f"take-down failed ({type(exc).__name__})")
                return
        async with self.db.transaction() as tx:
            # The post is gone, and so is our copy of it: nothing lingers to be read back.
            target_id = await tx.fetchval(
                "SELECT id FROM outbox WHERE idempotency_key = $1", target_key
            )
            await slot_counts.leave(tx, PROMPT_OF, target_id)
            await tx.execute("DELETE FROM outbox WHERE idempotency_key = $1", target_key)
            await slot_counts.join(tx, PROMPT_OF, target_id)
            await self._finish_in(tx, outbox_id, "sent", now)

    async def _react(
        self, adapter: Adapter, place: Place, body: dict[str, Any], row: Any, now: datetime
    ) -> None:
        async with self.db.transaction() as tx:
            status, message_id = await _sent_message_id(
                tx, self.vault, stored_key(self.vault, body["target_key"])
            )
        if status in ("pending", "sending"):  # the post is not out yet: wait for it
            await self._retry(row, now, "post not sent yet", count=False)
            return
        if message_id is not None:
            try:
                await self._take_token(adapter, place, now)
                await adapter.react(place, message_id, body["emoji"])
            except RateLimited as exc:
                await self._slow_down(row, exc, now)
            except DeliveryError as exc:
                await self._retry(row, now, f"reaction failed ({type(exc).__name__})")
                return
        await self._finish(row["id"], "sent", now)  # or the post is gone: nothing to mark

    async def _retry(self, row: object, now: datetime, reason: str, *, count: bool = True) -> None:
        attempts = row["attempts"] + (1 if count else 0)  # type: ignore[index]
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        delay = timedelta(seconds=min(30 * 2**attempts, 3600))
        log.warning("outbox %s: send failed (%s), attempt %d", row["id"], reason, attempts)  # type: ignore[index]
        async with self.db.transaction() as tx:
            if status == "failed":  # a prompt given up on is counted so in mod stats
                await slot_counts.leave(tx, PROMPT_OF, row["id"])  # type: ignore[index]
            await tx.execute(
                "UPDATE outbox SET attempts = $1, status = $2, next_attempt_at = $3 WHERE id = $4",
                attempts,
                status,
                epoch(now + delay),
                row["id"],  # type: ignore[index]
            )
            if status == "failed":
                await slot_counts.join(tx, PROMPT_OF, row["id"])  # type: ignore[index]
        if count:
            self.metrics.message("failed" if status == "failed" else "retried")

    async def _finish(
        self,
        outbox_id: int,
        status: str,
        now: datetime,
        message_id: str | None = None,
        platform: str = "",
    ) -> None:
        async with self.db.transaction() as tx:
            await self._finish_in(tx, outbox_id, status, now, message_id, platform)

    async def _finish_in(
        self,
        tx: Transaction,
        outbox_id: int,
        status: str,
        now: datetime,
        message_id: str | None = None,
        platform: str = "",
    ) -> None:
        vault = self.vault
        # Finished: it leaves the queue and keeps no moment, only the day (a
        # congratulation sent at a member's midnight must not date their milestone).
        # A prompt's slot keeps when it reached the member, for delivery health.
        await slot_counts.leave(tx, PROMPT_OF, outbox_id)  # mod stats: counted as it happens
        if status == "sent":
            await tx.execute(
                "UPDATE prompt_slots SET delivered_at = $1 WHERE outbox_id = $2",
                epoch(now),
                outbox_id,
            )
        await tx.execute(
            "UPDATE outbox SET status = $1, sent_at = $2, message_id = $3, message_key = $4, "
            "seq = NULL, next_attempt_at = created_at WHERE id = $5",
            status,
            day_floor(now),
            None if message_id is None else vault.seal(OUTBOX_MESSAGE, outbox_id, message_id),
            None if message_id is None else message_key(vault, platform, message_id),
            outbox_id,
        )
        await slot_counts.join(tx, PROMPT_OF, outbox_id)
