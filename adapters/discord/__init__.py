"""The Discord adapter (discord.py): slash commands, buttons, forms and DMs,
translated to and from the core's port. Needs the `discord` extra."""

from __future__ import annotations

from adapters.discord.client import DiscordAdapter

__all__ = ["DiscordAdapter"]
