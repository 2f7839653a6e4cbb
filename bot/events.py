"""Core events: how one feature's moment reaches another without an import.

A handler publishes one with `await req.publish(event)`; every feature that
declared it in `Feature.listens` acts on it in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.port import Message


@dataclass(frozen=True)
class CheckinSaved:
    """A member checked in for `day`, making a streak of `streak` days. In a hard
    moment (a crisis note, a very low mood) nothing should be celebrated."""

    day: date
    streak: int
    hard_moment: bool
    #: the mood given (1-5), and whether the crisis check heard the note: a stranger's
    #: encouragement may follow a low mood, never words that sounded like a crisis
    mood: int = 0
    crisis: bool = False


@dataclass(frozen=True)
class CareGiven:
    """Hearth is answering a member's crisis signal privately (bot/safety/care.py):
    `soft` after a check-in of mood 1, else the crisis check heard their words. A
    feature may add words of its own, in `locale`: `lead` is shown before the
    resources (the member's own safety plan), `follow` after everything else (an
    offer to write one). `private`: the words were the member's own to Hearth (a
    check-in, a DM); for anonymous words (a share, a reply) a listener writes
    nothing, so no row of the member's tells of the moment. The one place crisis
    care takes a feature's part."""

    soft: bool
    private: bool
    locale: str
    lead: list[Message] = field(default_factory=list)
    follow: list[Message] = field(default_factory=list)


@dataclass
class PlainWords:
    """A member wrote words in their DM that are not a command. A feature that asked
    them something (a step of `safetyplan`) answers and marks them `taken`; words no
    feature takes are listened to with care (bot/features/safety.py)."""

    text: str
    taken: bool = False
