"""Check-ins per second for members with a year of history, against members with none.

Two SQLite files, the same 512 members in each: in one every member has checked
in daily for 365 days (rows written directly, then one check-in through the
core, which counts the streak in full once and keeps it), in the other they
checked in once, yesterday. Then, each round on a new day, the same check-ins
through `Hearth.handle` on both, 64 at a time, alternating which goes first.
The target (issue 21): with history, at least 0.9 of the rate without, since
the streak is extended from the kept run rather than counted from every day.

`.venv/bin/python bench/history.py` runs it alone; `make bench` with the rest.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from checkins import CountingAdapter, _config  # noqa: E402

from bot.app import Hearth  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.localtime import day_floor  # noqa: E402
from bot.port import CommandGiven, Member, Place  # noqa: E402
from bot.storage import open_database  # noqa: E402
from bot.vault import Vault  # noqa: E402

SECRET = bytes(range(32))
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HISTORY_DAYS = 365
MEMBERS = 512
EVENTS = 2048
CONCURRENCY = 64
ROUNDS = 5
TARGET = 0.9


@dataclass(frozen=True)
class History:
    days: int
    with_history: list[float]  # check-ins per second, each round
    without: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.with_history) / statistics.median(self.without)


class Place1:
    def __init__(self, hearth: Hearth, clock: FakeClock, people: list[Member]) -> None:
        self.hearth, self.clock, self.people = hearth, clock, people
        self._ids = itertools.count()

    async def checkins(self, count: int, concurrency: int) -> float:
        todo = [
            CommandGiven(f"e{next(self._ids)}", who, Place.dm(who), "checkin 4")
            for who in itertools.islice(itertools.cycle(self.people), count)
        ]
        started = time.perf_counter()
        for first in range(0, len(todo), concurrency):
            await asyncio.gather(
                *(self.hearth.handle(e) for e in todo[first : first + concurrency])
            )
        return len(todo) / (time.perf_counter() - started)


async def _open(path: Path, history: int, members: int) -> Place1:
    config = _config(path)
    db = await open_database(config.database)
    clock = FakeClock(START - timedelta(days=1))
    hearth = Hearth(config, db, clock, {"console": CountingAdapter()}, Vault(SECRET))
    people = [Member("console", f"m{n}") for n in range(members)]
    place = Place1(hearth, clock, people)
    # Yesterday's check-in creates every member; the year before it is written directly.
    await place.checkins(members, CONCURRENCY)
    if history > 1:
        ids = [r[0] for r in await db.fetch("SELECT id FROM members ORDER BY id")]
        day = (START - timedelta(days=1)).date()
        async with db.transaction() as tx:
            for member_id in ids:
                for back in range(1, history):
                    when = day - timedelta(days=back)
                    moment = datetime(when.year, when.month, when.day, 10, tzinfo=UTC)
                    await tx.execute(
                        "INSERT INTO checkins (member_id, community, mood, tags, local_date, "
                        "created_at) VALUES ($1, 'bench', 3, '', $2, $3)",
                        member_id,
                        when.isoformat(),
                        day_floor(moment),
                    )
            # As a member who stayed a year would have it: the run kept, a year long.
            await tx.execute("DELETE FROM checkin_streaks")
        await place.checkins(members, CONCURRENCY)  # counted in full once, then kept
    return place


async def run(
    days: int = HISTORY_DAYS, members: int = MEMBERS, events: int = EVENTS, rounds: int = ROUNDS
) -> History:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-history-") as tmp:
        places = {
            "with": await _open(Path(tmp) / "with.db", days, members),
            "without": await _open(Path(tmp) / "without.db", 1, members),
        }
        rates: dict[str, list[float]] = {"with": [], "without": []}
        try:
            for turn in range(rounds + 1):  # the first round warms up, not counted
                order = ("with", "without") if turn % 2 == 0 else ("without", "with")
                for name in order:
                    place = places[name]
                    place.clock.set(START + timedelta(days=turn))
                    rate = await place.checkins(events, CONCURRENCY)
                    if turn:
                        rates[name].append(rate)
            longest = await places["with"].hearth.db.fetchval(
                "SELECT max(length) FROM checkin_streaks"
            )
            if int(longest) < days:
                raise RuntimeError(f"the kept streak is {longest} days, not {days} or more")
        finally:
            for place in places.values():
                await place.hearth.db.close()
    return History(days, rates["with"], rates["without"])


def summary_rows(history: History) -> list[tuple[str, ...]]:
    return [
        (
            f"check-ins/s with {history.days} days of history",
            f"{statistics.median(history.with_history):,.0f}",
            f"{statistics.median(history.without):,.0f} with none",
            f"{history.ratio:.2f}",
            f"≥ {TARGET}: {'yes' if history.ratio >= TARGET else 'no'}",
        )
    ]


def main() -> None:
    history = asyncio.run(run())
    for row in summary_rows(history):
        print("  ".join(row))


if __name__ == "__main__":
    main()
