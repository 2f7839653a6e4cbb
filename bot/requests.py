"""Command words → handlers, and the request a handler works with.

Adapters hand the core the words after the prefix (`checkin schedule 09:00`);
this module splits them, finds the handler and gives it one `Request`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.config import Community, Config
from bot.port import Event, Message

if TYPE_CHECKING:
    from bot.members import MemberRecord
    from bot.metrics import Metrics
    from bot.storage import Transaction
    from bot.vault import Vault


# What a refusal may quote back of a member's words but must not show raw:
# control characters (a NUL, a terminal escape) and the invisible direction
# overrides and isolates, which would turn the rest of the answer around.
# Marks real text uses (LRM, RLM, ZWJ in emoji) are left alone.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")


def preview(text: str, length: int = 80) -> str:
    """The start of `text` on one line, for a list (the mod queue)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def is_blank(text: str) -> bool:
    """Nothing a reader would see: empty, spaces, control or invisible characters."""
    return not any(ch.isprintable() and not ch.isspace() for ch in text)


def require_unseen(req: Request, refusal: str) -> None:
    """Anonymous words are only taken where nobody watched them being typed: a DM,
    or a platform's private input (a Discord slash command). `refusal` is the
    catalogue id that says where to write instead."""
    if not req.event.unseen:
        raise Refusal(req.t(refusal))


class Refusal(Exception):
    """Bad input or a request we won't do: the message is shown to the member
    and the transaction is rolled back, so nothing changes. `also` carries
    messages that must reach the member all the same (crisis resources)."""

    def __init__(self, message: str, also: tuple[Message, ...] = ()) -> None:
        message = _UNSHOWABLE.sub("\ufffd", message)  # quoted input stays readable
        super().__init__(message)
        self.message = message
        self.also = also


@dataclass
class Args:
    """The words of a command after its name, keeping the raw tail for free text."""

    text: str

    @property
    def words(self) -> list[str]:
        return self.text.split()

    def word(self, index: int) -> str | None:
        words = self.words
        return words[index].lower() if index < len(words) else None

    def after(self, count: int) -> str:
        """The raw text after the first `count` words, spacing inside kept."""
        rest = self.text.strip()
        for _ in range(count):
            parts = rest.split(None, 1)
            rest = parts[1] if len(parts) > 1 else ""
        return rest.strip()

    def shift(self, count: int = 1) -> Args:
        return Args(self.after(count))


@dataclass
class Request:
    """One member's command, with everything a handler may touch.

    Handlers write through `tx` only; replies are returned and sent after the
    transaction is durable."""

    event: Event
    member: MemberRecord
    community: Community
    tx: Transaction
    now: datetime
    args: Args
    vault: Vault
    config: Config  # the whole file, for what spans communities (a member's data)
    #: whether the member's platform shows files (a chart, an export)
    attachments_shown: bool = True
    #: the member's platform lets them type a command nobody else sees (Discord)
    private_commands: bool = False
    #: what the member types before a command word there (`!` on Matrix)
    prefix: str = "/"
    replies: list[Message] = field(default_factory=list)
    #: the member's data was erased: scrub it from the database files too
    erased: bool = False
    #: replies that take work best done after the commit (rendering a chart)
    deferred: list[Callable[[], Awaitable[Message]]] = field(default_factory=list)
    #: the member's language for replies (bot/texts)
    #: (bot/app.py: their own, else their app's, else the community's)
    locale: str = texts.ENGLISH
    #: a typed invocation's option values and its form's fields (bot/port.py `Invoked`)
    values: Mapping[str, object] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    #: the features listening to each core event (bot/events.py), set by the app
    listeners: Mapping[type, Sequence[Callable[[Request, Any], Awaitable[None]]]] = field(
        default_factory=dict
    )
    #: the deployment's counters (bot/metrics.py), for a feature's own totals
    metrics: Metrics | None = None
    #: a read-only snapshot on a connection of its own (`Database.reading`), for
    #: long reads in a reply prepared after the commit (`later`); set by the app
    reading: Callable[[], AbstractAsyncContextManager[Transaction]] | None = None

    def say(self, text: str, **kwargs: object) -> None:
        self.replies.append(Message(text, **kwargs))  # type: ignore[arg-type]

    def later(self, make_reply: Callable[[], Awaitable[Message]]) -> None:
        self.deferred.append(make_reply)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Transaction]:
        """Read apart from the event's transaction, off the event loop (`mod stats`).
        Without a reader (a request built by hand), the event's own transaction."""
        if self.reading is None:
            yield self.tx
            return
        async with self.reading() as tx:
            yield tx

    def t(self, message_id: str, /, **values: object) -> str:
        """A catalogue message in the member's language (bot/texts)."""
        return texts.text(message_id, self.locale, **values)

    def plural(self, message_id: str, count: int, /, **values: object) -> str:
        return texts.plural(message_id, count, self.locale, **values)

    async def publish(self, event: object) -> None:
        """Let the features that listen to this core event act on it, in this transaction."""
        for listener in self.listeners.get(type(event), ()):
            await listener(self, event)


Handler = Callable[[Request], Awaitable[None]]


#: which words of a command others must not see being typed (an anonymous share)
Private = Callable[[Args], bool]


@dataclass(frozen=True)
class Route:
    """A command's first word and what answers it. `private` says which of its
    uses must be typed where nobody else sees (a DM, a Discord slash command);
    elsewhere the core refuses with `private_refusal` and asks the platform to
    take the member's message down."""

    name: str
    #: catalogue ids, rendered in the reader's language by `help`: its usage (one
    #: id per block of lines, e.g. `checkins.usage`) and its line in the list
    usage: tuple[str, ...]
    summary: str
    handler: Handler
    hidden: bool = False
    private: Private | None = None
    private_refusal: str = ""  # a catalogue id


class Router:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        #: what answers a submitted form (bot/port.py `Form`), by the form's name
        self.forms: dict[str, Handler] = {}
        #: words one feature adds under another's command (`checkin encouragement`)
        self.subcommands: dict[str, dict[str, Handler]] = {}
        self._subcommand_usage: dict[str, list[str]] = {}

    def add(
        self,
        name: str,
        handler: Handler,
        usage: str | Sequence[str],
        summary: str,
        *,
        hidden: bool = False,
        private: Private | None = None,
        private_refusal: str = "",
    ) -> None:
        """Register a command; a `hidden` one is not listed by `help`. `usage` and
        `summary` are catalogue ids (`checkins.usage`), not text: `help` renders
        them per request, in the member's language; "" for none."""
        if name in self.routes:
            raise ValueError(f"command {name!r} registered twice")
        usages = (usage,) if isinstance(usage, str) else tuple(usage)
        usages = tuple(u for u in usages if u)
        self.routes[name] = Route(name, usages, summary, handler, hidden, private, private_refusal)

    def add_subcommand(self, name: str, word: str, handler: Handler, usage: str = "") -> None:
        """A feature's own word under another feature's command (`checkin encouragement
        on`), without importing it: `name word …` is answered by `handler` with the words
        after `word`, whichever feature registers first; `help name` adds `usage` (an id)."""
        words = self.subcommands.setdefault(name, {})
        if word in words:
            raise ValueError(f"subcommand {name} {word!r} registered twice")
        words[word] = handler
        if usage:
            self._subcommand_usage.setdefault(name, []).append(usage)

    def add_form(self, name: str, handler: Handler) -> None:
        if name in self.forms:
            raise ValueError(f"form {name!r} registered twice")
        self.forms[name] = handler

    @property
    def listed(self) -> list[Route]:
        """The commands members are shown (help, autocomplete)."""
        return [route for route in self.routes.values() if not route.hidden]

    def find(self, name: str) -> Route | None:
        route = self.routes.get(name.lower())
        words = self.subcommands.get(route.name) if route else None
        if route is None or not words:
            return route
        usage = (*route.usage, *self._subcommand_usage.get(route.name, ()))
        return dataclasses.replace(route, usage=usage, handler=_with(route.handler, words))


def _with(handler: Handler, subcommands: Mapping[str, Handler]) -> Handler:
    """`handler`, but its command's first word may name another feature's subcommand."""

    async def answer(req: Request) -> None:
        found = subcommands.get(req.args.word(0) or "")
        if found is None:
            await handler(req)
            return
        req.args = req.args.shift()
        await found(req)

    return answer


def split_command(text: str) -> tuple[str, Args]:
    """`"/checkin 4 ok"` or `"checkin 4 ok"` → `("checkin", Args("4 ok"))`."""
    text = text.strip()
    if text[:1] in ("/", "!"):
        text = text[1:]
    # Any whitespace ends the name, as it separates the words after it: a phone
    # may put a no-break space after `checkin`, a member a line break.
    name, *rest = text.split(None, 1) or [""]
    if not name:  # a bare `/` or `!`: what there is to type
        return "help", Args("")
    return name.lower(), Args(rest[0].strip() if rest else "")


def take_community_option(args: Args) -> tuple[str | None, Args]:
    """Strip `--community NAME` from the start or the end of the words — never
    from the middle, which may be a member's own text."""
    words = args.text.split()
    for start, length in ((0, 2), (len(words) - 2, 2), (0, 1), (len(words) - 1, 1)):
        if start < 0 or start + length > len(words):
            continue
        option = words[start : start + length]
        if length == 2 and option[0] == "--community":
            name = option[1]
        elif length == 1 and option[0].startswith("--community="):
            name = option[0].split("=", 1)[1]
        else:
            continue
        if not name:
            break
        return name, Args(" ".join(words[:start] + words[start + length :]))
    if words and words[-1] == "--community":
        raise Refusal(texts.text("core.community_option_needs_name"))  # before the member is known
    return None, args


def scope_choices(message: Message, community: str) -> Message:
    """Make each choice name its community, for a member who shares several with
    the bot: a button tapped in a DM cannot say where it came from otherwise."""
    if not message.choices:
        return message
    choices = tuple(
        dataclasses.replace(c, command=f"{c.command} --community {community}")
        for c in message.choices
    )
    return dataclasses.replace(message, choices=choices)
