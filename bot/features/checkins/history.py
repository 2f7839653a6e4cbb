"""A member's private history: the numbers, a text sparkline and a PNG chart."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import mean

from bot.texts import ENGLISH, text

SPARK = "▁▂▃▄▅▆▇█"
NO_CHECKIN = "·"


@dataclass(frozen=True)
class DayMood:
    day: date
    mood: float | None  # the day's average, None when there was no check-in


@dataclass(frozen=True)
class Summary:
    days: int
    count: int
    average: float | None
    trend: str  # "rising", "steady", "falling" or "" when there is too little to tell
    daily: tuple[DayMood, ...]
    top_tags: tuple[tuple[str, int], ...]


def summarise(
    first_day: date, last_day: date, moods_by_day: dict[date, list[int]], tags: list[str]
) -> Summary:
    span = (last_day - first_day).days + 1
    daily = tuple(
        DayMood(day, mean(moods_by_day[day]) if moods_by_day.get(day) else None)
        for day in (first_day + timedelta(days=n) for n in range(span))
    )
    all_moods = [m for day_moods in moods_by_day.values() for m in day_moods]
    return Summary(
        days=span,
        count=len(all_moods),
        average=round(mean(all_moods), 1) if all_moods else None,
        trend=trend([d.mood for d in daily if d.mood is not None]),
        daily=daily,
        top_tags=tuple(Counter(tags).most_common(3)),
    )


def trend(values: list[float]) -> str:
    """Compare the earlier half with the later half; a small change is "steady"."""
    if len(values) < 4:
        return ""
    half = len(values) // 2
    change = mean(values[half:]) - mean(values[:half])
    if change >= 0.3:
        return "rising"
    if change <= -0.3:
        return "falling"
    return "steady"


def sparkline(daily: tuple[DayMood, ...]) -> str:
    """One mark per day: low bars for low moods, a dot for a day without a check-in."""
    marks = []
    for day in daily:
        if day.mood is None:
            marks.append(NO_CHECKIN)
        else:
            marks.append(SPARK[round((day.mood - 1) / 4 * (len(SPARK) - 1))])
    return "".join(marks)


def render_chart(summary: Summary, locale: str = ENGLISH) -> bytes:
    """A small PNG of daily moods, its words in `locale`. Runs in a worker thread:
    matplotlib is slow."""
    import matplotlib

    matplotlib.use("Agg")  # no display, ever
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure  # pyplot keeps global state; Figure doesn't

    points = [(d.day, d.mood) for d in summary.daily if d.mood is not None]
    figure = Figure(figsize=(6, 2.6), dpi=100)
    axes = figure.subplots()
    if points:
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#d9822b")
    axes.set_ylim(0.5, 5.5)
    axes.set_yticks(range(1, 6))
    first = datetime.combine(summary.daily[0].day, time()) - timedelta(hours=12)
    last = datetime.combine(summary.daily[-1].day, time()) + timedelta(hours=12)
    axes.set_xlim(first, last)  # type: ignore[arg-type]
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    axes.set_ylabel(text("checkins.chart_mood_axis", locale))
    axes.set_title(text("checkins.chart_title", locale, days=summary.days), fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
