"""The port: what adapters tell the core (events) and what the core asks of them (actions).

Every adapter (console, Discord, Matrix) translates its platform into these few
types and back. The core never imports a platform library; an adapter never
decides anything a member could notice differently on another platform.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

# --- who and where ---------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A platform user as the core sees them: (platform, user id)."""

    platform: str
    user_id: str


@dataclass(frozen=True)
class Place:
    """Where a message is: a member's DM with the bot, or a community channel.

    `only` narrows a channel message to one member (a Discord ephemeral reply);
    the console prints it as `#CHANNEL|only:NAME`.
    """

    kind: Literal["dm", "channel"]
    platform: str
    target: str  # user id for a DM, channel/room id for a channel
    only: str | None = None

    @classmethod
    def dm(cls, member: Member) -> Place:
        return cls("dm", member.platform, member.user_id)

    @classmethod
    def channel(cls, platform: str, channel_id: str) -> Place:
        return cls("channel", platform, channel_id)

    @property
    def is_dm(self) -> bool:
        return self.kind == "dm"


# --- inbound events ---------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Something a member did. `event_id` is the platform's own id for it, so a
    replayed delivery of the same event has no second effect."""

    event_id: str
    member: Member
    place: Place
    space: str | None = field(default=None, kw_only=True)  # Discord guild id, if any
    #: only the member saw what they typed (a Discord modal or ephemeral command),
    #: even though `place` is a channel; DMs are private by nature
    private: bool = field(default=False, kw_only=True)
    #: facts the core needs to tell a moderator: Discord role ids, Matrix power level
    roles: tuple[str, ...] = field(default=(), kw_only=True)
    power_level: int | None = field(default=None, kw_only=True)

    @property
    def unseen(self) -> bool:
        """Whether nobody but the member saw the input: where anonymous text is accepted."""
        return self.place.is_dm or self.private


@dataclass(frozen=True)
class CommandGiven(Event):
    """`!checkin 4 good day` or a Discord slash command, as words after the prefix."""

    text: str


@dataclass(frozen=True)
class ChoicePicked(Event):
    """A one-tap choice (button, select, numbered reply) that stands for a command."""

    command: str


@dataclass(frozen=True)
class ReactionAdded(Event):
    """An emoji reaction on one of the bot's own messages."""

    message_id: str
    emoji: str


@dataclass(frozen=True)
class MessagePosted(Event):
    """Plain text that is not a command (e.g. a mood number typed under a prompt)."""

    text: str
    reply_to: str | None = None


# --- outbound actions ---------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One tap-able answer; `command` is what picking it does (`checkin 4`).

    `emoji` lets a platform without buttons offer it as a reaction."""

    label: str
    command: str
    emoji: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: a chart image, a data export."""

    filename: str
    data: bytes = field(repr=False)
    description: str = ""


@dataclass(frozen=True)
class Spoiler:
    """Text shown only when the reader chooses to, behind its content warning
    (Discord `||…||`, Matrix `data-mx-spoiler`)."""

    warning: str
    text: str


@dataclass(frozen=True)
class Message:
    """Text (with optional choices and a file) the core wants shown in a place.

    `spoiler` follows `text`, hidden behind its warning. `reply_to` is the
    platform id of a message this one answers (a thread or reply on the
    platform). Adapters send it with every mention disabled. `idempotency_key`
    is stable across retries: adapters pass it to the platform (Discord nonce,
    Matrix transaction id) so a retried send posts once."""

    text: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None
    spoiler: Spoiler | None = None
    reply_to: str | None = None
    idempotency_key: str | None = None


class DeliveryError(Exception):
    """A send failed for a reason that may pass; the outbox retries later."""


class Unreachable(DeliveryError):
    """The platform says this member cannot be messaged (DMs closed, no shared
    server). Never retried: the member is marked unreachable instead."""


class Adapter(ABC):
    """What every platform implements. Methods raise `DeliveryError`/`Unreachable`."""

    platform: str
    #: whether the platform can show `Message.attachment` (charts, exports)
    shows_attachments: bool = True
    #: whether events can arrive and sends can go out right now (`/healthz`)
    connected: bool = True

    @abstractmethod
    async def send(self, place: Place, message: Message) -> str:
        """Post `message` in `place`; return the platform's message id."""

    @abstractmethod
    async def reply(self, event: Event, message: Message) -> None:
        """Answer `event` privately to the member who caused it."""

    @abstractmethod
    async def react(self, place: Place, message_id: str, emoji: str) -> None: ...

    @abstractmethod
    async def delete(self, place: Place, message_id: str) -> None: ...

    async def close(self) -> None:  # noqa: B027 - an adapter holding no connection needs nothing
        """At shutdown, after the last send: save what resuming needs (a sync
        token, say) and disconnect."""
