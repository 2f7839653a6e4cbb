"""After a key rotation has resealed everything: every keyed hash derived from
the deployment key, computed again under the new key (`rotate` below).

Each hash is recomputed from what it stands for, which is sealed beside it, so
this can run any number of times with the same result.
"""

from __future__ import annotations

import json

from bot import outbox
from bot.anonymity import open_member
from bot.audit import OPERATOR_MEMBER, moderator_key
from bot.port import Member
from bot.storage import Database, Transaction
from bot.vault import (
    MEMBER_IDENTITY,
    MODERATOR_IDENTITY,
    OUTBOX_BODY,
    OUTBOX_MESSAGE,
    SEALED_FIELDS,
    Vault,
)


async def rederive(tx: Transaction, vault: Vault) -> None:
    for row in await tx.fetch(
        "SELECT id, platform, identity FROM members WHERE identity IS NOT NULL"
    ):
        user_id = vault.open(MEMBER_IDENTITY, row["id"], row["identity"])
        await tx.execute(
            "UPDATE members SET lookup = $1 WHERE id = $2",
            vault.member_lookup(Member(row["platform"], user_id)),
            row["id"],
        )
    for row in await tx.fetch("SELECT id, platform, idempotency_key, body, message_id FROM outbox"):
        key = json.loads(vault.open(OUTBOX_BODY, row["id"], row["body"]))["key"]
        stored = outbox.stored_key(vault, key)
        message = row["message_id"]
        await tx.execute(
            "UPDATE outbox SET idempotency_key = $1, message_key = $2 WHERE id = $3",
            stored,
            None
            if message is None
            else outbox.message_key(
                vault, row["platform"], vault.open(OUTBOX_MESSAGE, row["id"], message)
            ),
            row["id"],
        )
    for row in await tx.fetch("SELECT id, moderator FROM moderation_log"):
        who = open_member(vault, MODERATOR_IDENTITY, row["id"], row["moderator"])
        await tx.execute(
            "UPDATE moderation_log SET moderator_key = $1 WHERE id = $2",
            moderator_key(vault, None if who in (None, OPERATOR_MEMBER) else who),
            row["id"],
        )
    # Not recomputable, and short-lived: a replayed platform event within the
    # next minutes could be handled twice; a running cooldown starts afresh; the
    # console playground may print again a message it printed just before a crash.
    for table in ("processed_events", "rate_marks", "console_deliveries"):
        await tx.execute(f"DELETE FROM {table}")


async def rotate(db: Database, old: Vault, new: Vault) -> int:
    """Re-seal every sealed value under `new` and re-derive every keyed hash, all
    in one transaction; return how many values moved.

    Owner tokens (bot/anonymity.py) come from each member's sealed secret, so they
    stay as they are. Keyed hashes come from the deployment key and are computed
    again from what they stand for, which is sealed beside them: member lookups
    from identities, outbox keys from the sealed body, message and moderator keys.
    Short-lived marks that cannot be recomputed (event ids already handled,
    running cooldowns) are dropped. Running it again after an interruption finds
    everything under `new` already and simply recomputes."""
    count = 0
    async with db.transaction() as tx:
        for field in SEALED_FIELDS:
            rows = await tx.fetch(
                f"SELECT {field.key_column}, {field.column} FROM {field.table} "
                f"WHERE {field.column} IS NOT NULL AND {field.column} <> ''"
            )
            for row_key, token in rows:
                context = field.context(row_key)
                await tx.execute(
                    f"UPDATE {field.table} SET {field.column} = $1 WHERE {field.key_column} = $2",
                    old.sealer.reseal(token, context, new.sealer),
                    row_key,
                )
                count += 1
        await rederive(tx, new)
    return count
