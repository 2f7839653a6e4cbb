"""Raw Discord gateway payloads for the adapter tests, shaped like Discord's
own: READY, GUILD_CREATE, INTERACTION_CREATE (slash commands, autocomplete,
buttons, modal submits) and MESSAGE_CREATE in a DM."""

from __future__ import annotations

import itertools
from typing import Any

APP_ID = 900000000000000001
GUILD = 100000000000000001
OTHER_GUILD = 100000000000000002
GENERAL = 200000000000000001  # a text channel where members use commands
SHARES = 200000000000000002
MOD_QUEUE = 200000000000000003
CELEBRATIONS = 200000000000000004
MOD_ROLE = 300000000000000001
TOKEN = "test-token"
BOT = {
    "id": str(APP_ID),
    "username": "Hearth",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


def user(user_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
    }


def ready(guild_ids: list[int]) -> dict[str, Any]:
    return {
        "v": 10,
        "user": BOT,
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": "session",
        "resume_gateway_url": "wss://gateway.invalid",
        "application": {"id": str(APP_ID), "flags": 0},
    }


def guild_create(guild_id: int, role_ids: list[int]) -> dict[str, Any]:
    channels = [
        {
            "id": str(c),
            "type": 0,
            "name": name,
            "position": i,
            "guild_id": str(guild_id),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }
        for i, (c, name) in enumerate(
            [
                (GENERAL, "general"),
                (SHARES, "shares"),
                (MOD_QUEUE, "mod-queue"),
                (CELEBRATIONS, "celebrations"),
            ]
        )
    ]
    roles = [
        {
            "id": str(r),
            "name": f"role{r}",
            "permissions": "0",
            "position": 1,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        for r in [guild_id, *role_ids]
    ]
    return {
        "id": str(guild_id),
        "name": "Harbour",
        "icon": None,
        "owner_id": "1",
        "unavailable": False,
        "member_count": 3,
        "roles": roles,
        "channels": channels,
        "emojis": [],
        "stickers": [],
        "features": [],
        "members": [],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "large": False,
        "premium_tier": 0,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
    }


_interaction_ids = itertools.count(800000000000000001)


def _interaction(
    kind: int,
    who: dict[str, Any],
    *,
    guild: int | None,
    channel: int | str,
    roles: list[int] = (),
    data: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    interaction_id = str(next(_interaction_ids))
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 10 << 20,
        "channel_id": str(channel),
        "channel": {"id": str(channel), "type": 0 if guild else 1},
        "context": 0 if guild else 1,
        "authorizing_integration_owners": {"0": str(guild)} if guild else {"1": who["id"]},
    }
    if guild is not None:
        payload["guild_id"] = str(guild)
        payload["guild_locale"] = "en-US"
        payload["member"] = {
            "user": who,
            "roles": [str(r) for r in roles],
            "permissions": "0",
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
        }
    else:
        payload["user"] = who
    if data is not None:
        payload["data"] = data
    if message is not None:
        payload["message"] = message
    return payload


def _option_type(value: Any) -> int:
    return 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3


def slash(
    who: dict[str, Any],
    path: str,
    options: dict[str, Any] | None = None,
    *,
    guild: int | None = GUILD,
    channel: int | str = GENERAL,
    roles: list[int] = (),
    focused: str | None = None,
) -> dict[str, Any]:
    """INTERACTION_CREATE for `/path options…` (type 4, autocomplete, if `focused`)."""
    values = [
        {
            "type": _option_type(v),
            "name": k,
            "value": v,
            **({"focused": True} if k == focused else {}),
        }
        for k, v in (options or {}).items()
    ]
    root, *sub = path.split()
    if sub:
        values = [{"type": 1, "name": sub[0], "options": values}]
    data = {"id": "600000000000000001", "name": root, "type": 1, "options": values}
    if guild is not None:
        data["guild_id"] = str(guild)
    return _interaction(
        4 if focused else 2, who, guild=guild, channel=channel, roles=roles, data=data
    )


def press(
    who: dict[str, Any],
    message: dict[str, Any],
    custom_id: str,
    *,
    guild: int | None = GUILD,
    roles: list[int] = (),
) -> dict[str, Any]:
    """INTERACTION_CREATE for a button on `message` (a payload the bot sent)."""
    return _interaction(
        3,
        who,
        guild=guild,
        channel=message["channel_id"],
        roles=roles,
        data={"custom_id": custom_id, "component_type": 2},
        message=message,
    )


def submit(
    who: dict[str, Any],
    custom_id: str,
    values: dict[str, str],
    *,
    guild: int | None = GUILD,
    channel: int | str = GENERAL,
    roles: list[int] = (),
) -> dict[str, Any]:
    """INTERACTION_CREATE for a submitted modal (labels holding text inputs)."""
    components = [
        {"type": 18, "id": i, "component": {"type": 4, "id": i + 10, "custom_id": k, "value": v}}
        for i, (k, v) in enumerate(values.items(), 1)
    ]
    return _interaction(
        5,
        who,
        guild=guild,
        channel=channel,
        roles=roles,
        data={"custom_id": custom_id, "components": components},
    )


def message_payload(
    message_id: str, channel: str, author: dict[str, Any], content: str, **fields: Any
) -> dict[str, Any]:
    """A MESSAGE_CREATE-shaped message; `fields` (embeds, flags, components, nonce) override."""
    return {
        "id": message_id,
        "channel_id": channel,
        "type": 0,
        "content": content,
        "author": author,
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2026-03-02T07:00:00+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
        **fields,
    }


def dm_message(who: dict[str, Any], content: str, channel: str) -> dict[str, Any]:
    return message_payload(str(next(_interaction_ids)), channel, who, content)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label → custom id of every button on a sent message."""
    return {
        b["label"]: b["custom_id"]
        for row in message.get("components", [])
        for b in row["components"]
    }
