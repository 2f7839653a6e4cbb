"""What the bot knows about its rooms, read from nio's synced state: which rooms
belong to a community, which room is whose DM, and who holds what power."""

from __future__ import annotations

from collections.abc import Iterable

from nio import AsyncClient, MatrixRoom, RoomCreateEvent

from adapters.matrix import translate
from bot.config import Community


class Rooms:
    def __init__(self, client: AsyncClient, communities: Iterable[Community]) -> None:
        self.client = client
        self.communities = tuple(communities)
        self.community_rooms: dict[str, Community] = {}
        for community in self.communities:
            channels = community.channels
            group = community.peers.group_checkin  # its weekly thread's room
            rooms = (channels.shares, channels.mod_queue, channels.celebrations)
            for room_id in (*rooms, group.channel if group else None):
                if room_id:
                    self.community_rooms[room_id] = community
        # m.room.create senders and additional creators, seen in full-state syncs
        self.creators: dict[str, frozenset[str]] = {}

    @property
    def own_id(self) -> str:
        return self.client.user_id

    def note_state(self, room_id: str, events: Iterable[object]) -> None:
        for event in events:
            if isinstance(event, RoomCreateEvent):
                self.creators[room_id] = translate.creators_of(event.source)

    def room(self, room_id: str) -> MatrixRoom | None:
        return self.client.rooms.get(room_id)

    def is_joined(self, room_id: str, user_id: str) -> bool:
        room = self.room(room_id)
        user = room.users.get(user_id) if room else None
        return user is not None and not user.invited

    def display_name(self, room_id: str, user_id: str) -> str | None:
        """The name the member chose for this room (their member event's
        `displayname`); None when they set none, never their user id."""
        room = self.room(room_id)
        user = room.users.get(user_id) if room else None
        name = user.display_name if user else None
        return name if isinstance(name, str) and name.strip() else None

    def dm_partner(self, room_id: str) -> str | None:
        """The one member sharing this room with the bot, if it is nobody else's room.

        Judged on the live member list (joined and invited), so a room that gains
        a third member stops counting as private at once."""
        room = self.room(room_id)
        if room is None or room_id in self.community_rooms or self.own_id not in room.users:
            return None
        others = set(room.users) - {self.own_id}
        return others.pop() if len(others) == 1 else None

    def all_joined(self) -> bool:
        """Whether the member lists of every community room are known."""
        return all(room_id in self.client.rooms for room_id in self.community_rooms)

    def shares_community(self, user_id: str) -> bool:
        return any(self.is_joined(room_id, user_id) for room_id in self.community_rooms)

    def level_in(self, room_id: str, user_id: str) -> int | None:
        room = self.room(room_id)
        if room is None:
            return None
        levels = room.power_levels
        return translate.power_level(
            user_id,
            levels.users,
            levels.defaults.users_default,
            room.room_version,
            self.creators.get(room_id, ()),
        )

    def levels_of(self, user_id: str) -> dict[str, int]:
        """A member's power in each community they are in: the highest they hold in
        the rooms of it they joined, never borrowed from another community's. The
        core picks the one the command is for (`--community NAME`, the room, or the
        only one)."""
        levels: dict[str, int] = {}
        for room_id, community in self.community_rooms.items():
            if not self.is_joined(room_id, user_id):
                continue
            level = self.level_in(room_id, user_id)
            if level is not None:
                levels[community.name] = max(level, levels.get(community.name, level))
        return levels

    def can_redact(self, room_id: str) -> bool:
        room = self.room(room_id)
        own = self.level_in(room_id, self.own_id)
        if room is None or own is None:
            return False
        levels = room.power_levels
        needed = max(
            levels.defaults.redact,
            levels.events.get("m.room.redaction", levels.defaults.events_default),
        )
        return own >= needed
