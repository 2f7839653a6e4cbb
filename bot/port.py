"""The port: what adapters tell the core (events) and what the core asks of them (actions).

Every adapter (console, Discord, Matrix) translates its platform into these few
types and back. The core never imports a platform library; an adapter never
decides anything a member could notice differently on another platform.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.config import Config
from bot.texts import ENGLISH, LOCALES, plural, text

__all__ = [  # what adapters read of the catalogue, through the port
    "ENGLISH",
    "LOCALES",
    "plural",
    "text",
]

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
    #: facts the core needs to tell a moderator: Discord role ids, and Matrix power
    #: levels by community name (the highest the member holds in its rooms)
    roles: tuple[str, ...] = field(default=(), kw_only=True)
    power_levels: Mapping[str, int] = field(default_factory=dict, kw_only=True)
    #: how others see the member on the platform (a display name, never a mention);
    #: None when the platform did not say
    display_name: str | None = field(default=None, kw_only=True)
    #: the language the member's app is set to, if the platform says (Discord's
    #: interaction locale, e.g. "de", "pt-BR"); None elsewhere
    locale: str | None = field(default=None, kw_only=True)

    @property
    def unseen(self) -> bool:
        """Whether nobody but the member saw the input: where anonymous text is accepted."""
        return self.place.is_dm or self.private


@dataclass(frozen=True)
class CommandGiven(Event):
    """`!checkin 4 good day` or a Discord slash command, as words after the prefix."""

    text: str


@dataclass(frozen=True)
class Invoked(Event):
    """A declared command with typed values (a Discord slash command or its form).

    `command` is the declaration's path (`("checkin", "schedule")`), `values` its
    options as the platform typed them, `fields` what the member wrote in the
    command's form, and `community` one the member picked (a DM shared by several
    communities). The core checks them against the declaration, once."""

    command: tuple[str, ...]
    values: Mapping[str, object] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    community: str | None = None


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
    """Plain text that is not a command (e.g. a mood number typed under a prompt).

    `thread` is set when it was posted in a thread the bot opened (`Adapter.open_thread`):
    the id `open_thread` returned for it."""

    text: str
    reply_to: str | None = None
    thread: str | None = field(default=None, kw_only=True)


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
    description: str = ""  # alt text, for whoever cannot see the image
    width: int | None = None  # an image's size in pixels, for clients that lay it out first
    height: int | None = None


@dataclass(frozen=True)
class Spoiler:
    """Text shown only when the reader chooses to, behind its content warning
    (Discord `||…||`, Matrix `data-mx-spoiler`)."""

    warning: str
    text: str


@dataclass(frozen=True)
class Mentions:
    """Whom a message calls by name so their app notifies them: moderators, when a
    crisis alert waited too long (bot/safety/alerts.py). Platform ids as the
    community's `moderators` config names them: `users` (Discord user ids, Matrix
    user ids, console names) and `roles` (Discord role ids). An adapter puts them
    before the text as its platform mentions people, and lets exactly these, and
    nobody else, be notified."""

    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """Text (with optional choices and a file) the core wants shown in a place.

    `spoiler` follows `text`, hidden behind its warning. `reply_to` is the
    platform id of a message this one answers (a thread or reply on the
    platform). Adapters send it with every mention disabled but `mentions`, which
    only a crisis alert raised again carries. `idempotency_key`
    is stable across retries: adapters pass it to the platform (Discord nonce,
    Matrix transaction id) so a retried send posts once."""

    text: str
    choices: tuple[Choice, ...] = ()
    attachment: Attachment | None = None
    spoiler: Spoiler | None = None
    reply_to: str | None = None
    idempotency_key: str | None = None
    mentions: Mentions | None = None


class DeliveryError(Exception):
    """A send failed for a reason that may pass; the outbox retries later."""


class Unreachable(DeliveryError):
    """The platform says this member cannot be messaged (DMs closed, no shared
    server). Never retried: the member is marked unreachable instead."""


class RateLimited(DeliveryError):
    """The platform answered "too many requests" (HTTP 429): nothing more goes to it,
    from any process, for `retry_after` seconds; the request is tried again then,
    and that is no failed attempt."""

    def __init__(self, retry_after: float, detail: str = "") -> None:
        super().__init__(detail or f"rate limited for {retry_after:g} s")
        self.retry_after = retry_after


class Adapter(ABC):
    """What every platform implements. Methods raise `DeliveryError`/`Unreachable`."""

    platform: str
    #: whether the platform can show `Message.attachment` (charts, exports)
    shows_attachments: bool = True
    #: whether events can arrive and sends can go out right now (`/healthz`)
    connected: bool = True
    #: whether members can type a command nobody else sees (Discord's slash
    #: commands): the core's hints offer it beside a DM
    private_commands: bool = False
    #: what members type before a command word (`!checkin`); hints show it
    command_prefix: str = "/"
    #: community keys this adapter reads once, at start (Matrix maps its rooms
    #: then): `mod reload` keeps their running values until a restart
    community_keys_read_at_start: tuple[str, ...] = ()

    @abstractmethod
    async def send(self, place: Place, message: Message) -> str:
        """Post `message` in `place`; return the platform's message id."""

    @abstractmethod
    async def reply(self, event: Event, message: Message) -> None:
        """Answer `event` privately to the member who caused it."""

    async def open_thread(self, place: Place, message: Message, name: str) -> str:
        """Post `message` in the channel `place` and open a thread on it, titled `name`
        where the platform titles threads (a group check-in). Return the id members'
        answers in it will carry (`MessagePosted.thread`). A platform whose threads
        start from any message needs nothing more than the post."""
        return await self.send(place, message)

    async def ready_for(self, place: Place) -> bool:
        """Whether a send, reaction or take-down in `place` is one request; False while
        the platform must be asked something first (a Discord DM channel not yet
        known), which `prepare` does."""
        return True

    async def prepare(self, place: Place) -> None:  # noqa: B027 - most platforms need nothing
        """Make the request sending to `place` needs first: the outbox paces it like
        any other, and sends in a request of its own afterwards."""

    @abstractmethod
    async def react(self, place: Place, message_id: str, emoji: str) -> None: ...

    @abstractmethod
    async def delete(self, place: Place, message_id: str) -> None: ...

    async def withdraw(self, event: Event) -> None:  # noqa: B027 - most platforms need nothing
        """Take down what the member typed where others could see it (a private
        command in a room): the core asks; the platform does what it may."""

    async def close(self) -> None:  # noqa: B027 - an adapter holding no connection needs nothing
        """At shutdown, after the last send: save what resuming needs (a sync
        token, say) and disconnect."""


# --- what the core declares: commands with typed options --------------------------


@dataclass(frozen=True)
class Words:
    """A catalogue message an adapter shows as a label, in the reader's language."""

    id: str
    values: tuple[tuple[str, object], ...] = ()

    def __call__(self, locale: str = ENGLISH, /, **more: object) -> str:
        return text(self.id, locale, **dict(self.values), **more)


#: where an option's autocomplete comes from (`Core.suggest`)
SUGGEST_TIMEZONE = "timezone"
SUGGEST_COMMAND = "command"
SUGGEST_COMMUNITY = "community"


@dataclass(frozen=True)
class Option:
    """One typed option of a command, with the limits the core holds it to."""

    name: str
    description: Words
    kind: type = str  # str, int or bool
    required: bool = False
    choices: tuple[tuple[Words, str], ...] = ()  # (what the member sees, the value)
    suggest: str | None = None  # an autocomplete source
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    flag: str | None = None  # a bool option: the word it adds when true
    opens: str | None = None  # a bool option: when true, the command's form opens
    prefill: str | None = None  # not a word: it fills in the form's field of this name


@dataclass(frozen=True)
class Field:
    """One box of a command's form (a Discord modal)."""

    name: str
    label: Words
    long: bool = False
    required: bool = True
    max_length: int = 4000
    placeholder: Words | None = None
    #: shown only when the invocation left this option out (a mood not yet picked)
    unless: str | None = None


@dataclass(frozen=True)
class Form:
    """Where a member writes a command's free text. `title` may use the
    invocation's values (`{number}`); `title_if` swaps it when a flag is on."""

    name: str
    title: Words
    fields: tuple[Field, ...]
    title_if: tuple[tuple[str, Words], ...] = ()

    def title_for(self, values: Mapping[str, object], locale: str = ENGLISH) -> str:
        chosen = next((w for flag, w in self.title_if if values.get(flag)), self.title)
        shown = {k: v for k, v in values.items() if isinstance(v, str | int)}
        return chosen(locale, **shown)


@dataclass(frozen=True)
class Command:
    """One invocable command: `checkin schedule`, `support`. `words` are the core's
    words for it when they differ from the path (`checkin now` is `checkin`)."""

    path: tuple[str, ...]
    description: Words
    options: tuple[Option, ...] = ()
    words: str | None = None
    form: Form | None = None  # always opens; an option's `opens` opens it on demand

    @property
    def root(self) -> str:
        return self.path[0]

    @property
    def qualified_name(self) -> str:
        return " ".join(self.path)

    @property
    def command_words(self) -> str:
        return self.words if self.words is not None else self.qualified_name

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def form_for(self, values: Mapping[str, object]) -> Form | None:
        """The form this invocation opens, if any (`/reply`, `/checkin now note:True`)."""
        if self.form is None:
            return None
        if not any(o.opens for o in self.options):
            return self.form
        return self.form if any(values.get(o.name) for o in self.options if o.opens) else None


@dataclass(frozen=True)
class Group:
    """Commands sharing a first word (`checkin …`). A `moderators` group is shown
    only to members whose platform permissions suggest they moderate; the core
    still checks every use."""

    name: str
    description: Words
    moderators: bool = False


@dataclass(frozen=True)
class Declarations:
    commands: tuple[Command, ...]
    groups: Mapping[str, Group]

    def find(self, path: Sequence[str]) -> Command | None:
        path = tuple(path)
        return next((c for c in self.commands if c.path == path), None)

    def form_for_choice(self, command: str) -> tuple[Command, dict[str, object]] | None:
        """A choice (`reply 4`) whose command still needs the member's words: the
        command and its values, so the platform can open its form."""
        words = command.split()
        for declared in self.commands:
            head = declared.command_words.split()
            if declared.form is None or any(o.opens for o in declared.options):
                continue
            if words[: len(head)] != head:
                continue
            rest = words[len(head) :]
            wanted = [o for o in declared.options if not o.prefill and o.kind is not bool]
            if len(rest) != len([o for o in wanted if o.required]):
                continue
            return declared, {o.name: value for o, value in zip(wanted, rest, strict=False)}
        return None


# --- what an adapter may call --------------------------------------------------------


class AdapterStore(Protocol):
    """A small key-value store for an adapter's own state, kept by the core's
    storage: `state` for the adapter's (a sync token), `member_state` for one
    member's (a DM room id), sealed and erased with the member."""

    async def state(self, platform: str, key: str) -> str | None: ...

    async def save_state(self, platform: str, key: str, value: str) -> None: ...

    async def member_state(self, member: Member, key: str) -> str | None: ...

    async def save_member_state(self, member: Member, key: str, value: str) -> None: ...


class Secrets(Protocol):
    """What an adapter may ask of the deployment secret: a key of its own, and
    sealing what it keeps outside the database (a login token)."""

    def derive_key(self, purpose: str) -> bytes: ...

    def seal_text(self, context: str, value: str) -> str: ...

    def open_text(self, context: str, token: str) -> str | None:
        """None when `token` does not open with this secret (a rotated key)."""
        ...


class Core(Protocol):
    """The core as an adapter sees it (bot/app.py's `Hearth` is one)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> AdapterStore: ...

    async def handle(self, event: Event) -> None: ...

    async def slow_down(self, platform: str, seconds: float) -> None:
        """The platform answered a request with "too many requests, retry after
        `seconds`" (a 429 the adapter's library retried by itself): Hearth's sends
        to it wait that long, from every process."""
        ...

    def declared(self, platform: str) -> Declarations:
        """The commands to offer members on `platform` (slash commands, autocomplete)."""
        ...

    async def suggest(
        self,
        member: Member,
        source: str,
        typed: str,
        *,
        command: tuple[str, ...] = (),
        space: str | None = None,
        community: str | None = None,
    ) -> list[str]:
        """Autocomplete values for `source`, best first."""
        ...
