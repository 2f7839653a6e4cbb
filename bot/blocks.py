"""A moderator's block on a member in one community: one concept every feature
respects (sharing refuses their shares and replies, encouragement their notes,
buddies proposes them to no one while it lasts).

The blocks table belongs to the core because several features read it; the
sharing feature's `mod block` writes it. Each block seals whom it blocks, so no
two blocks, nor a block and a share, share a value in a copy of the database:
the few in force in a community are opened and compared here.
"""

from __future__ import annotations

from datetime import datetime

from bot.anonymity import open_member
from bot.localtime import epoch
from bot.port import Member
from bot.storage import Transaction
from bot.vault import BLOCKED_IDENTITY, Vault

_IN_FORCE = (
    "SELECT id, code, identity FROM share_blocks WHERE community = $1 "
    "AND lifted_at IS NULL AND (until IS NULL OR until > $2) ORDER BY id"
)


async def active_block(
    tx: Transaction, vault: Vault, community: str, member: Member, now: datetime
) -> str | None:
    """The code of a block in force on this member here, if any."""
    for row in await tx.fetch(_IN_FORCE, community, epoch(now)):
        if open_member(vault, BLOCKED_IDENTITY, row["id"], row["identity"]) == member:
            return row["code"]
    return None


async def blocked_members(
    tx: Transaction, vault: Vault, community: str, now: datetime
) -> set[Member]:
    """Everyone a block keeps out here right now."""
    found = set()
    for row in await tx.fetch(_IN_FORCE, community, epoch(now)):
        member = open_member(vault, BLOCKED_IDENTITY, row["id"], row["identity"])
        if member is not None:
            found.add(member)
    return found
