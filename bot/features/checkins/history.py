"""A member's private history: the numbers, a text sparkline and a PNG chart."""

from __future__ import annotations

import io
import math
import struct
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import mean

from bot.texts import ENGLISH, text
from bot.texts import plural as text_plural

SPARK = "▁▂▃▄▅▆▇█"
NO_CHECKIN = "·"
#: past this many days the sparkline has one bar a week, so it stays readable
WEEKLY_AFTER_DAYS = 60


@dataclass(frozen=True)
class DayMood:
    day: date
    mood: float | None  # the day's average, None when there was no check-in
    count: int = 0  # how many check-ins that average is of


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
        DayMood(
            day,
            mean(moods_by_day[day]) if moods_by_day.get(day) else None,
            len(moods_by_day.get(day, ())),
        )
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


def weekly(daily: Sequence[DayMood]) -> tuple[DayMood, ...]:
    """Seven days at a time, counted back from the last day (so the last bar is
    the week just gone, the first may be shorter): each the average of its
    check-ins, dated by its first day."""
    weeks = []
    starts = range(len(daily) % 7 - 7 if len(daily) % 7 else 0, len(daily), 7)
    for start in starts:
        chunk = daily[max(start, 0) : start + 7]
        week = [d for d in chunk if d.mood is not None]
        count = sum(d.count for d in week)
        total = sum(d.mood * d.count for d in week if d.mood is not None)
        weeks.append(DayMood(chunk[0].day, total / count if count else None, count))
    return tuple(weeks)


def sparkline(daily: Sequence[DayMood]) -> str:
    """One mark per day (or week): low bars for low moods, a dot for none."""
    marks = []
    for day in daily:
        if day.mood is None:
            marks.append(NO_CHECKIN)
        else:
            marks.append(SPARK[round((day.mood - 1) / 4 * (len(SPARK) - 1))])
    return "".join(marks)


def chart_label(label: str) -> str:
    """A mood label as the chart's font can draw it: without its emoji."""
    kept = "".join(c for c in label if unicodedata.category(c)[0] in "LNZP")
    return " ".join(kept.split()) or label


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def render_chart(
    summary: Summary, locale: str = ENGLISH, labels: Sequence[str] | None = None
) -> bytes:
    """A small PNG of daily moods, its words in `locale`, the 1–5 axis named by
    the community's mood `labels`. A day without a check-in is a gap in the line;
    a day that averages several check-ins has its own mark. Runs in a worker
    thread: matplotlib is slow."""
    import matplotlib

    matplotlib.use("Agg")  # no display, ever
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure  # pyplot keeps global state; Figure doesn't

    days = [datetime.combine(d.day, time()) for d in summary.daily]
    moods = [math.nan if d.mood is None else d.mood for d in summary.daily]
    figure = Figure(figsize=(6, 2.6), dpi=100)
    axes = figure.subplots()
    small = 3 if summary.days > WEEKLY_AFTER_DAYS else 5
    axes.plot(days, moods, marker="o", markersize=small, color="#d9822b")  # NaN: a gap
    several = [(x, d.mood) for x, d in zip(days, summary.daily, strict=True) if d.count > 1]
    if several:
        axes.plot(
            [p[0] for p in several],
            [p[1] for p in several],
            linestyle="none",
            marker="D",
            markersize=small + 2,
            markerfacecolor="white",
            color="#d9822b",
            label=text("checkins.chart_legend_several", locale),
        )
        # above the plot, beside the title: never over a point
        axes.legend(loc="lower right", bbox_to_anchor=(1, 1), fontsize=7, frameon=False)
    axes.set_ylim(0.5, 5.5)
    axes.set_yticks(range(1, 6))
    if labels:
        axes.set_yticklabels([chart_label(label) for label in labels], fontsize=8)
    first = datetime.combine(summary.daily[0].day, time()) - timedelta(hours=12)
    last = datetime.combine(summary.daily[-1].day, time()) + timedelta(hours=12)
    axes.set_xlim(first, last)  # type: ignore[arg-type]
    crosses_a_year = first.year != last.year
    axes.xaxis.set_major_formatter(DateFormatter("%d %b %Y" if crosses_a_year else "%d %b"))
    title = text_plural("checkins.chart_title", summary.days, locale)
    axes.set_title(title, fontsize=10, loc="left")
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
