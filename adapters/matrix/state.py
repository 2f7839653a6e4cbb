"""What the Matrix adapter keeps in the core's store (`bot.port.AdapterStore`):
where the sync stands, and which room is each member's DM with the bot.

The core keeps a member's value sealed and erases it with them (`mydata
delete`): a DM room id names the member to anyone who can see the room.
"""

from __future__ import annotations

from bot.port import AdapterStore, Member

PLATFORM = "matrix"
DM_ROOM = "dm_room"


def sync_token_key(account: str) -> str:
    """A sync token is only good for the account that synced: keyed by the bot's user id."""
    return f"next_batch:{account}"


class MatrixState:
    def __init__(self, store: AdapterStore, account: str) -> None:
        self.store = store
        self.account = account

    async def sync_token(self) -> str | None:
        return await self.store.state(PLATFORM, sync_token_key(self.account))

    async def save_sync_token(self, token: str) -> None:
        await self.store.save_state(PLATFORM, sync_token_key(self.account), token)

    async def dm_room(self, user_id: str) -> str | None:
        return await self.store.member_state(Member(PLATFORM, user_id), DM_ROOM)

    async def remember_dm(self, user_id: str, room_id: str) -> None:
        await self.store.save_member_state(Member(PLATFORM, user_id), DM_ROOM, room_id)
