"""After a key rotation has resealed everything: every keyed hash derived from
the deployment key, computed again under the new key (bot/vault.rotate).

Each hash is recomputed from what it stands for, which is sealed beside it, so
this can run any number of times with the same result.
"""

from __future__ import annotations

import json

from bot import outbox
from bot.anonymity import open_member
from bot.features.moderation_tools.audit import OPERATOR_MEMBER, moderator_key
from bot.port import Member
from bot.storage import Transaction
from bot.vault import MEMBER_IDENTITY, MODERATOR_IDENTITY, OUTBOX_BODY, OUTBOX_MESSAGE, Vault


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
