"""Members for the Matrix tests: real matrix-nio clients (with encryption) that
create rooms, write, react, and wait for what Hearth sends by bounded polling
of their own sync, never by sleeping."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    Event,
    MegolmEvent,
    PushRuleset,
    RoomCreateResponse,
    RoomGetStateResponse,
    SyncResponse,
)
from nio.exceptions import EncryptionError
from nio.store import SqliteMemoryStore
from synapse_support import Account, Synapse

from adapters.matrix.sync import exchange_keys

T = TypeVar("T")
WITHIN = 15.0  # seconds before a wait gives up and the test fails
ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


class Person:
    def __init__(self, server: Synapse, account: Account) -> None:
        self.account = account
        self.user_id = account.user_id
        self.client = AsyncClient(
            server.url,
            account.user_id,
            device_id=account.device_id,
            config=AsyncClientConfig(encryption_enabled=True, store=SqliteMemoryStore),
        )
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.timeline: dict[str, list[Event]] = defaultdict(list)
        self.invites: set[str] = set()

    async def sync(self, timeout_ms: int = 0) -> None:
        client = self.client
        answer = await client.sync(timeout=timeout_ms, full_state=not client.next_batch or None)
        assert isinstance(answer, SyncResponse), answer
        for room_id, joined in answer.rooms.join.items():
            self.timeline[room_id].extend(joined.timeline.events)
        self.invites.update(answer.rooms.invite)
        await exchange_keys(client)  # as the bot does between syncs
        self._decrypt_late()

    def _decrypt_late(self) -> None:
        """A message may come before its room key: read it once the key is here."""
        for events in self.timeline.values():
            for index, event in enumerate(events):
                if isinstance(event, MegolmEvent):
                    try:
                        events[index] = self.client.decrypt_event(event)
                    except EncryptionError:  # still no key: try after the next sync
                        continue

    async def wait_for(self, found: Callable[[], T | None], within: float = WITHIN) -> T:
        deadline = time.monotonic() + within
        while True:
            result = found()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.user_id} waited {within:g} s in vain")
            await self.sync(timeout_ms=300)

    # --- acting ----------------------------------------------------------------------

    async def create_room(
        self,
        *,
        invite: tuple[str, ...] = (),
        encrypted: bool = False,
        direct: bool = False,
        powers: dict[str, int] | None = None,
    ) -> str:
        answer = await self.client.room_create(
            is_direct=direct,
            invite=list(invite),
            initial_state=[ENCRYPTION] if encrypted else [],
            power_level_override={"users": powers} if powers else None,
        )
        assert isinstance(answer, RoomCreateResponse), answer
        await self.sync()
        return answer.room_id

    async def join(self, room_id: str) -> None:
        answer = await self.client.join(room_id)
        assert not isinstance(answer, ErrorResponse), answer
        await self.sync()

    async def send(self, room_id: str, kind: str, content: dict[str, Any]) -> str:
        await self.sync()  # membership and device keys known before encrypting
        answer = await self.client.room_send(room_id, kind, content, ignore_unverified_devices=True)
        assert not isinstance(answer, ErrorResponse), answer
        return answer.event_id

    async def say(self, room_id: str, text: str) -> str:
        return await self.send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send(room_id, "m.reaction", {"m.relates_to": relation})

    # --- reading ----------------------------------------------------------------------

    def from_user(self, room_id: str, sender: str) -> list[Event]:
        return [e for e in self.timeline[room_id] if getattr(e, "sender", None) == sender]

    def notices(self, room_id: str, sender: str) -> list[Event]:
        """What `sender` said: notices in rooms, texts in a member's DM (those ring)."""
        return [
            e
            for e in self.from_user(room_id, sender)
            if e.source.get("content", {}).get("msgtype") in ("m.notice", "m.text")
        ]

    def notice_with(self, room_id: str, sender: str, words: str) -> Event | None:
        return next((e for e in self.notices(room_id, sender) if words in e.body), None)

    def reactions_on(self, room_id: str, event_id: str, sender: str) -> set[str]:
        keys = set()
        for event in self.from_user(room_id, sender):
            relation = event.source.get("content", {}).get("m.relates_to", {})
            if relation.get("rel_type") == "m.annotation" and relation.get("event_id") == event_id:
                keys.add(relation["key"])
        return keys

    async def state(self, room_id: str) -> dict[str, dict[str, Any]]:
        """The room's state events as the homeserver tells this member, by type."""
        answer = await self.client.room_get_state(room_id)
        assert isinstance(answer, RoomGetStateResponse), answer
        return {e["type"]: e for e in answer.events if e.get("state_key") == ""}

    # --- what their phone would do ------------------------------------------------------

    async def push_rules(self) -> PushRuleset:
        """Their push rules as the homeserver keeps them (`GET /pushrules/`)."""
        response = await self.client.send(
            "GET",
            "/_matrix/client/v3/pushrules/",
            headers={"Authorization": f"Bearer {self.client.access_token}"},
        )
        assert response.status == 200, response.status
        return PushRuleset.from_dict((await response.json())["global"])

    async def notifies(self, room_id: str, event: Event) -> bool:
        """Whether their push rules say "notify" for `event` (decrypted, as a phone
        evaluates an encrypted room's events once it has read them)."""
        room = self.client.rooms[room_id]
        own_name = room.user_name(self.user_id) or self.user_id
        rule = (await self.push_rules()).matching_rule(event, room, own_name)
        return rule is not None and any(a.as_value == "notify" for a in rule.actions)
