"""Streaks: consecutive local days with a check-in, where paused and skipped
days neither count nor break the run, and today is not over yet."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Break:
    """A paused or skipped stretch of check-in days; `end` None means open-ended."""

    kind: str  # "pause" | "skip"
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def current_streak(today: date, checkin_days: Set[date], breaks: Iterable[Break]) -> int:
    breaks = list(breaks)
    streak = 0
    day = today
    oldest = min(checkin_days, default=today)
    while day >= oldest:
        if day in checkin_days:
            streak += 1
        elif day != today and not any(b.covers(day) for b in breaks):
            break
        day -= timedelta(days=1)
    return streak
