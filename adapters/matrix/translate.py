"""Matrix events ⇄ the core's port, with no network in sight.

Inbound: a nio room event (already decrypted) plus what the client knows about
its room becomes a `CommandGiven`, `MessagePosted` or `ReactionAdded`.
Outbound: a `Message` becomes `m.room.message` content: always `m.notice`
(bots speak in notices), `m.mentions` empty so nothing Hearth posts can ping
anyone, spoilers as `data-mx-spoiler`, replies to a share threaded under it.
"""

from __future__ import annotations

import html
import mimetypes
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
    levels = where.power_levels
    relation = _relation(event.source)
    if isinstance(event, RoomMessageText):
        if relation.get("rel_type") == "m.replace":
            return None  # an edit: the command already happened as first written
        quoted = relation.get("m.in_reply_to")
        reply_to = _text_or_none(quoted.get("event_id")) if isinstance(quoted, Mapping) else None
        text = strip_reply_fallback(event.body) if reply_to else event.body
        command = command_text(text)
        if command is not None:
            return CommandGiven(event.event_id, member, place, command, power_levels=levels)
        if where.dm_with is None:
            return None  # room chatter: no feature reads it, so the core is not asked
        text = text.strip()
        return MessagePosted(event.event_id, member, place, text, reply_to, power_levels=levels)
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
    return ReactionAdded(event.event_id, member, place, target, emoji, power_levels=levels)


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


def _html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def choice_lines(choices: tuple[Choice, ...]) -> list[str]:
    """Each choice as what to type; the ones with an emoji can also be tapped."""
    if not choices:
        return []
    tappable = any(c.emoji for c in choices)
    lines = [text("matrix.choices_react_or_send" if tappable else "matrix.choices_send")]
    for choice in choices:
        lines.append(f"{choice.emoji or '•'} {PREFIX}{choice.command} — {choice.label}")
    return lines


def message_content(message: Message) -> dict[str, Any]:
    """`m.room.message` content for a message from Hearth."""
    plain = [message.text]
    rich = [_html(message.text)]
    spoiler = message.spoiler
    if spoiler is not None:
        # Clients without spoilers show the plain body: mark it there as Discord would.
        cw = text("matrix.content_warning", warning=spoiler.warning)
        plain += [cw, f"||{spoiler.text}||"]
        warning = html.escape(spoiler.warning, quote=True)
        rich += [
            f"<strong>{_html(cw)}</strong>",
            f'<span data-mx-spoiler="{warning}">{_html(spoiler.text)}</span>',
        ]
    lines = choice_lines(message.choices)
    if lines:
        plain += ["", *lines]
        rich += ["", *(_html(line) for line in lines)]
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": "\n".join(plain),
        "format": HTML_FORMAT,
        "formatted_body": "<br>".join(rich),
        "m.mentions": {},  # intentional mentions: none, so no push rule can fire
    }
    if message.reply_to:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": message.reply_to,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": message.reply_to},
        }
    return content


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
    if encryption is None:
        content["url"] = content_uri
    else:
        content["file"] = {"url": content_uri, "mimetype": mimetype, **encryption}
    return content
