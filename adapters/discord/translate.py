"""Pure translation between Discord and the port: interactions and DMs become
events, messages become what a Discord message is made of, and button and
form custom ids carry commands (never who pressed or wrote anything).

No I/O and no decisions a member could notice differently on another
platform; `client.py` does the talking to Discord.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.port import (
    ENGLISH,
    LOCALES,
    Attachment,
    ChoicePicked,
    Command,
    CommandGiven,
    Event,
    Form,
    Invoked,
    Member,
    Message,
    MessagePosted,
    Place,
)
from bot.port import text as catalogue_text

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
TITLE_MAX = 45  # a modal's title
FIELD_LABEL_MAX = 45  # a text input's label
PLACEHOLDER_MAX = 100
# "Cannot send messages to this user" (DMs closed, bot blocked) and "... no mutual guilds".
UNREACHABLE_CODES = frozenset({50007, 50278})
THREAD_NAME_MAX = 100
THREAD_ARCHIVE_MINUTES = 10080  # a week: the thread stays open until the next one
THREAD_ALREADY_CREATED = 160004  # "A thread has already been created for this message"
MEMBER_MESSAGE_TYPES = frozenset({0, 19})  # DEFAULT and REPLY: what a member writes

# --- languages --------------------------------------------------------------------


@cache
def shipped_locale(discord_locale: str | None) -> str | None:
    """The catalogue locale Hearth ships for a Discord locale (`de` → de, `es-ES`
    and `es-419` → es, `fr` → fr, `pt-BR` → pt_BR, `en-US` → en); None when Hearth
    does not speak it. A region falls back to its language, a language to its one
    shipped region, so a catalogue added later needs nothing here."""
    if not discord_locale:
        return None
    by_lower = {locale.lower(): locale for locale in LOCALES}
    wanted = discord_locale.strip().replace("-", "_").lower()
    base = wanted.split("_")[0]
    if wanted in by_lower or base in by_lower:
        return by_lower.get(wanted) or by_lower[base]
    regional = [locale for lower, locale in by_lower.items() if lower.split("_")[0] == base]
    return regional[0] if len(regional) == 1 else None


def locale_of(interaction: Any) -> str | None:
    """The interaction's locale as Discord says it (`de`, `pt-BR`): the language the
    member's app is set to. None when the payload carried none."""
    value = getattr(getattr(interaction, "locale", None), "value", None)
    return value if isinstance(value, str) and value else None


def reading_locale(locale: str | None) -> str:
    """What the adapter draws its own words in for a member whose app says `locale`."""
    return shipped_locale(locale) or ENGLISH


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
    #: whom this one message may notify (`Message.mentions`): ids, as Discord takes them
    mention_users: tuple[int, ...] = ()
    mention_roles: tuple[int, ...] = ()


def nonce_for(key: str) -> str:
    """Discord nonces hold 25 characters; the outbox key is longer but stable, so
    its hash is too: a retried send carries the same nonce and posts once."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:NONCE_MAX]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape_pipes(text: str) -> str:
    # An inner "||" would end the spoiler early and show the rest; a backslash is
    # escaped first, or a trailing one would escape the closing "||" and show it all.
    return text.replace("\\", "\\\\").replace("|", "\\|")


def render(message: Message, locale: str = ENGLISH) -> Rendered:
    """`message` as Discord takes it; the adapter's own words (a content warning's
    label) in `locale`, a catalogue locale."""
    text = message.text
    users, roles = _mentioned(message)
    if users or roles:
        called = " ".join([*(f"<@&{r}>" for r in roles), *(f"<@{u}>" for u in users)])
        text = f"{called} {text}"
    hidden = None
    if message.spoiler is not None:
        warning = " ".join(_escape_pipes(message.spoiler.warning).split())
        hidden = _escape_pipes(message.spoiler.text)
        cw = catalogue_text("discord.content_warning", locale, warning=warning)
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
    return Rendered(
        content, embed, buttons, message.attachment, reply_to, nonce, clipped, users, roles
    )


def _snowflake(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None  # not "²"


def _mentioned(message: Message) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(user ids, role ids) the message calls; a name that is no Discord id is left out."""
    if message.mentions is None:
        return (), ()
    users = (_snowflake(u) for u in message.mentions.users)
    roles = (_snowflake(r) for r in message.mentions.roles)
    return tuple(u for u in users if u), tuple(r for r in roles if r)


# --- forms (modals) ---------------------------------------------------------------
#
# What a form means is the core's (`Form`, `Command.form_for`); how it is drawn is
# ours: a modal whose custom id carries the command and its values, so the submit
# becomes the same invocation with the member's words, even after a restart.


@dataclass(frozen=True)
class TextBox:
    """One text input of a modal, in the words Discord shows."""

    name: str
    label: str
    long: bool = False
    required: bool = True
    max_length: int = 4000
    placeholder: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Modal:
    custom_id: str
    title: str
    boxes: tuple[TextBox, ...]


@dataclass(frozen=True)
class FormInvocation:
    """What a modal's custom id carries: the command, its values, a picked community."""

    command: tuple[str, ...]
    values: dict[str, str | int | bool]
    community: str | None = None


def _given(value: object) -> bool:
    return value is not None and value != ""


def form_custom_id(
    command: Command, values: Mapping[str, object], community: str | None = None
) -> str | None:
    """`hearth-form:["reply",{"number":4}]`; None when Discord could not carry it.
    A prefilled option is left out: its form field carries it (edited or not)."""
    prefilled = {o.name for o in command.options if o.prefill}
    carried = {
        name: value
        for name, value in values.items()
        if name not in prefilled
        and isinstance(value, str | int | bool)
        and _given(value)
        and value is not False  # left out is the same, and shorter
    }
    parts: list[object] = [command.qualified_name, carried]
    if community:
        parts.append(community)
    custom_id = FORM_PREFIX + json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def form_invocation(custom_id: str) -> FormInvocation | None:
    """The invocation a submitted modal stands for; None if the form is not ours
    (or a client's mangled copy of one)."""
    if not custom_id.startswith(FORM_PREFIX):
        return None
    try:
        parts = json.loads(custom_id[len(FORM_PREFIX) :])
    except ValueError:
        return None
    if not isinstance(parts, list) or len(parts) not in (2, 3):
        return None
    path, values, *rest = parts
    community = rest[0] if rest else None
    if not isinstance(path, str) or not path.split() or not isinstance(values, dict):
        return None
    if community is not None and not isinstance(community, str):
        return None
    if not all(isinstance(v, str | int | bool) for v in values.values()):
        return None  # floats, lists: nothing Hearth put there
    return FormInvocation(tuple(path.split()), dict(values), community or None)


def _prefilled(command: Command, values: Mapping[str, object]) -> dict[str, str]:
    """Field name → what an option typed with the command already put in it."""
    return {
        o.prefill: str(values[o.name])
        for o in command.options
        if o.prefill and _given(values.get(o.name))
    }


def modal(
    command: Command,
    form: Form,
    values: Mapping[str, object],
    community: str | None = None,
    locale: str = ENGLISH,
) -> Modal | None:
    """The modal for `form`, opened by `command` with `values`; None when its custom
    id would be too long for Discord."""
    custom_id = form_custom_id(command, values, community)
    if custom_id is None:
        return None
    prefill = _prefilled(command, values)
    boxes = tuple(
        TextBox(
            field.name,
            _clip(field.label(locale), FIELD_LABEL_MAX),
            long=field.long,
            required=field.required,
            max_length=field.max_length,
            placeholder=(
                _clip(field.placeholder(locale), PLACEHOLDER_MAX) if field.placeholder else None
            ),
            default=prefill[field.name][: field.max_length] if field.name in prefill else None,
        )
        for field in form.fields
        if field.unless is None or not _given(values.get(field.unless))
    )
    return Modal(custom_id, _clip(form.title_for(values, locale), TITLE_MAX), boxes)


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


def display_name(user: Any) -> str | None:
    """How others see the member (a server nickname, else their global name)."""
    name = getattr(user, "display_name", None)
    return name if isinstance(name, str) and name.strip() else None


def _where(interaction: Any) -> tuple[Member, Place, str | None]:
    member = member_of(interaction.user)
    if interaction.guild_id is None:
        return member, Place.dm(member), None
    return member, Place.channel(PLATFORM, str(interaction.channel_id)), str(interaction.guild_id)


def invoked(
    interaction: Any,
    command: tuple[str, ...],
    values: Mapping[str, object],
    *,
    fields: Mapping[str, str] | None = None,
    community: str | None = None,
) -> Invoked:
    """A slash command (or its submitted form) with the values Discord typed. Always
    private: Hearth answers interactions ephemerally, so nobody else saw the input."""
    member, place, space = _where(interaction)
    return Invoked(
        str(interaction.id),
        member,
        place,
        command,
        dict(values),
        dict(fields or {}),
        community,
        space=space,
        private=True,
        roles=role_ids(interaction.user),
        display_name=display_name(interaction.user),
        locale=locale_of(interaction),
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
        display_name=display_name(interaction.user),
        locale=locale_of(interaction),
    )


def dm_event(message: Any) -> Event | None:
    """A DM to the bot: `!command …` is a command, anything else plain text."""
    if message.guild is not None or message.author.bot:
        return None
    text = (message.content or "").strip()
    if not text:
        return None
    member = member_of(message.author)
    name = display_name(message.author)
    if text.startswith("!") and len(text) > 1:
        return CommandGiven(str(message.id), member, Place.dm(member), text[1:], display_name=name)
    reference = message.reference.message_id if message.reference else None
    return MessagePosted(
        str(message.id),
        member,
        Place.dm(member),
        text,
        str(reference) if reference else None,
        display_name=name,
    )


def thread_event(message: Any, thread: str, parent: str) -> MessagePosted | None:
    """A member's message in a thread: the core decides whether the thread is one it
    opened (a group check-in). Without the message content intent Discord sends its
    words empty: then it is counted, and nothing of it read."""
    if message.guild is None or message.author.bot:
        return None
    if getattr(message.type, "value", None) not in MEMBER_MESSAGE_TYPES:
        return None  # a system message ("pinned a message", "joined the thread")
    reference = message.reference.message_id if message.reference else None
    return MessagePosted(
        str(message.id),
        member_of(message.author),
        Place.channel(PLATFORM, parent),
        (message.content or "").strip(),
        str(reference) if reference else None,
        space=str(message.guild.id),
        roles=role_ids(message.author),
        display_name=display_name(message.author),
        thread=thread,
    )


def thread_name(name: str) -> str:
    """A thread's title as Discord takes it: 1 to 100 characters on one line."""
    flat = " ".join(name.split()) or "…"
    return flat if len(flat) <= THREAD_NAME_MAX else flat[: THREAD_NAME_MAX - 1] + "…"


def is_unreachable(code: int) -> bool:
    return code in UNREACHABLE_CODES


# When Discord gives no Retry-After with a 429 (a Cloudflare block): wait this long.
RETRY_AFTER_UNKNOWN = 60.0


def retry_after(headers: Mapping[str, str]) -> float:
    """Seconds a 429 asks to wait, from its `Retry-After` header."""
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return RETRY_AFTER_UNKNOWN
