"""Matrix events ⇄ the core's port, with no network in sight.

Inbound: a nio room event (already decrypted) plus what the client knows about
its room becomes a `CommandGiven`, `MessagePosted` or `ReactionAdded`.
Outbound: a `Message` becomes `m.room.message` content: `m.notice` in rooms
(bots speak in notices, which push rules keep quiet), `m.text` in a member's
own DM (what they asked for should reach their phone), `m.mentions` empty so
nothing Hearth posts can ping anyone (but the moderators a crisis alert raised
again calls, as pills), the core's command hints (`reply 1`)
with the prefix a member types, code spans as `<code>`, spoilers as
`data-mx-spoiler`, replies to a share threaded under it.
"""

from __future__ import annotations

import html
import mimetypes
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nio import Event as NioEvent
from nio import ReactionEvent, RoomMessageText, UnknownEvent

from bot.port import (
    Attachment,
    Choice,
    CommandGiven,
    Event,
    Member,
    Message,
    MessagePosted,
    Place,
    ReactionAdded,
    text,
)

PLATFORM = "matrix"
PREFIX = "!"
#: Room version 12 creators outrank every power level a room can hold (the
#: largest is 2**53 - 1, canonical JSON's limit), so they are reported above it.
CREATOR_POWER = 2**53
HTML_FORMAT = "org.matrix.custom.html"
_VS16 = "\ufe0f"  # emoji presentation selector; some clients drop it from keycaps
_KEYCAP = "\u20e3"


@dataclass(frozen=True)
class Where:
    """What the client knows about the room an event happened in."""

    room_id: str
    #: the member whose DM with Hearth this room is; None for a community room
    dm_with: str | None = None
    #: the sender's power level in each community they are in (see `power_level`)
    power_levels: Mapping[str, int] = field(default_factory=dict)
    #: the sender's display name in this room, None when they set none
    display_name: str | None = None


# --- inbound -------------------------------------------------------------------


def command_text(body: str) -> str | None:
    """`"!checkin 4 slept well"` → `"checkin 4 slept well"`; None for other text."""
    text = body.strip()
    if len(text) < 2 or not text.startswith(PREFIX) or text[1].isspace():
        return None
    return text[1:]


def strip_reply_fallback(body: str) -> str:
    """A reply's body may start with the quoted original (`> <@a:b> …`); the
    member's own words come after the first blank line."""
    if not body.startswith("> "):
        return body
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith(">"):
            return "\n".join(lines[index:]).strip()
    return ""


def normalise_emoji(key: str) -> str:
    """`1⃣` (keycap without VS16, as some clients send it) → `1️⃣`, the form Hearth offers."""
    if len(key) == 2 and key[1] == _KEYCAP:
        return key[0] + _VS16 + _KEYCAP
    return key


def _relation(source: Mapping[str, Any]) -> Mapping[str, Any]:
    content = source.get("content")
    relates = content.get("m.relates_to") if isinstance(content, Mapping) else None
    return relates if isinstance(relates, Mapping) else {}


def _text_or_none(value: object) -> str | None:
    """A field another client filled in: used only if it is what the spec says, a string."""
    return value if isinstance(value, str) and value else None


def _place(where: Where) -> Place:
    if where.dm_with is not None:
        return Place.dm(Member(PLATFORM, where.dm_with))
    return Place.channel(PLATFORM, where.room_id)


def inbound(event: NioEvent, where: Where) -> Event | None:
    """The core event a member's Matrix event stands for, or None if it is none
    (malformed ones included: clients and servers can send anything)."""
    sender = _text_or_none(getattr(event, "sender", None))
    if sender is None or not _text_or_none(getattr(event, "event_id", None)):
        return None
    member = Member(PLATFORM, sender)
    place = _place(where)
    levels, name = where.power_levels, where.display_name
    relation = _relation(event.source)
    if isinstance(event, RoomMessageText):
        if relation.get("rel_type") == "m.replace":
            return None  # an edit: the command already happened as first written
        quoted = relation.get("m.in_reply_to")
        reply_to = _text_or_none(quoted.get("event_id")) if isinstance(quoted, Mapping) else None
        text = strip_reply_fallback(event.body) if reply_to else event.body
        command = command_text(text)
        if command is not None:
            return CommandGiven(
                event.event_id, member, place, command, power_levels=levels, display_name=name
            )
        # An answer in a thread (a group check-in, if the core opened it): its root.
        thread = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
        thread = _text_or_none(thread) if where.dm_with is None else None
        if where.dm_with is None and thread is None:
            return None  # room chatter: no feature reads it, so the core is not asked
        text = text.strip()
        return MessagePosted(
            event.event_id,
            member,
            place,
            text,
            reply_to,
            power_levels=levels,
            display_name=name,
            thread=thread,
        )
    if isinstance(event, ReactionEvent):
        target, key = event.reacts_to, event.key
    elif isinstance(event, UnknownEvent) and event.type == "m.reaction":
        target, key = relation.get("event_id"), relation.get("key")  # as older nio parsed it
    else:
        return None
    target, key = _text_or_none(target), _text_or_none(key)
    if relation.get("rel_type", "m.annotation") != "m.annotation" or not target or not key:
        return None
    emoji = normalise_emoji(key)
    return ReactionAdded(
        event.event_id, member, place, target, emoji, power_levels=levels, display_name=name
    )


# --- power levels -------------------------------------------------------------------


def creators_outrank(room_version: str) -> bool:
    """Room version 12 (and its unstable forerunner "hydra") made creators untouchable."""
    if room_version.isdigit():
        return int(room_version) >= 12
    return "hydra" in room_version


def creators_of(create_event: Mapping[str, Any]) -> frozenset[str]:
    """The `m.room.create` sender and its `additional_creators`."""
    content = create_event.get("content") or {}
    extra = content.get("additional_creators") or []
    found = {create_event.get("sender"), *(u for u in extra if isinstance(u, str))}
    return frozenset(u for u in found if u)


def power_level(
    user_id: str,
    users: Mapping[str, int],
    users_default: int,
    room_version: str,
    creators: Iterable[str] = (),
) -> int:
    """A member's power level in one room, creators of v12+ rooms above all."""
    if creators_outrank(room_version) and user_id in set(creators):
        return CREATOR_POWER
    return int(users.get(user_id, users_default))


# --- outbound -------------------------------------------------------------------

#: a code span as the core writes a hint (`reply 1 …`): backticks around one line
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
#: lines Element shows as a list when they are sent as one
_BULLETS = ("• ", "- ")


@dataclass(frozen=True)
class Hints:
    """What turns the core's command hints into what a Matrix member types: the
    command words the core declares (`reply`, `help`) and the prefix before them."""

    commands: frozenset[str] = frozenset()
    prefix: str = PREFIX

    def typed(self, span: str) -> str:
        """`reply 1 …` → `!reply 1 …`, and `/reply 1` too; anything else as it was."""
        words = span.split(maxsplit=1)
        if not words:
            return span
        first = words[0]
        if first.startswith("/") and first[1:] in self.commands:
            return self.prefix + span.lstrip()[1:]
        if first.startswith((self.prefix, "/")) or first not in self.commands:
            return span
        return self.prefix + span.lstrip()


def _inline(line: str, hints: Hints) -> tuple[str, str]:
    """One line as plain text and as HTML: hints prefixed, code spans as `<code>`."""
    plain: list[str] = []
    rich: list[str] = []
    end = 0
    for found in _CODE_SPAN.finditer(line):
        before = line[end : found.start()]
        span = hints.typed(found.group(1))
        plain += [before, f"`{span}`"]
        rich += [html.escape(before, quote=False), f"<code>{html.escape(span, quote=False)}</code>"]
        end = found.end()
    plain.append(line[end:])
    rich.append(html.escape(line[end:], quote=False))
    return "".join(plain), "".join(rich)


def drawn(text: str, hints: Hints, *, lists: bool = True) -> tuple[str, str]:
    """`body` and `formatted_body` for the core's text. Line breaks are `<br>`;
    a run of lines starting with "• " or "- " is a list (`lists`, where HTML may
    hold one: not inside a spoiler's span); everything else is escaped."""
    plain: list[str] = []
    blocks: list[str] = []
    items: list[str] = []
    for line in text.split("\n"):
        words, rich = _inline(line, hints)
        plain.append(words)
        if lists and line.startswith(_BULLETS):
            items.append(f"<li>{_inline(line[2:], hints)[1]}</li>")
            continue
        if items:
            blocks.append(f"<ul>{''.join(items)}</ul>")
            items = []
        blocks.append(rich)
    if items:
        blocks.append(f"<ul>{''.join(items)}</ul>")
    return "\n".join(plain), _join_html(blocks)


def _without_emoji(label: str, emoji: str) -> str:
    """A label that starts with its choice's emoji (`🤝 Support`), without it: the
    line shows the emoji first already."""
    bare = emoji.replace(_VS16, "")
    for lead in (emoji, bare + _VS16, bare):
        if bare and label.startswith(lead):
            return label[len(lead) :].strip()
    return label


def _choice_parts(choice: Choice) -> tuple[str, str, str]:
    mark = choice.emoji or "•"
    label = _without_emoji(choice.label, choice.emoji) if choice.emoji else choice.label
    return mark, f"{PREFIX}{choice.command}", label


def choice_lines(choices: tuple[Choice, ...]) -> list[str]:
    """Each choice as what to type; the ones with an emoji can also be tapped."""
    if not choices:
        return []
    tappable = any(c.emoji for c in choices)
    lines = [text("matrix.choices_react_or_send" if tappable else "matrix.choices_send")]
    for choice in choices:
        mark, typed, label = _choice_parts(choice)
        lines.append(f"{mark} {typed} — {label}" if label else f"{mark} {typed}")
    return lines


def _choice_html(choices: tuple[Choice, ...]) -> list[str]:
    lines = choice_lines(choices)
    if not lines:
        return []
    rich = [html.escape(lines[0], quote=False)]
    for choice in choices:
        mark, typed, label = _choice_parts(choice)
        line = f"{html.escape(mark, quote=False)} <code>{html.escape(typed, quote=False)}</code>"
        rich.append(f"{line} — {html.escape(label, quote=False)}" if label else line)
    return rich


def message_content(
    message: Message, hints: Hints = Hints(), *, notify: bool = False
) -> dict[str, Any]:
    """`m.room.message` content for a message from Hearth.

    `notify`: an `m.text`, which the default push rules let ring the member's
    phone, for what goes to a member's own DM (a prompt, a relay, a decision
    they waited for); an `m.notice`, which they keep quiet, for channel posts."""
    body, formatted = drawn(message.text, hints)
    called = _mentioned(message)
    if called:
        # Pills (links to the user) and `m.mentions`: their clients notify them, no one else.
        body = " ".join(called) + " " + body
        pills = (
            f'<a href="https://matrix.to/#/{html.escape(u, quote=True)}">{html.escape(u)}</a>'
            for u in called
        )
        formatted = " ".join(pills) + " " + formatted
    plain, rich = [body], [formatted]
    spoiler = message.spoiler
    if spoiler is not None:
        # Clients without spoilers show the plain body: mark it there as Discord would.
        cw = text("matrix.content_warning", warning=spoiler.warning)
        hidden, hidden_html = drawn(spoiler.text, hints, lists=False)
        plain += [cw, f"||{hidden}||"]
        warning = html.escape(spoiler.warning, quote=True)
        rich += [
            f"<strong>{html.escape(cw, quote=False)}</strong>",
            f'<span data-mx-spoiler="{warning}">{hidden_html}</span>',
        ]
    lines = choice_lines(message.choices)
    if lines:
        plain += ["", *lines]
        rich += ["", *_choice_html(message.choices)]
    content: dict[str, Any] = {
        # A notice never rings (`.m.rule.suppress_notices` comes before mentions): a
        # message that calls moderators is a text, so their mention rule can fire.
        "msgtype": "m.text" if notify or called else "m.notice",
        "body": "\n".join(plain),
        "format": HTML_FORMAT,
        "formatted_body": _join_html(rich),
        # intentional mentions: none, so no mention rule can fire; or exactly the
        # moderators a crisis alert calls (`Message.mentions`)
        "m.mentions": {"user_ids": called} if called else {},
    }
    if message.reply_to:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": message.reply_to,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": message.reply_to},
        }
    return content


_USER_ID = re.compile(r"@[^:\s]+:\S+")


def _mentioned(message: Message) -> list[str]:
    """The Matrix user ids a message calls; a name that is none is left out."""
    users = message.mentions.users if message.mentions is not None else ()
    return [u for u in users if _USER_ID.fullmatch(u)]


def _join_html(parts: list[str]) -> str:
    """Parts one line apart; a list ends its own line already."""
    joined = ""
    for index, part in enumerate(parts):
        if index and not parts[index - 1].endswith("</ul>") and not part.startswith("<ul>"):
            joined += "<br>"
        joined += part
    return joined


def reaction_content(message_id: str, emoji: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": message_id, "key": emoji}}


def mimetype_of(attachment: Attachment) -> str:
    return mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"


def attachment_content(
    attachment: Attachment, content_uri: str, encryption: Mapping[str, Any] | None
) -> dict[str, Any]:
    """`m.image` (charts) or `m.file` (exports); in an encrypted room the file is
    encrypted too and its key travels in the (encrypted) event."""
    mimetype = mimetype_of(attachment)
    content: dict[str, Any] = {
        "msgtype": "m.image" if mimetype.startswith("image/") else "m.file",
        "body": attachment.description or attachment.filename,
        "filename": attachment.filename,
        "info": {"mimetype": mimetype, "size": len(attachment.data)},
        "m.mentions": {},
    }
    if content["msgtype"] == "m.image" and attachment.width and attachment.height:
        content["info"] |= {"w": attachment.width, "h": attachment.height}
    if encryption is None:
        content["url"] = content_uri
    else:
        content["file"] = {"url": content_uri, "mimetype": mimetype, **encryption}
    return content
