"""What the Matrix adapter keeps in Hearth's database (migration 5): where the
sync stands, and which room is each member's DM with the bot.

The DM row hangs off the member, so `mydata delete` takes it with them; the
room id is sealed, as it names the member to anyone who can see the room.
"""

from __future__ import annotations

from adapters.matrix.translate import PLATFORM
from bot import members
from bot.clock import Clock
from bot.localtime import epoch
from bot.port import Member
from bot.storage import Database
from bot.vault import MATRIX_DM_ROOM, Vault


class MatrixTables:
    def __init__(self, db: Database, vault: Vault, clock: Clock, account: str) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.account = account  # the bot's user id: a token is only good for its account

    async def sync_token(self) -> str | None:
        return await self.db.fetchval(
            "SELECT next_batch FROM matrix_sync WHERE account = $1", self.account
        )

    async def save_sync_token(self, token: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO matrix_sync (account, next_batch, saved_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (account) DO UPDATE SET next_batch = excluded.next_batch, "
                "saved_at = excluded.saved_at",
                self.account,
                token,
                epoch(self.clock.now()),
            )

    async def dm_room(self, user_id: str) -> str | None:
        async with self.db.transaction() as tx:
            member = await members.find(tx, self.vault, Member(PLATFORM, user_id))
            if member is None:
                return None
            sealed = await tx.fetchval(
                "SELECT room_id FROM matrix_dm_rooms WHERE member_id = $1", member.id
            )
        return None if sealed is None else self.vault.open(MATRIX_DM_ROOM, member.id, sealed)

    async def remember_dm(self, user_id: str, room_id: str) -> None:
        async with self.db.transaction() as tx:
            member = await members.get_or_create(tx, self.vault, Member(PLATFORM, user_id))
            await tx.execute(
                "INSERT INTO matrix_dm_rooms (member_id, room_id) VALUES ($1, $2) "
                "ON CONFLICT (member_id) DO UPDATE SET room_id = excluded.room_id",
                member.id,
                self.vault.seal(MATRIX_DM_ROOM, member.id, room_id),
            )
