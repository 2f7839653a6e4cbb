"""Core events: how one feature's moment reaches another without an import.

A handler publishes one with `await req.publish(event)`; every feature that
declared it in `Feature.listens` acts on it in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CheckinSaved:
    """A member checked in for `day`, making a streak of `streak` days. In a hard
    moment (a crisis note, a very low mood) nothing should be celebrated."""

    day: date
    streak: int
    hard_moment: bool
