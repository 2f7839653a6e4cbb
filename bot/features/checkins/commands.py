"""The check-in commands as members invoke them: typed options, limits, the note form."""

from __future__ import annotations

from bot.config import DEFAULT_MOOD_LABELS, Config
from bot.features.checkins.handlers import HISTORY_MAX_DAYS, PAUSE_MAX_DAYS
from bot.options import TIMEZONE, days
from bot.port import Command, Field, Form, Group, Option, Words

GROUP = Group("checkin", Words("discord.group_checkin"))

# The days a member can pick for reminders: the core's own words as values.
DAYS = tuple(
    (Words(f"discord.days_{label}"), value)
    for label, value in (
        ("daily", "daily"),
        ("weekdays", "weekdays"),
        ("weekends", "weekends"),
        ("mon_wed_fri", "mon,wed,fri"),
        ("tue_thu", "tue,thu"),
        ("mon", "mon"),
        ("tue", "tue"),
        ("wed", "wed"),
        ("thu", "thu"),
        ("fri", "fri"),
        ("sat", "sat"),
        ("sun", "sun"),
    )
)
NOTE_FORM = Form(
    "note",
    Words("discord.form_note_title"),
    (
        Field("mood", Words("discord.form_note_mood_label"), max_length=1, unless="mood"),
        Field(
            "note",
            Words("discord.form_note_label"),
            long=True,
            placeholder=Words("discord.form_note_placeholder"),
        ),
    ),
)


def _mood(labels: tuple[str, ...]) -> Option:
    return Option(
        "mood",
        Words("discord.option_mood"),
        str,
        choices=tuple(
            (Words("discord.mood_choice", (("number", n), ("label", label))), str(n))
            for n, label in enumerate(labels, 1)
        ),
    )


def commands(config: Config) -> tuple[Command, ...]:
    first = config.communities[0] if config.communities else None
    labels = first.checkins.mood_labels if first else DEFAULT_MOOD_LABELS

    def plain(word: str) -> Command:
        return Command(("checkin", word), Words(f"discord.command_checkin_{word}"))

    return (
        Command(
            ("checkin", "now"),
            Words("discord.command_checkin_now"),
            (
                _mood(labels),
                Option("note", Words("discord.option_checkin_now_note"), bool, opens="note"),
            ),
            words="checkin",
            form=NOTE_FORM,
        ),
        Command(
            ("checkin", "schedule"),
            Words("discord.command_checkin_schedule"),
            (
                Option(
                    "time",
                    Words("discord.option_checkin_schedule_time"),
                    str,
                    required=True,
                    max_length=5,
                ),
                Option("days", Words("discord.option_checkin_schedule_days"), choices=DAYS),
                TIMEZONE,
            ),
        ),
        Command(
            ("checkin", "pause"),
            Words("discord.command_checkin_pause"),
            (days("discord.option_checkin_pause_days", PAUSE_MAX_DAYS),),
        ),
        plain("resume"),
        plain("skip"),
        plain("snooze"),
        Command(
            ("checkin", "quiet"),
            Words("discord.command_checkin_quiet"),
            (Option("hours", Words("discord.option_checkin_quiet_hours"), max_length=11),),
        ),
        Command(
            ("checkin", "history"),
            Words("discord.command_checkin_history"),
            (days("discord.option_checkin_history_days", HISTORY_MAX_DAYS),),
        ),
        plain("stop"),
    )
