"""Delivery health in `mod stats`: is Hearth reaching people? Counts and
durations only, never which member.

These figures have no privacy floor, by choice: they say how Hearth is doing
(DMs it cannot deliver, prompts it sent late, messages not yet out), nothing
anyone felt or wrote, and they are never broken down. A moderator needs "1
member can't be reached" to act on it (e.g. remind everyone to open DMs),
and the count says nothing about who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Community
from bot.localtime import epoch
from bot.mornings import Wave
from bot.outbox import queued_at
from bot.storage import Transaction
from bot.texts import ENGLISH, plural, text

LATE_AFTER = timedelta(minutes=5)  # the scheduler's own slack stays well under this
# How the window's prompts fared: counted per due moment as it happened
# (bot/slot_counts.py), so this reads a few rows per moment, whatever the size.
COUNTS = (
    "SELECT state, lateness, sum(n) AS n FROM prompt_slot_counts "
    "WHERE community = $1 AND due_at > $2 AND due_at <= $3 GROUP BY state, lateness"
)
SEPARATOR = " · "  # between the figures of one line


@dataclass(frozen=True)
class Delivery:
    unreachable: int
    prompts_sent: int
    late: int  # how many reached the member more than LATE_AFTER after they were due
    late_median: int  # seconds late, over those
    late_worst: int
    missed: int  # found past the catch-up window (downtime): never sent, by design
    undelivered: int  # queued but expired or unreachable
    backlog: int  # due and not sent yet
    oldest_waiting: int | None  # seconds since the oldest of them was queued
    later: int  # held back on purpose (quiet hours)


async def measure(tx: Transaction, community: Community, now: datetime, days: int) -> Delivery:
    name, platform = community.name, community.platform
    window = (name, epoch(now - timedelta(days=days)), epoch(now))
    # Members are per platform: count those this community knows (schedules, check-ins, counters).
    unreachable = await tx.fetchval(
        "SELECT count(*) FROM members m WHERE m.platform = $1 AND m.unreachable_at IS NOT NULL "
        "AND (EXISTS (SELECT 1 FROM schedules x WHERE x.member_id = m.id AND x.community = $2) "
        "OR EXISTS (SELECT 1 FROM checkins x WHERE x.member_id = m.id AND x.community = $2) "
        "OR EXISTS (SELECT 1 FROM milestone_counters x WHERE x.member_id = m.id "
        "AND x.community = $2))",
        platform,
        name,
    )
    # The window's counts: outcomes, and how late, counted by the second
    # (a few thousand values at most, whatever the community's size).
    counts = {"sent": 0, "missed": 0, "undelivered": 0}
    lateness: dict[int, int] = {}
    late_after = int(LATE_AFTER.total_seconds())
    for row in await tx.fetch(COUNTS, *window):
        n = int(row["n"])  # PostgreSQL's sum may come back as numeric
        if row["state"] in counts:
            counts[row["state"]] += n
        seconds = int(row["lateness"])
        if row["state"] == "sent" and seconds > late_after and n:
            lateness[seconds] = lateness.get(seconds, 0) + n
    late_count = sum(lateness.values())
    median = _median(lateness, late_count)
    # Due, being sent or being retried; apart from those held back on purpose (quiet hours).
    waiting = await tx.fetchrow(
        # status IN first: the outbox_due index finds the few waiting among all rows sent
        "SELECT count(*) AS n, min(seq) AS oldest FROM outbox WHERE platform = $1 "
        "AND status IN ('pending', 'sending') AND (status = 'sending' OR next_attempt_at <= $2 "
        "OR attempts > 0)",
        platform,
        epoch(now),
    )
    assert waiting is not None
    later = await tx.fetchval(
        "SELECT count(*) FROM outbox WHERE platform = $1 AND status = 'pending' "
        "AND attempts = 0 AND next_attempt_at > $2",
        platform,
        epoch(now),
    )
    oldest = waiting["oldest"]
    return Delivery(
        unreachable=int(unreachable),
        prompts_sent=counts["sent"],
        late=late_count,
        late_median=median,
        late_worst=max(lateness, default=0),
        missed=counts["missed"],
        undelivered=counts["undelivered"],
        backlog=int(waiting["n"]),
        oldest_waiting=None if oldest is None else max(0, epoch(now) - queued_at(int(oldest))),
        later=int(later),
    )


def describe_wave(wave: Wave, community: Community, locale: str = ENGLISH) -> list[str]:
    """A line only when the next day's prompts cannot all go out in time (bot/mornings.py)."""
    if not wave.late or wave.rate is None:
        return []
    window = duration(int(community.checkins.catch_up_hours * 3600), locale)
    figures = {"due": wave.due, "rate": f"{wave.rate:g}", "late": wave.late, "window": window}
    return [text("mornings.wave_late", locale, **figures)]


def _median(counted: dict[int, int], total: int) -> int:
    """The median of values given with how often each occurs (the middle two's mean,
    rounded down, for an even count)."""
    if not total:
        return 0
    wanted = {(total - 1) // 2, total // 2}  # positions, from 0
    picked: list[int] = []
    seen = 0
    for value in sorted(counted):
        following = seen + counted[value]
        picked += [value for position in sorted(wanted) if seen <= position < following]
        seen = following
    return sum(picked) // len(picked)


def describe(delivery: Delivery, locale: str = ENGLISH) -> list[str]:
    late_after = duration(int(LATE_AFTER.total_seconds()), locale)
    if delivery.late:
        prompts = [
            text(
                "mod.delivery_prompts_late",
                locale,
                sent=delivery.prompts_sent,
                late=delivery.late,
                late_after=late_after,
                median=duration(delivery.late_median, locale),
                worst=duration(delivery.late_worst, locale),
            )
        ]
    else:
        prompts = [
            text(
                "mod.delivery_prompts_on_time",
                locale,
                sent=delivery.prompts_sent,
                late_after=late_after,
            )
        ]
    if delivery.missed:
        prompts.append(text("mod.delivery_missed", locale, missed=delivery.missed))
    if delivery.undelivered:
        prompts.append(text("mod.delivery_undelivered", locale, undelivered=delivery.undelivered))
    if delivery.oldest_waiting is None:
        backlog = [text("mod.delivery_backlog", locale, waiting=delivery.backlog)]
    else:
        age = duration(delivery.oldest_waiting, locale)
        backlog = [text("mod.delivery_backlog_oldest", locale, waiting=delivery.backlog, age=age)]
    if delivery.later:
        backlog.append(text("mod.delivery_held", locale, held=delivery.later))
    return [
        text("mod.delivery_unreachable", locale, members=delivery.unreachable),
        SEPARATOR.join(prompts),
        SEPARATOR.join(backlog),
    ]


def duration(seconds: int, locale: str = ENGLISH) -> str:
    minutes = max(0, seconds) // 60
    if minutes < 60:
        return text("mod.duration_minutes", locale, minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes:
            return text("mod.duration_hours_minutes", locale, hours=hours, minutes=minutes)
        return text("mod.duration_hours", locale, hours=hours)
    return plural("mod.duration_days", hours // 24, locale)
