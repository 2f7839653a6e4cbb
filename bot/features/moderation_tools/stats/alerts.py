"""Crisis alerts in `mod stats`: how many were raised, taken late (after they were
raised again) or not taken, by week. Counts only, never who took one or what it
was about.

Like the counts of shares (pulse.py), these have no privacy floor: every alert
is a post each moderator saw in the queue, and they count what the moderators
did, nothing a member felt or wrote. Like every figure, they cover only the
completed days asked about, in the community's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.config import Community
from bot.features.moderation_tools.stats.pulse import completed_days
from bot.localtime import from_epoch
from bot.storage import Transaction
from bot.texts import ENGLISH, day_short, plural, text


@dataclass(frozen=True)
class AlertWeek:
    week: date  # its Monday
    raised: int
    late: int
    never: int


async def measure(
    tx: Transaction, community: Community, now: datetime, days: int
) -> list[AlertWeek]:
    low, high = completed_days(community, now, days)
    rows = await tx.fetch(
        "SELECT created_at, count(*) AS raised, "
        "sum(CASE WHEN outcome = 'late' THEN 1 ELSE 0 END) AS late, "
        "sum(CASE WHEN outcome IS NULL AND raised_again = 1 THEN 1 ELSE 0 END) AS never "
        "FROM crisis_alerts WHERE community = $1 AND created_at >= $2 AND created_at < $3 "
        "GROUP BY created_at",
        community.name,
        low,
        high,
    )
    weeks: dict[date, list[int]] = {}
    for row in rows:
        day = from_epoch(row["created_at"]).astimezone(community.zone).date()
        counts = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0, 0])
        # int(): PostgreSQL's sum may come back as numeric.
        counts[0] += int(row["raised"])
        counts[1] += int(row["late"] or 0)
        counts[2] += int(row["never"] or 0)
    return [AlertWeek(week, *counts) for week, counts in sorted(weeks.items())]


def describe(weeks: list[AlertWeek], locale: str = ENGLISH) -> list[str]:
    if not weeks:
        return [text("alerts.stats_none", locale)]
    return [
        text("alerts.stats_heading", locale),
        *(
            plural(
                "alerts.stats_week",
                week.raised,
                locale,
                week=day_short(week.week, locale),
                late=week.late,
                never=week.never,
            )
            for week in weeks
        ),
    ]
