"""The slash command tree, declared once: every SPEC §2 command as a Discord
command or group, with typed options, and the core words each one stands for.

Pure data (no discord import): `tree.py` builds discord.py objects from it and
`words_for` turns an invocation back into what a Matrix or console member types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The days a member can pick for reminders: the core's own words as values.
DAYS = (
    ("Every day", "daily"),
    ("Weekdays (Mon–Fri)", "weekdays"),
    ("Weekends (Sat, Sun)", "weekends"),
    ("Mon, Wed, Fri", "mon,wed,fri"),
    ("Tue, Thu", "tue,thu"),
    ("Mondays", "mon"),
    ("Tuesdays", "tue"),
    ("Wednesdays", "wed"),
    ("Thursdays", "thu"),
    ("Fridays", "fri"),
    ("Saturdays", "sat"),
    ("Sundays", "sun"),
)
VISIBILITY = (
    ("Private: only me, by DM", "private"),
    ("Anonymous: “someone in our community”", "anonymous"),
    ("Public: with my name", "public"),
)
CONTACT = (("Yes, please", "yes"), ("No, thank you", "no"))

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
        also = ", c3 for held celebration 3" if held else ""
        return Option(
            "number",
            f"The {what} number, like 4 (or 4.2 for reply 2 under it{also})",
            str,
            required=True,
            max_length=12,
        )
    return Option("number", f"The {what} number, like 4", int, required=True, min_value=1)


def _mood(labels: tuple[str, ...]) -> Option:
    return Option(
        "mood",
        "How you feel, 1 (very low) to 5 (very good)",
        str,
        choices=tuple((f"{n} — {label}"[:100], str(n)) for n, label in enumerate(labels, 1)),
    )


def _days(what: str) -> Option:
    return Option("days", what, int, min_value=1, max_value=365)


_NAME = Option("name", "Which counter", str, required=True, autocomplete=MILESTONE, max_length=32)
_DATE = Option("date", "The day it began, YYYY-MM-DD (or today, yesterday)", str, max_length=10)
_ZONE = Option(
    "timezone", "Your time zone, like Europe/Berlin", str, autocomplete=TIMEZONE, max_length=64
)

GROUPS = {
    "checkin": "Private mood check-ins, reminders and your history",
    "mydata": "Export or delete everything Hearth holds about you",
    "share": "Post anonymously, list or remove your own shares",
    "mod": "Moderator tools: the queue, approvals, blocks",
    "milestone": "Recovery counters and how milestones are celebrated",
}
# Shown to members only where their permissions allow (`default_member_permissions`);
# the core still checks the community's `moderators` on every action.
MODERATOR_GROUPS = frozenset({"mod"})


def leaves(mood_labels: tuple[str, ...]) -> tuple[Leaf, ...]:
    """Every command, in the order Discord lists them."""
    return (
        Leaf(
            ("help",),
            "What Hearth can do, briefly",
            (
                Option(
                    "command", "Tell me more about one command", autocomplete=COMMAND, max_length=32
                ),
            ),
        ),
        # --- check-ins
        Leaf(
            ("checkin", "now"),
            "Record how you feel right now (private)",
            (
                _mood(mood_labels),
                Option("note", "Add a private note (opens a form)", bool, opens=NOTE_FORM),
            ),
            words="checkin",
        ),
        Leaf(
            ("checkin", "schedule"),
            "A private DM prompt at your local time",
            (
                Option("time", "24-hour local time, like 09:00", str, required=True, max_length=5),
                Option("days", "Which days (every day if left out)", choices=DAYS),
                _ZONE,
            ),
        ),
        Leaf(
            ("checkin", "pause"),
            "Stop prompts for a while (never breaks your streak)",
            (_days("For how many days (until you resume if left out)"),),
        ),
        Leaf(("checkin", "resume"), "Turn prompts back on"),
        Leaf(("checkin", "skip"), "No prompt today (won't break your streak)"),
        Leaf(("checkin", "snooze"), "Ask me again in an hour"),
        Leaf(
            ("checkin", "quiet"),
            "Quiet hours: no prompts or celebrations in that window",
            (Option("hours", "Like 22:00-07:00, or off", max_length=11),),
        ),
        Leaf(
            ("checkin", "history"),
            "Your private summary and chart",
            (_days("How many days back (30 if left out)"),),
        ),
        Leaf(("checkin", "stop"), "Forget your reminder schedule (check-ins are kept)"),
        # --- safety and privacy
        Leaf(("resources",), "Support and crisis resources, privately"),
        Leaf(("privacy",), "Who can see what, and what Hearth stores"),
        Leaf(
            ("contact",),
            "Ask a moderator to reach out to you privately",
            (Option("answer", "Would you like a moderator to reach out?", choices=CONTACT),),
        ),
        Leaf(("mydata", "export"), "Everything Hearth holds about you, as a file"),
        Leaf(
            ("mydata", "delete"),
            "Erase everything Hearth holds about you",
            (Option("confirm", "Yes, I understand it cannot be undone", bool, flag="confirm"),),
        ),
        # --- anonymous sharing
        Leaf(
            ("share", "post"),
            "Share anonymously (opens a private form)",
            (
                Option(
                    "content_warning",
                    "A content warning shown before your words",
                    max_length=200,
                    prefill=True,
                ),
            ),
            words="share",
            form=SHARE_FORM,
        ),
        Leaf(("share", "list"), "Your own shares, privately"),
        Leaf(("share", "delete"), "Take down one of your own shares", (_number(),)),
        Leaf(("share", "confirm"), "Post the share or reply you were asked about"),
        Leaf(("share", "cancel"), "Drop the share or reply you were asked about"),
        Leaf(
            ("reply",),
            "Reply anonymously to a share (opens a private form)",
            (_number(),),
            form=REPLY_FORM,
        ),
        Leaf(("support",), "Let the author of a share know someone cares", (_number(),)),
        Leaf(
            ("report",),
            "Tell the moderators about a share or reply; they won't see who",
            (
                _number(replies=True),
                Option("reason", "What worries you about it", required=True, max_length=500),
            ),
        ),
        # --- moderators
        Leaf(("mod", "queue"), "Everything waiting for review, held items and open reports"),
        Leaf(
            ("mod", "approve"),
            "Publish a waiting share, a held reply or a held celebration",
            (_number(replies=True, held=True),),
        ),
        Leaf(
            ("mod", "reject"),
            "Refuse a waiting share, reply or celebration; its author is told",
            (
                _number(replies=True, held=True),
                Option("reason", "A note for the author", max_length=300),
            ),
        ),
        Leaf(("mod", "remove"), "Take down a posted share or reply", (_number(replies=True),)),
        Leaf(
            ("mod", "block"),
            "Stop the unknown author of a share from sharing here",
            (
                _number(),
                Option(
                    "days",
                    "For how many days (until lifted if left out)",
                    int,
                    min_value=1,
                    max_value=3650,
                ),
            ),
        ),
        Leaf(
            ("mod", "unblock"),
            "Lift a block",
            (Option("block_id", "The block id, like B-7KQ2MX", required=True, max_length=16),),
        ),
        Leaf(
            ("mod", "stats"),
            "Community pulse and delivery health, never about one member",
            (Option("days", "Days back (7 if left out)", int, min_value=1, max_value=365),),
        ),
        Leaf(("mod", "reload"), "Re-read the configuration file"),
        Leaf(
            ("mod", "log"),
            "The last moderator actions",
            (Option("count", "How many", int, min_value=1, max_value=100),),
        ),
        # --- milestones and celebrations
        Leaf(
            ("milestone", "set"),
            "Start a counter, like sober since a date",
            (
                Option("name", "One word, like sober", required=True, max_length=32),
                Option(
                    "date",
                    "The day it began, YYYY-MM-DD (or today, yesterday)",
                    required=True,
                    max_length=10,
                ),
                Option(
                    "visibility",
                    "How milestones are celebrated (private if left out)",
                    choices=VISIBILITY,
                ),
                _ZONE,
            ),
        ),
        Leaf(("milestone", "list"), "Your counters: days, longest run, attempts"),
        Leaf(("milestone", "reset"), "Start a new run; your history is kept", (_NAME, _DATE)),
        Leaf(
            ("milestone", "visibility"),
            "How a counter's milestones are celebrated",
            (
                _NAME,
                Option(
                    "visibility", "Private, anonymous or public", required=True, choices=VISIBILITY
                ),
            ),
        ),
        Leaf(
            ("milestone", "remove"),
            "Delete a counter and its history",
            (_NAME, Option("confirm", "Yes, delete it and its history", bool, flag="confirm")),
        ),
        Leaf(
            ("celebrate",),
            "Share a win in the celebrations channel (opens a form)",
            (Option("anonymous", "Leave my name off", bool, flag="anonymous"),),
            form=WIN_FORM,
        ),
        Leaf(("cheer",), "Cheer someone's celebration", (_number("celebration"),)),
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
