"""The milestone and celebration commands as members invoke them, and the win form."""

from __future__ import annotations

from bot.config import Config
from bot.options import TIMEZONE, number
from bot.port import Command, Field, Form, Group, Option, Words

GROUP = Group("milestone", Words("discord.group_milestone"))
NAME_MAX_LENGTH = 32  # bot/features/milestones/handlers.py NAME
MILESTONE_SUGGESTIONS = "milestone"  # the member's own counters, as they type

VISIBILITY = tuple(
    (Words(f"discord.visibility_{value}"), value) for value in ("private", "anonymous", "public")
)
NAME = Option(
    "name",
    Words("discord.option_counter_name"),
    str,
    required=True,
    suggest=MILESTONE_SUGGESTIONS,
    max_length=NAME_MAX_LENGTH,
)
DATE = Option("date", Words("discord.option_counter_date"), str, max_length=10)
WIN_FORM = Form(
    "win",
    Words("discord.form_win_title"),
    (Field("text", Words("discord.form_win_text_label"), long=True),),
    title_if=(("anonymous", Words("discord.form_win_title_anonymous")),),
)


def commands(config: Config) -> tuple[Command, ...]:
    return (
        Command(
            ("milestone", "set"),
            Words("discord.command_milestone_set"),
            (
                Option(
                    "name",
                    Words("discord.option_milestone_set_name"),
                    required=True,
                    max_length=NAME_MAX_LENGTH,
                ),
                Option("date", Words("discord.option_counter_date"), required=True, max_length=10),
                Option(
                    "visibility",
                    Words("discord.option_milestone_set_visibility"),
                    choices=VISIBILITY,
                ),
                TIMEZONE,
            ),
        ),
        Command(("milestone", "list"), Words("discord.command_milestone_list")),
        Command(("milestone", "reset"), Words("discord.command_milestone_reset"), (NAME, DATE)),
        Command(
            ("milestone", "visibility"),
            Words("discord.command_milestone_visibility"),
            (
                NAME,
                Option(
                    "visibility",
                    Words("discord.option_milestone_visibility_visibility"),
                    required=True,
                    choices=VISIBILITY,
                ),
            ),
        ),
        Command(
            ("milestone", "remove"),
            Words("discord.command_milestone_remove"),
            (
                NAME,
                Option(
                    "confirm",
                    Words("discord.option_milestone_remove_confirm"),
                    bool,
                    flag="confirm",
                ),
            ),
        ),
        Command(
            ("celebrate",),
            Words("discord.command_celebrate"),
            (
                Option(
                    "anonymous",
                    Words("discord.option_celebrate_anonymous"),
                    bool,
                    flag="anonymous",
                ),
            ),
            form=WIN_FORM,
        ),
        Command(
            ("cheer",),
            Words("discord.command_cheer"),
            (number("discord.option_number_celebration"),),
        ),
    )
