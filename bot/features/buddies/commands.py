"""The buddy commands as members invoke them: Discord's slash commands are made
from these (`/buddy join tags:walking music`); Matrix and the console type the
same words (`!buddy join walking music`)."""

from __future__ import annotations

from bot.config import Config
from bot.options import TIMEZONE
from bot.port import Command, Group, Option, Words

GROUP = Group("buddy", Words("discord.group_buddy"))
TAGS_MAX_LENGTH = 100

CADENCE = tuple(
    (Words(f"discord.choice_buddy_{value.replace('-', '_')}"), value)
    for value in ("weekly", "twice-weekly", "off")
)


def commands(config: Config) -> tuple[Command, ...]:
    def plain(action: str) -> Command:
        return Command(("buddy", action), Words(f"discord.command_buddy_{action}"))

    return (
        Command(
            ("buddy", "join"),
            Words("discord.command_buddy_join"),
            (
                Option(
                    "tags",
                    Words("discord.option_buddy_join_tags"),
                    str,
                    required=True,
                    max_length=TAGS_MAX_LENGTH,
                ),
                TIMEZONE,
            ),
        ),
        plain("status"),
        plain("accept"),
        plain("decline"),
        Command(
            ("buddy", "remind"),
            Words("discord.command_buddy_remind"),
            (
                Option(
                    "cadence",
                    Words("discord.option_buddy_remind_cadence"),
                    str,
                    required=True,
                    choices=CADENCE,
                ),
            ),
        ),
        plain("reached"),
        plain("quiet"),
        plain("end"),
        plain("again"),
        plain("leave"),
    )
