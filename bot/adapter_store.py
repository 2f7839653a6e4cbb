"""What adapters keep in Hearth's database, through the port's `AdapterStore`
(migration 9): a few named values of their own (where a sync stands), and a few
per member (which room is their DM with the bot).

A member's value hangs off their row, so `mydata delete` takes it with them, and
is sealed to its row: a DM room id names the member to anyone who can see the
room. It has no timestamp: when a DM was first used must not line up with a share.
"""

from __future__ import annotations

from bot import members
from bot.clock import Clock
from bot.localtime import epoch
from bot.port import Member
from bot.storage import Database, Transaction
from bot.vault import ADAPTER_MEMBER_STATE, MATRIX_DM_ROOM, Vault

#: the name migration 9 gave each Matrix DM room (adapters/matrix/state.py reads it so;
#: the sync position became `next_batch:ACCOUNT` of platform "matrix")
MATRIX_DM_ROOM_NAME = "dm_room"


def row_key(member_id: int, name: str) -> str:
    """The key `ADAPTER_MEMBER_STATE` seals a value to, as its SQL expression computes it."""
    return f"{member_id}:{name}"


class AdapterState:
    """The port's `AdapterStore`, on the core's database."""

    def __init__(self, db: Database, vault: Vault, clock: Clock) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock

    async def state(self, platform: str, key: str) -> str | None:
        return await self.db.fetchval(
            "SELECT value FROM adapter_state WHERE platform = $1 AND name = $2", platform, key
        )

    async def save_state(self, platform: str, key: str, value: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO adapter_state (platform, name, value, saved_at) "
                "VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (platform, name) DO UPDATE SET value = excluded.value, "
                "saved_at = excluded.saved_at",
                platform,
                key,
                value,
                epoch(self.clock.now()),
            )

    async def member_state(self, member: Member, key: str) -> str | None:
        async with self.db.transaction() as tx:
            found = await members.find(tx, self.vault, member)
            if found is None:
                return None
            sealed = await tx.fetchval(
                "SELECT value FROM adapter_member_state WHERE member_id = $1 AND name = $2",
                found.id,
                key,
            )
        if sealed is None:
            return None
        return self.vault.open(ADAPTER_MEMBER_STATE, row_key(found.id, key), sealed)

    async def save_member_state(self, member: Member, key: str, value: str) -> None:
        async with self.db.transaction() as tx:
            found = await members.get_or_create(tx, self.vault, member)
            await _put(tx, self.vault, found.id, key, value)


async def member_values(tx: Transaction, vault: Vault, member_id: int) -> dict[str, str]:
    """What adapters keep for one member (their DM room or channel), opened: their export."""
    rows = await tx.fetch(
        "SELECT name, value FROM adapter_member_state WHERE member_id = $1 ORDER BY name",
        member_id,
    )
    return {
        row["name"]: vault.open(ADAPTER_MEMBER_STATE, row_key(member_id, row["name"]), row["value"])
        for row in rows
    }


async def _put(tx: Transaction, vault: Vault, member_id: int, name: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO adapter_member_state (member_id, name, value) VALUES ($1, $2, $3) "
        "ON CONFLICT (member_id, name) DO UPDATE SET value = excluded.value",
        member_id,
        name,
        vault.seal(ADAPTER_MEMBER_STATE, row_key(member_id, name), value),
    )


async def carry_matrix_over(tx: Transaction, vault: Vault) -> None:
    """Migration 9's data step: each member's Matrix DM room, opened where migration 7
    sealed it and sealed again to its new row. (The sync position is plain: the
    migration's SQL copies it.)"""
    for row in await tx.fetch("SELECT member_id, room_id FROM matrix_dm_rooms"):
        room_id = vault.open(MATRIX_DM_ROOM, row["member_id"], row["room_id"])
        await _put(tx, vault, row["member_id"], MATRIX_DM_ROOM_NAME, room_id)
