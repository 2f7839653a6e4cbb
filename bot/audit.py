"""The moderators' audit log: who took which action, when, on which share
number. Features record into it; `mod log` (bot/features/moderation_tools)
shows it; `mydata export` gives a moderator their own entries. It never holds
or shows the author of anything anonymous, and it is purged after
`moderation.log_days` (bot/housekeeping.py).

The moderator is sealed (shown to fellow moderators, never readable from a
copy of the database) and found for their own export by a keyed hash."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.anonymity import seal_member
from bot.localtime import epoch, from_epoch
from bot.port import Member
from bot.storage import Transaction
from bot.vault import MODERATOR_IDENTITY, Vault

#: who a reload by signal is recorded as: the operator, who holds the file
OPERATOR = "(operator)"
OPERATOR_MEMBER = Member("operator", OPERATOR)


def moderator_key(vault: Vault, moderator: Member | None) -> str:
    who = ("operator",) if moderator is None else (moderator.platform, moderator.user_id)
    return vault.lookup("moderator", *who)


async def record(
    tx: Transaction,
    vault: Vault,
    community: str,
    moderator: Member | None,
    action: str,
    share_number: int | None,
    detail: str,
    now: datetime,
) -> None:
    """Write one entry; `detail` is a block id, a reply label, a moderator's note or
    the key paths a reload changed — never anything about an author. `moderator`
    None is the operator (a reload by signal)."""
    entry_id = await tx.fetchval(
        "INSERT INTO moderation_log (community, moderator, moderator_key, action, "
        "share_number, detail, created_at) VALUES ($1, '', $2, $3, $4, $5, $6) RETURNING id",
        community,
        moderator_key(vault, moderator),
        action,
        share_number,
        detail or None,
        epoch(now),
    )
    await tx.execute(
        "UPDATE moderation_log SET moderator = $1 WHERE id = $2",
        seal_member(vault, MODERATOR_IDENTITY, entry_id, moderator or OPERATOR_MEMBER),
        entry_id,
    )


async def export(
    tx: Transaction, vault: Vault, moderator: Member, communities: Iterable[str]
) -> list[dict[str, Any]]:
    """A moderator's own entries, for `mydata export`. `mydata delete` leaves them:
    moderators stay accountable for what they did (the privacy card says so)."""
    names = set(communities)
    rows = await tx.fetch(
        "SELECT community, action, share_number, detail, created_at FROM moderation_log "
        "WHERE moderator_key = $1 ORDER BY id",
        moderator_key(vault, moderator),
    )
    return [
        {
            "community": row["community"],
            "action": row["action"],
            "share_number": row["share_number"],
            "detail": row["detail"],
            "at": from_epoch(row["created_at"]).isoformat(),
        }
        for row in rows
        if row["community"] in names
    ]
