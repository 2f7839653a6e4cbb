"""Pure translation between Discord and the port: interactions and DMs become
events, messages become what a Discord message is made of, and button and
form custom ids carry commands (never who pressed or wrote anything).

No I/O and no decisions a member could notice differently on another
platform; `client.py` does the talking to Discord.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.discord import commands as spec
from bot import texts
from bot.port import (
    Attachment,
    ChoicePicked,
    CommandGiven,
    Event,
    Member,
    Message,
    MessagePosted,
    Place,
)

PLATFORM = "discord"
CHOICE_PREFIX = "hearth:"
FORM_PREFIX = "hearth-form:"
# Discord's limits (https://discord.com/developers/docs/components/reference).
CUSTOM_ID_MAX = 100
CONTENT_MAX = 2000
EMBED_MAX = 4096
LABEL_MAX = 80
BUTTONS_MAX = 25
NONCE_MAX = 25
TITLE_MAX = 45
# "Cannot send messages to this user" (DMs closed, bot blocked) and "... no mutual guilds".
UNREACHABLE_CODES = frozenset({50007, 50278})

# --- buttons ----------------------------------------------------------------------


def choice_custom_id(command: str) -> str | None:
    """`support 4` → `hearth:support 4`; None when Discord could not carry it."""
    custom_id = CHOICE_PREFIX + command
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def command_from_custom_id(custom_id: str) -> str | None:
    if not custom_id.startswith(CHOICE_PREFIX):
        return None
    return custom_id[len(CHOICE_PREFIX) :].strip() or None


@dataclass(frozen=True)
class Button:
    label: str
    custom_id: str
    emoji: str | None = None
    style: str = "secondary"  # secondary | success | danger


_STYLES = (("mod approve", "success"), ("mod reject", "danger"), ("mod block", "danger"))


def _button(label: str, command: str, emoji: str | None) -> Button | None:
    custom_id = choice_custom_id(command)
    if custom_id is None:
        return None
    if emoji and label.startswith(emoji):
        emoji = None  # "🤝 Support" already shows it
    style = next((s for prefix, s in _STYLES if command.startswith(prefix)), "secondary")
    return Button(_clip(label, LABEL_MAX), custom_id, emoji, style)


# --- messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """A Message as Discord takes it. `embed` holds text too long for `content`."""

    content: str | None
    embed: str | None
    buttons: tuple[Button, ...]
    attachment: Attachment | None
    reply_to: int | None
    nonce: str | None
    clipped: bool = False


def nonce_for(key: str) -> str:
    """Discord nonces hold 25 characters; the outbox key is longer but stable, so
    its hash is too: a retried send carries the same nonce and posts once."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:NONCE_MAX]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape_pipes(text: str) -> str:
    # An inner "||" would end the spoiler early and show the rest.
    return text.replace("|", "\\|")


def render(message: Message) -> Rendered:
    text = message.text
    hidden = None
    if message.spoiler is not None:
        warning = " ".join(_escape_pipes(message.spoiler.warning).split())
        hidden = _escape_pipes(message.spoiler.text)
        cw = texts.text("discord.content_warning", warning=warning)
        text = f"{text}\n{cw}" if text else cw
    full = f"{text} ||{hidden}||" if hidden is not None else text
    content: str | None = full
    embed = None
    clipped = False
    if len(full) > CONTENT_MAX:
        # The title stays the message; the words go in an embed, which holds more.
        first, newline, rest = text.partition("\n")
        if hidden is not None:
            content, body = text, hidden
        elif newline and len(first) <= 200:
            content, body = first, rest
        else:
            content, body = None, text
        room = EMBED_MAX - (4 if hidden is not None else 0)
        clipped = len(body) > room or (content is not None and len(content) > CONTENT_MAX)
        body = _clip(body, room)
        embed = f"||{body}||" if hidden is not None else body
        content = _clip(content, CONTENT_MAX) if content is not None else None
    buttons = tuple(
        b for b in (_button(c.label, c.command, c.emoji) for c in message.choices) if b
    )[:BUTTONS_MAX]
    reply_to = None
    if message.reply_to and message.reply_to.isascii() and message.reply_to.isdigit():
        reply_to = int(message.reply_to)  # isdigit alone lets "²" through
    nonce = nonce_for(message.idempotency_key) if message.idempotency_key else None
    return Rendered(content, embed, buttons, message.attachment, reply_to, nonce, clipped)


# --- forms (modals) ---------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    long: bool = False
    required: bool = True
    max_length: int = 4000
    placeholder: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Form:
    custom_id: str
    title: str
    fields: tuple[Field, ...]


def _form_fields(kind: str, head: str, prefill: Mapping[str, object]) -> tuple[str, list[Field]]:
    if kind == spec.SHARE_FORM:
        warning = prefill.get("content_warning")
        return texts.text("discord.form_share_title"), [
            Field(
                "warning",
                texts.text("discord.form_share_warning_label"),
                required=False,
                max_length=200,
                placeholder=texts.text("discord.form_share_warning_placeholder"),
                default=str(warning) if warning else None,
            ),
            Field(
                "text",
                texts.text("discord.form_share_text_label"),
                long=True,
                placeholder=texts.text("discord.form_share_text_placeholder"),
            ),
        ]
    if kind == spec.REPLY_FORM:
        number = head.split()[-1]
        return texts.text("discord.form_reply_title", number=number), [
            Field(
                "text",
                texts.text("discord.form_reply_text_label"),
                long=True,
                placeholder=texts.text("discord.form_reply_text_placeholder"),
            ),
        ]
    if kind == spec.NOTE_FORM:
        fields = [
            Field(
                "note",
                texts.text("discord.form_note_label"),
                long=True,
                placeholder=texts.text("discord.form_note_placeholder"),
            )
        ]
        if not any(word in {"1", "2", "3", "4", "5"} for word in head.split()):
            label = texts.text("discord.form_note_mood_label")
            fields.insert(0, Field("mood", label, max_length=1))
        return texts.text("discord.form_note_title"), fields
    if kind == spec.WIN_FORM:
        anonymous = head.split()[-1] == "anonymous"
        title = "discord.form_win_title_anonymous" if anonymous else "discord.form_win_title"
        return texts.text(title), [
            Field("text", texts.text("discord.form_win_text_label"), long=True),
        ]
    raise ValueError(f"unknown form {kind!r}")


def form(kind: str, head: str, prefill: Mapping[str, object] | None = None) -> Form | None:
    """The modal for `kind`, carrying `head` (the words before the member's text)."""
    custom_id = f"{FORM_PREFIX}{kind}:{head}"
    if len(custom_id) > CUSTOM_ID_MAX:
        return None
    title, fields = _form_fields(kind, head, prefill or {})
    return Form(custom_id, _clip(title, TITLE_MAX), tuple(fields))


_NEEDS_WORDS = ((re.compile(r"reply \d+"), spec.REPLY_FORM),)


def form_for_choice(command: str) -> Form | None:
    """A button whose command still needs the member's words opens a form for them."""
    for pattern, kind in _NEEDS_WORDS:
        if pattern.fullmatch(command):
            return form(kind, command)
    return None


def submitted_values(components: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A modal submit's raw components → {field name: value} (rows and labels alike).
    Anything not shaped like a text input is passed over: the payload is the client's."""
    values: dict[str, str] = {}
    if not isinstance(components, list | tuple):
        return values
    for component in components:
        if not isinstance(component, Mapping):
            continue
        inner = component.get("components") or (
            [component["component"]] if "component" in component else []
        )
        if inner:
            values.update(submitted_values(inner))
        elif isinstance(component.get("custom_id"), str) and isinstance(
            component.get("value"), str
        ):
            values[component["custom_id"]] = component["value"]
    return values


def form_text(custom_id: str, values: Mapping[str, str]) -> str | None:
    """The command a submitted form stands for; None if the form is not ours."""
    if not custom_id.startswith(FORM_PREFIX):
        return None
    kind, _, head = custom_id[len(FORM_PREFIX) :].partition(":")
    text = values.get("text", "").strip()
    if kind == spec.SHARE_FORM:
        # `|` ends a content warning in the core's words, so it cannot be inside one.
        warning = " ".join(values.get("warning", "").replace("|", "/").split())
        return f"{head} cw {warning} | {text}" if warning else f"{head} {text}"
    if kind == spec.REPLY_FORM:
        return f"{head} {text}"
    if kind == spec.NOTE_FORM:
        mood = values.get("mood", "").strip()
        note = values.get("note", "").strip()
        return " ".join(part for part in (head, mood, note) if part)
    if kind == spec.WIN_FORM:
        words = head.split(" ")
        anonymous = words[-1] == "anonymous"
        base = " ".join(words[:-1]) if anonymous else head
        return f"{base} {text}" + (" anonymous" if anonymous else "")
    return None


# --- events -----------------------------------------------------------------------


def role_ids(user: Any) -> tuple[str, ...]:
    """A server member's role ids, for the core's moderator check.

    The ids as the interaction carried them (`Member._roles`), not `Member.roles`,
    which drops any role missing from the guild cache (e.g. right after a start)."""
    raw = getattr(user, "_roles", None)
    if raw is None:
        raw = [role.id for role in getattr(user, "roles", ())]
    return tuple(str(role_id) for role_id in raw)


def member_of(user: Any) -> Member:
    return Member(PLATFORM, str(user.id))


def _where(interaction: Any) -> tuple[Member, Place, str | None]:
    member = member_of(interaction.user)
    if interaction.guild_id is None:
        return member, Place.dm(member), None
    return member, Place.channel(PLATFORM, str(interaction.channel_id)), str(interaction.guild_id)


def command_event(interaction: Any, text: str) -> CommandGiven:
    """A slash command or form, as the words a member would type. Always private:
    Hearth answers interactions ephemerally, so nobody else saw the input."""
    member, place, space = _where(interaction)
    return CommandGiven(
        str(interaction.id),
        member,
        place,
        text,
        space=space,
        private=True,
        roles=role_ids(interaction.user),
    )


def choice_event(interaction: Any, command: str) -> ChoicePicked:
    member, place, space = _where(interaction)
    return ChoicePicked(
        str(interaction.id),
        member,
        place,
        command,
        space=space,
        private=True,
        roles=role_ids(interaction.user),
    )


def dm_event(message: Any) -> Event | None:
    """A DM to the bot: `!command …` is a command, anything else plain text."""
    if message.guild is not None or message.author.bot:
        return None
    text = (message.content or "").strip()
    if not text:
        return None
    member = member_of(message.author)
    if text.startswith("!") and len(text) > 1:
        return CommandGiven(str(message.id), member, Place.dm(member), text[1:])
    reference = message.reference.message_id if message.reference else None
    return MessagePosted(
        str(message.id), member, Place.dm(member), text, str(reference) if reference else None
    )


def is_unreachable(code: int) -> bool:
    return code in UNREACHABLE_CODES
