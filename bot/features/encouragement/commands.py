"""The encouragement commands as members invoke them (Discord's slash commands are
made from these): `encourage TEXT`, and `checkin encouragement on|off`, a word this
feature adds to the check-in group without importing it."""

from __future__ import annotations

from bot.config import Config
from bot.port import Command, Option, Words

#: a short note: a stranger reads it on a hard day
NOTE_MAX_LENGTH = 500


def commands(config: Config) -> tuple[Command, ...]:
    return (
        Command(
            ("encourage",),
            Words("discord.command_encourage"),
            (
                Option(
                    "text",
                    Words("discord.option_encourage_text"),
                    required=True,
                    max_length=NOTE_MAX_LENGTH,
                ),
            ),
        ),
        Command(
            ("checkin", "encouragement"),
            Words("discord.command_checkin_encouragement"),
            (
                Option(
                    "state",
                    Words("discord.option_checkin_encouragement_state"),
                    required=True,
                    choices=(
                        (Words("discord.choice_encouragement_on"), "on"),
                        (Words("discord.choice_encouragement_off"), "off"),
                    ),
                ),
            ),
        ),
    )
