"""The slash command tree, declared once: every SPEC §2 command as a Discord
command or group, with typed options, and the core words each one stands for.

Pure data (no discord import): `tree.py` builds discord.py objects from it and
`words_for` turns an invocation back into what a Matrix or console member types.
Descriptions and choice labels come from the catalogue (`bot.texts`, ids
`discord.…`); command and option names stay literal command words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.texts import text

# The days a member can pick for reminders: the core's own words as values.
DAYS = (
    (text("discord.days_daily"), "daily"),
    (text("discord.days_weekdays"), "weekdays"),
    (text("discord.days_weekends"), "weekends"),
    (text("discord.days_mon_wed_fri"), "mon,wed,fri"),
    (text("discord.days_tue_thu"), "tue,thu"),
    (text("discord.days_mon"), "mon"),
    (text("discord.days_tue"), "tue"),
    (text("discord.days_wed"), "wed"),
    (text("discord.days_thu"), "thu"),
    (text("discord.days_fri"), "fri"),
    (text("discord.days_sat"), "sat"),
    (text("discord.days_sun"), "sun"),
)
VISIBILITY = (
    (text("discord.visibility_private"), "private"),
    (text("discord.visibility_anonymous"), "anonymous"),
    (text("discord.visibility_public"), "public"),
)
CONTACT = ((text("discord.contact_yes"), "yes"), (text("discord.contact_no"), "no"))

# What a share or celebration number option says (`_number`).
_NUMBER = {
    "share": "discord.option_number_share",
    "celebration": "discord.option_number_celebration",
}

# Autocomplete sources, filled in by the client from live data.
TIMEZONE = "timezone"
MILESTONE = "milestone"
COMMAND = "command"
COMMUNITY = "community"

# Forms (modals) a command opens instead of taking free text in an option.
SHARE_FORM = "share"
REPLY_FORM = "reply"
NOTE_FORM = "note"
WIN_FORM = "win"


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    kind: type = str  # str, int or bool
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (what the member sees, the word sent)
    autocomplete: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    flag: str | None = None  # a bool option: the word sent when it is true
    opens: str | None = None  # a bool option: when true, the command opens this form
    prefill: bool = False  # not sent as a word: it fills in the form's field of that name


@dataclass(frozen=True)
class Leaf:
    """One invocable slash command: `/checkin schedule`, `/support`."""

    path: tuple[str, ...]
    description: str
    options: tuple[Option, ...] = ()
    words: str | None = None  # the core's words when they differ from the path
    form: str | None = None  # opens this modal; the options go into its command head

    @property
    def root(self) -> str:
        return self.path[0]

    @property
    def qualified_name(self) -> str:
        return " ".join(self.path)

    @property
    def command_words(self) -> str:
        return self.words if self.words is not None else self.qualified_name


def _number(what: str = "share", *, replies: bool = False, held: bool = False) -> Option:
    if replies:
        return Option(
            "number",
            text("discord.option_number_held" if held else "discord.option_number_reply"),
            str,
            required=True,
            max_length=12,
        )
    return Option("number", text(_NUMBER[what]), int, required=True, min_value=1)


def _mood(labels: tuple[str, ...]) -> Option:
    return Option(
        "mood",
        text("discord.option_mood"),
        str,
        choices=tuple(
            (text("discord.mood_choice", number=n, label=label)[:100], str(n))
            for n, label in enumerate(labels, 1)
        ),
    )


def _days(what: str) -> Option:
    return Option("days", what, int, min_value=1, max_value=365)


_NAME = Option(
    "name",
    text("discord.option_counter_name"),
    str,
    required=True,
    autocomplete=MILESTONE,
    max_length=32,
)
_DATE = Option("date", text("discord.option_counter_date"), str, max_length=10)
_ZONE = Option(
    "timezone", text("discord.option_timezone"), str, autocomplete=TIMEZONE, max_length=64
)

GROUPS = {
    "checkin": text("discord.group_checkin"),
    "mydata": text("discord.group_mydata"),
    "share": text("discord.group_share"),
    "mod": text("discord.group_mod"),
    "milestone": text("discord.group_milestone"),
}
# Shown to members only where their permissions allow (`default_member_permissions`);
# the core still checks the community's `moderators` on every action.
MODERATOR_GROUPS = frozenset({"mod"})


def leaves(mood_labels: tuple[str, ...]) -> tuple[Leaf, ...]:
    """Every command, in the order Discord lists them."""
    return (
        Leaf(
            ("help",),
            text("discord.command_help"),
            (
                Option(
                    "command",
                    text("discord.option_help_command"),
                    autocomplete=COMMAND,
                    max_length=32,
                ),
            ),
        ),
        # --- check-ins
        Leaf(
            ("checkin", "now"),
            text("discord.command_checkin_now"),
            (
                _mood(mood_labels),
                Option("note", text("discord.option_checkin_now_note"), bool, opens=NOTE_FORM),
            ),
            words="checkin",
        ),
        Leaf(
            ("checkin", "schedule"),
            text("discord.command_checkin_schedule"),
            (
                Option(
                    "time",
                    text("discord.option_checkin_schedule_time"),
                    str,
                    required=True,
                    max_length=5,
                ),
                Option("days", text("discord.option_checkin_schedule_days"), choices=DAYS),
                _ZONE,
            ),
        ),
        Leaf(
            ("checkin", "pause"),
            text("discord.command_checkin_pause"),
            (_days(text("discord.option_checkin_pause_days")),),
        ),
        Leaf(("checkin", "resume"), text("discord.command_checkin_resume")),
        Leaf(("checkin", "skip"), text("discord.command_checkin_skip")),
        Leaf(("checkin", "snooze"), text("discord.command_checkin_snooze")),
        Leaf(
            ("checkin", "quiet"),
            text("discord.command_checkin_quiet"),
            (Option("hours", text("discord.option_checkin_quiet_hours"), max_length=11),),
        ),
        Leaf(
            ("checkin", "history"),
            text("discord.command_checkin_history"),
            (_days(text("discord.option_checkin_history_days")),),
        ),
        Leaf(("checkin", "stop"), text("discord.command_checkin_stop")),
        # --- safety and privacy
        Leaf(("resources",), text("discord.command_resources")),
        Leaf(("privacy",), text("discord.command_privacy")),
        Leaf(
            ("contact",),
            text("discord.command_contact"),
            (Option("answer", text("discord.option_contact_answer"), choices=CONTACT),),
        ),
        Leaf(("mydata", "export"), text("discord.command_mydata_export")),
        Leaf(
            ("mydata", "delete"),
            text("discord.command_mydata_delete"),
            (
                Option(
                    "confirm", text("discord.option_mydata_delete_confirm"), bool, flag="confirm"
                ),
            ),
        ),
        # --- anonymous sharing
        Leaf(
            ("share", "post"),
            text("discord.command_share_post"),
            (
                Option(
                    "content_warning",
                    text("discord.option_share_post_content_warning"),
                    max_length=200,
                    prefill=True,
                ),
            ),
            words="share",
            form=SHARE_FORM,
        ),
        Leaf(("share", "list"), text("discord.command_share_list")),
        Leaf(("share", "delete"), text("discord.command_share_delete"), (_number(),)),
        Leaf(("share", "confirm"), text("discord.command_share_confirm")),
        Leaf(("share", "cancel"), text("discord.command_share_cancel")),
        Leaf(
            ("reply",),
            text("discord.command_reply"),
            (_number(),),
            form=REPLY_FORM,
        ),
        Leaf(("support",), text("discord.command_support"), (_number(),)),
        Leaf(
            ("report",),
            text("discord.command_report"),
            (
                _number(replies=True),
                Option(
                    "reason", text("discord.option_report_reason"), required=True, max_length=500
                ),
            ),
        ),
        # --- moderators
        Leaf(("mod", "queue"), text("discord.command_mod_queue")),
        Leaf(
            ("mod", "approve"),
            text("discord.command_mod_approve"),
            (_number(replies=True, held=True),),
        ),
        Leaf(
            ("mod", "reject"),
            text("discord.command_mod_reject"),
            (
                _number(replies=True, held=True),
                Option("reason", text("discord.option_mod_reject_reason"), max_length=300),
            ),
        ),
        Leaf(("mod", "remove"), text("discord.command_mod_remove"), (_number(replies=True),)),
        Leaf(
            ("mod", "block"),
            text("discord.command_mod_block"),
            (
                _number(),
                Option(
                    "days",
                    text("discord.option_mod_block_days"),
                    int,
                    min_value=1,
                    max_value=3650,
                ),
            ),
        ),
        Leaf(
            ("mod", "unblock"),
            text("discord.command_mod_unblock"),
            (
                Option(
                    "block_id",
                    text("discord.option_mod_unblock_block_id"),
                    required=True,
                    max_length=16,
                ),
            ),
        ),
        Leaf(
            ("mod", "stats"),
            text("discord.command_mod_stats"),
            (
                Option(
                    "days", text("discord.option_mod_stats_days"), int, min_value=1, max_value=365
                ),
            ),
        ),
        Leaf(("mod", "reload"), text("discord.command_mod_reload")),
        Leaf(
            ("mod", "log"),
            text("discord.command_mod_log"),
            (
                Option(
                    "count", text("discord.option_mod_log_count"), int, min_value=1, max_value=100
                ),
            ),
        ),
        # --- milestones and celebrations
        Leaf(
            ("milestone", "set"),
            text("discord.command_milestone_set"),
            (
                Option(
                    "name", text("discord.option_milestone_set_name"), required=True, max_length=32
                ),
                Option(
                    "date",
                    text("discord.option_counter_date"),
                    required=True,
                    max_length=10,
                ),
                Option(
                    "visibility",
                    text("discord.option_milestone_set_visibility"),
                    choices=VISIBILITY,
                ),
                _ZONE,
            ),
        ),
        Leaf(("milestone", "list"), text("discord.command_milestone_list")),
        Leaf(("milestone", "reset"), text("discord.command_milestone_reset"), (_NAME, _DATE)),
        Leaf(
            ("milestone", "visibility"),
            text("discord.command_milestone_visibility"),
            (
                _NAME,
                Option(
                    "visibility",
                    text("discord.option_milestone_visibility_visibility"),
                    required=True,
                    choices=VISIBILITY,
                ),
            ),
        ),
        Leaf(
            ("milestone", "remove"),
            text("discord.command_milestone_remove"),
            (
                _NAME,
                Option(
                    "confirm", text("discord.option_milestone_remove_confirm"), bool, flag="confirm"
                ),
            ),
        ),
        Leaf(
            ("celebrate",),
            text("discord.command_celebrate"),
            (
                Option(
                    "anonymous", text("discord.option_celebrate_anonymous"), bool, flag="anonymous"
                ),
            ),
            form=WIN_FORM,
        ),
        Leaf(("cheer",), text("discord.command_cheer"), (_number("celebration"),)),
    )


def words_for(leaf: Leaf, values: Mapping[str, object], community: str | None = None) -> str:
    """The core words for an invocation: `/checkin schedule time:09:00 days:weekdays`
    → "checkin schedule 09:00 weekdays". Options left out are left out; a
    community picked in a DM becomes `--community NAME` after the command words."""
    words = [leaf.command_words]
    if community:
        words += ["--community", community]
    for option in leaf.options:
        value = values.get(option.name)
        if option.prefill or value is None or value is False or value == "":
            continue
        if option.kind is bool:
            if option.flag:
                words.append(option.flag)
            continue
        words.append(" ".join(str(value).split()))  # one option never spills into the next
    return " ".join(words)


def form_for(leaf: Leaf, values: Mapping[str, object]) -> str | None:
    """The form this invocation opens, if any (`/reply`, `/checkin now note:True`)."""
    if leaf.form:
        return leaf.form
    return next((o.opens for o in leaf.options if o.opens and values.get(o.name)), None)
