"""Fair mornings: whether the check-in prompts due soon can all go out, at the
platform's send rate, before their catch-up window closes.

The arithmetic is known at scheduling time: every schedule keeps its next
prompt's moment (`schedules.next_prompt_at`), and the outbox sends a
platform's prompts in the order they fall due at `sends_per_second`. So the
prompts due in the next day, counted by the second they are due, tell how many
would wait past the window and be skipped. Hearth says so ahead of time, in
`mod stats` and in the log (hourly, `MorningForecast`), with counts only:
never a member, never a time zone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import AdapterSettings, Config
from bot.localtime import epoch, from_epoch
from bot.scheduler import Hourly
from bot.storage import Database, Transaction

log = logging.getLogger(__name__)

LOOK_AHEAD = timedelta(hours=24)


@dataclass(frozen=True)
class Wave:
    """The prompts due in the look-ahead on one platform, and those the rate
    would send later than the catch-up window (None: nothing over it)."""

    due: int
    late: int
    rate: float | None  # sends a second; None: not paced
    first_late_due: int | None  # epoch seconds: when the first prompt too late falls due


def forecast(due_counts: Iterable[tuple[int, int]], rate: float | None, catch_up: int) -> Wave:
    """(due second, prompts due then) → how many would pass `catch_up` seconds
    at `rate` sends a second, sent in the order they fall due. A prompt past its
    window is skipped, so it takes no send from those after it."""
    counts = sorted((int(due), int(n)) for due, n in due_counts if n)
    total = sum(n for _due, n in counts)
    if rate is None or not counts:
        return Wave(total, 0, rate, None)
    free_at = -math.inf  # when the next send may go
    late = 0
    first_late: int | None = None
    for due, count in counts:
        start = max(float(due), free_at)
        # the k-th of this second's prompts goes at start + k / rate (k from 0)
        in_time = min(count, max(0, math.floor((due + catch_up - start) * rate + 1e-9) + 1))
        if in_time < count:
            late += count - in_time
            first_late = due if first_late is None else first_late
        free_at = start + in_time / rate
    return Wave(total, late, rate, first_late)


def platform_rate(adapters: AdapterSettings, platform: str) -> float | None:
    settings = getattr(adapters, platform, None)
    return None if settings is None else settings.sends_per_second


async def due_counts(
    tx: Transaction, communities: Sequence[str], now: datetime
) -> list[tuple[int, int]]:
    """Prompts due in the look-ahead in these communities, counted by the minute
    (each as if due at its minute's start): at most 1,440 rows, whatever the size."""
    if not communities:
        return []
    names = ", ".join(f"${n + 3}" for n in range(len(communities)))
    rows = await tx.fetch(
        "SELECT next_prompt_at / 60 AS minute, count(*) AS n FROM schedules "
        f"WHERE next_prompt_at >= $1 AND next_prompt_at < $2 AND community IN ({names}) "
        "GROUP BY next_prompt_at / 60",
        epoch(now),
        epoch(now + LOOK_AHEAD),
        *communities,
    )
    return [(int(r["minute"]) * 60, int(r["n"])) for r in rows]


async def wave_for(tx: Transaction, config: Config, platform: str, now: datetime) -> Wave:
    """The look-ahead on `platform`: its communities share its send rate. The
    shortest catch-up window among them is the one the forecast keeps to."""
    communities = config.communities_on(platform)
    if not communities:
        return Wave(0, 0, None, None)
    catch_up = min(int(c.checkins.catch_up_hours * 3600) for c in communities)
    counts = await due_counts(tx, [c.name for c in communities], now)
    return forecast(counts, platform_rate(config.adapters, platform), catch_up)


class MorningForecast(Hourly):
    """A scheduler job: every hour, the next day's waves, logged when too big."""

    name = "morning forecast"

    def __init__(self, db: Database, config: Config, start: datetime) -> None:
        super().__init__(start)
        self.db = db
        self.config = config

    async def work(self, now: datetime) -> None:
        await warn_ahead(self.db, self.config, now)


async def warn_ahead(db: Database, config: Config, now: datetime) -> list[Wave]:
    """Log, for each platform, a wave the rate cannot send in time."""
    waves = []
    platforms = sorted({c.platform for c in config.communities})
    async with db.reading() as tx:
        for platform in platforms:
            wave = await wave_for(tx, config, platform, now)
            waves.append(wave)
            if wave.late and wave.first_late_due is not None:
                log.warning(
                    "prompts due on %s in the next %d h: %d; at %s sends a second about %d "
                    "would wait past the catch-up window and be skipped, from those due at "
                    "%s UTC: raise sends_per_second or spread the prompt times",
                    platform,
                    LOOK_AHEAD // timedelta(hours=1),
                    wave.due,
                    f"{wave.rate:g}",
                    wave.late,
                    from_epoch(wave.first_late_due).strftime("%Y-%m-%d %H:%M"),
                )
    return waves
