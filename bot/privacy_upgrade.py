"""Migration 7's data step: a database written before it, brought to the privacy
of docs/privacy.md in place, in the migration's one transaction.

- members: the plain user id becomes the keyed lookup; the id is sealed, and
  each member gets a secret;
- anonymous items: the old per-community pseudonym (the same on every item of
  an author) is matched to its member and replaced by that member's tokens
  (bot/anonymity.py), numbered in the order the items were written; an item
  whose author has left gets a random token, which points to no one;
- blocks: the blocked member, sealed; a block on someone who has since left
  can no longer be matched (their pseudonym cannot be turned back into an id);
- drafts (a confirmation waiting a few minutes) are dropped;
- the outbox: random ids, hashed keys, sealed message ids, days; prompts
  point at their outbox row;
- event ids, moderators and Matrix DM rooms: hashed or sealed;
- milestones: each counter's state (with its earlier runs) and each streak
  mark sealed; what a celebration celebrates, sealed;
- every time kept on a member's rows or an anonymous item: its day (UTC).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.adapter_store import carry_matrix_over
from bot.anonymity import item_token, seal_member, target_token
from bot.crypto import pseudonym as _old_pseudonym
from bot.localtime import from_epoch
from bot.port import Member
from bot.storage import Transaction
from bot.vault import (
    BLOCKED_IDENTITY,
    CELEBRATION_KIND,
    MATRIX_DM_ROOM,
    MEMBER_IDENTITY,
    MEMBER_SECRET,
    MODERATOR_IDENTITY,
    OUTBOX_BODY,
    OUTBOX_MESSAGE,
    STREAK_STATE,
    SealedField,
    Vault,
)

DAY = 86_400


def converters(vault: Vault) -> dict[int, Callable[[Transaction], Awaitable[None]]]:
    """The migration steps that rewrite rows under the key, for `open_database`:
    7 (this module) and 9 (the Matrix DM rooms, into the adapters' store)."""
    return {7: lambda tx: upgrade(tx, vault), 9: lambda tx: carry_matrix_over(tx, vault)}


def _unfindable() -> str:
    return secrets.token_urlsafe(16)


async def upgrade(tx: Transaction, vault: Vault) -> None:
    secret = vault.secret_for_upgrade()  # the old pseudonyms were made with it
    people = await _members(tx, vault)
    communities = {
        row["community"]
        for table in ("shares", "celebrations", "share_blocks", "moderation_log")
        for row in await tx.fetch(f"SELECT DISTINCT community FROM {table}")
    }
    by_pseudonym: dict[str, tuple[Member, bytes]] = {}
    cheers: dict[str, tuple[Member, bytes]] = {}
    for member, member_secret in people.values():
        for community in communities:
            args = (member.platform, member.user_id)
            by_pseudonym[_old_pseudonym(secret, community, *args)] = (member, member_secret)
            cheers[_old_pseudonym(secret, community + "/cheers", *args)] = (member, member_secret)
    await _anonymous_items(tx, by_pseudonym, cheers)
    await _blocks(tx, vault, by_pseudonym)
    await _outbox(tx, vault)
    await _milestones(tx, vault)
    await _the_rest(tx, vault, {m.user_id: m.platform for m, _ in people.values()})
    for table, column in (
        ("members", "unreachable_at"),
        ("checkins", "created_at"),
        ("shares", "created_at"),
        ("share_replies", "created_at"),
        ("share_supports", "created_at"),
        ("share_reports", "created_at"),
        ("share_blocks", "created_at"),
        ("celebrations", "posted_at"),
        ("celebration_cheers", "cheered_at"),
        ("processed_events", "seen_at"),
    ):
        await tx.execute(f"UPDATE {table} SET {column} = {column} - {column} % {DAY}")


async def _members(tx: Transaction, vault: Vault) -> dict[int, tuple[Member, bytes]]:
    people = {}
    for row in await tx.fetch("SELECT id, platform, lookup FROM members"):
        member = Member(row["platform"], row["lookup"])  # still the plain user id
        member_secret = secrets.token_bytes(32)
        await tx.execute(
            "UPDATE members SET lookup = $1, identity = $2, secret = $3 WHERE id = $4",
            vault.member_lookup(member),
            vault.seal(MEMBER_IDENTITY, row["id"], member.user_id),
            vault.seal(MEMBER_SECRET, row["id"], base64.b64encode(member_secret).decode()),
            row["id"],
        )
        people[row["id"]] = (member, member_secret)
    return people


async def _anonymous_items(
    tx: Transaction,
    by_pseudonym: dict[str, tuple[Member, bytes]],
    cheers: dict[str, tuple[Member, bytes]],
) -> None:
    counts: dict[tuple[str, str, Member], int] = defaultdict(int)

    def token(old: str | None, kind: str, community: str) -> str | None:
        if old is None:
            return None
        found = by_pseudonym.get(old)
        if found is None:
            return _unfindable()
        member, member_secret = found
        counts[(kind, community, member)] += 1
        return item_token(member_secret, kind, community, counts[(kind, community, member)])

    for row in await tx.fetch("SELECT id, community, owner FROM shares ORDER BY id"):
        new = token(row["owner"], "share", row["community"])
        await tx.execute("UPDATE shares SET owner = $1 WHERE id = $2", new, row["id"])
    for row in await tx.fetch(
        "SELECT r.id, r.owner, s.community FROM share_replies r "
        "JOIN shares s ON s.id = r.share_id ORDER BY r.id"
    ):
        new = token(row["owner"], "reply", row["community"])
        await tx.execute("UPDATE share_replies SET owner = $1 WHERE id = $2", new, row["id"])
    for row in await tx.fetch("SELECT id, community, owner FROM celebrations ORDER BY id"):
        new = token(row["owner"], "celebration", row["community"])
        await tx.execute("UPDATE celebrations SET owner = $1 WHERE id = $2", new, row["id"])

    def targeted(old: str, kind: str, *target: object, table=by_pseudonym) -> str:  # noqa: ANN001
        found = table.get(old)
        return _unfindable() if found is None else target_token(found[1], kind, *target)

    for row in await tx.fetch("SELECT share_id, supporter_key FROM share_supports"):
        await tx.execute(
            "UPDATE share_supports SET supporter_key = $1 "
            "WHERE share_id = $2 AND supporter_key = $3",
            targeted(row["supporter_key"], "support", row["share_id"]),
            row["share_id"],
            row["supporter_key"],
        )
    for row in await tx.fetch("SELECT id, share_id, reply_number, reporter_key FROM share_reports"):
        await tx.execute(
            "UPDATE share_reports SET reporter_key = $1 WHERE id = $2",
            targeted(row["reporter_key"], "report", row["share_id"], row["reply_number"] or 0),
            row["id"],
        )
    for row in await tx.fetch("SELECT celebration_id, cheerer_key FROM celebration_cheers"):
        await tx.execute(
            "UPDATE celebration_cheers SET cheerer_key = $1 "
            "WHERE celebration_id = $2 AND cheerer_key = $3",
            targeted(row["cheerer_key"], "cheer", row["celebration_id"], table=cheers),
            row["celebration_id"],
            row["cheerer_key"],
        )
    await tx.execute("DELETE FROM share_drafts")


async def _blocks(
    tx: Transaction, vault: Vault, by_pseudonym: dict[str, tuple[Member, bytes]]
) -> None:
    for row in await tx.fetch("SELECT id, identity FROM share_blocks"):
        found = by_pseudonym.get(row["identity"])
        member = found[0] if found else Member("(left)", _unfindable())
        await tx.execute(
            "UPDATE share_blocks SET identity = $1 WHERE id = $2",
            seal_member(vault, BLOCKED_IDENTITY, row["id"], member),
            row["id"],
        )


async def _milestones(tx: Transaction, vault: Vault) -> None:
    from datetime import date, timedelta

    from bot.features.milestones import counters, streaks

    for row in await tx.fetch("SELECT * FROM milestone_counters_v6 ORDER BY id"):
        runs = await tx.fetch(
            "SELECT * FROM milestone_runs WHERE counter_id = $1 ORDER BY attempt", row["id"]
        )
        counter = await counters.create(
            tx,
            vault,
            row["member_id"],
            row["community"],
            name=row["name"],
            start=date.fromisoformat(row["start_date"]),
            visibility=row["visibility"],
            celebrated_days=row["celebrated_days"],
            counter_id=row["id"],
        )
        counter = dataclasses.replace(
            counter,
            attempt=row["attempt"],
            runs=tuple(
                counters.Run(
                    r["attempt"],
                    date.fromisoformat(r["start_date"]),
                    date.fromisoformat(r["end_date"]),
                    r["days"],
                )
                for r in runs
            ),
        )
        await counters.save(tx, vault, counter)
        # Looked at again at the next check it had, and daily from then on.
        await counters.set_next_check(
            tx,
            counter.id,
            None if row["next_check_at"] is None else from_epoch(row["next_check_at"]),
        )
    for row in await tx.fetch("SELECT * FROM streak_milestones"):
        run_start = None
        if row["last_day"] and row["last_streak"]:
            last = date.fromisoformat(row["last_day"])
            run_start = (last - timedelta(days=row["last_streak"] - 1)).isoformat()
        state = {
            "visibility": row["visibility"],
            "celebrated_days": row["celebrated_days"],
            "run_start": run_start,
        }
        key = streaks.row_key(row["member_id"], row["community"])
        await tx.execute(
            "UPDATE streak_milestones SET state = $1 WHERE member_id = $2 AND community = $3",
            vault.seal(STREAK_STATE, key, json.dumps(state)),
            row["member_id"],
            row["community"],
        )
    await _seal_in_place(tx, vault, CELEBRATION_KIND)


def _prompt_key(row: Any) -> str:
    """How migration 6's prompts were keyed (bot/features/checkins/prompts.py)."""
    return f"prompt:{row['member_id']}:{row['community']}:{row['local_date']}:{row['prompt_time']}"


async def _outbox(tx: Transaction, vault: Vault) -> None:
    from bot.outbox import message_key, stored_key

    new_ids: dict[str, tuple[int, int | None]] = {}
    rows = await tx.fetch("SELECT * FROM outbox ORDER BY id")
    for position, row in enumerate(rows):
        old_key = row["idempotency_key"]
        body = json.loads(vault.sealer.open(row["body"], f"outbox.body:{old_key}"))
        body["key"] = old_key
        new_id = secrets.randbits(62) + 1
        message_id = row["message_id"]
        pending = row["status"] in ("pending", "sending")
        await tx.execute(
            "UPDATE outbox SET id = $1, idempotency_key = $2, body = $3, message_id = $4, "
            "message_key = $5, seq = $6, created_at = created_at - created_at % 86400 "
            "WHERE id = $7",
            new_id,
            stored_key(vault, old_key),
            vault.seal(OUTBOX_BODY, new_id, json.dumps(body)),
            None if message_id is None else vault.seal(OUTBOX_MESSAGE, new_id, message_id),
            None if message_id is None else message_key(vault, row["platform"], message_id),
            row["created_at"] * 1_000_000 + position if pending else None,
            row["id"],
        )
        new_ids[old_key] = (new_id, row["sent_at"])
    for row in await tx.fetch("SELECT * FROM prompt_slots"):
        found = new_ids.get(_prompt_key(row))
        if found is not None:
            outbox_id, sent_at = found
            await tx.execute(
                "UPDATE prompt_slots SET outbox_id = $1, delivered_at = $6 WHERE member_id = $2 "
                "AND community = $3 AND local_date = $4 AND prompt_time = $5",
                outbox_id,
                row["member_id"],
                row["community"],
                row["local_date"],
                row["prompt_time"],
                sent_at,
            )
    await tx.execute(
        "UPDATE outbox SET sent_at = sent_at - sent_at % 86400, next_attempt_at = created_at "
        "WHERE status NOT IN ('pending', 'sending')"
    )
    for row in await tx.fetch("SELECT id, idempotency_key FROM console_deliveries"):
        await tx.execute(
            "UPDATE console_deliveries SET idempotency_key = $1 WHERE id = $2",
            vault.lookup("console", row["idempotency_key"]),
            row["id"],
        )


async def _the_rest(tx: Transaction, vault: Vault, platforms: dict[str, str]) -> None:
    from bot.audit import OPERATOR, OPERATOR_MEMBER, moderator_key

    for row in await tx.fetch("SELECT platform, event_key FROM processed_events"):
        await tx.execute(
            "UPDATE processed_events SET event_key = $1 WHERE platform = $2 AND event_key = $3",
            vault.lookup("event", row["platform"], row["event_key"]),
            row["platform"],
            row["event_key"],
        )
    for row in await tx.fetch("SELECT id, moderator FROM moderation_log"):
        name = row["moderator"]
        who = None if name == OPERATOR else Member(platforms.get(name, "(unknown)"), name)
        await tx.execute(
            "UPDATE moderation_log SET moderator = $1, moderator_key = $2 WHERE id = $3",
            seal_member(vault, MODERATOR_IDENTITY, row["id"], who or OPERATOR_MEMBER),
            moderator_key(vault, who),
            row["id"],
        )
    await _seal_in_place(tx, vault, MATRIX_DM_ROOM)


async def _seal_in_place(tx: Transaction, vault: Vault, field: SealedField) -> None:
    """Seal a column that held plain text, row by row, to its row."""
    rows = await tx.fetch(f"SELECT {field.key_column}, {field.column} FROM {field.table}")
    for row_key, plain in rows:
        await tx.execute(
            f"UPDATE {field.table} SET {field.column} = $1 WHERE {field.key_column} = $2",
            vault.seal(field, row_key, plain),
            row_key,
        )
