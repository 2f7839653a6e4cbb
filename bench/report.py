"""`make bench`: every benchmark in one run, then one table of ratios against
baselines measured in the same run, with issue 9's targets beside them.

1. check-ins per second through the core at 1, 16, 64 and 256 events at a
   time, against raw aiosqlite INSERT + COMMIT per row (bench/checkins.py);
2. the scheduler's due lookup at 100,000 and 1,000,000 schedules against
   1,000, and against APScheduler 3's (bench/checkins.py, bench/memory.py);
3. scheduler memory per schedule against APScheduler 3 holding the same daily
   jobs (bench/memory.py);
4. the console playground's start-up and idle memory against a bare Python
   interpreter (bench/console.py);
5. 10,000 check-in prompts due in one minute, delivered through a fake
   platform limited to 25 requests a second (fake time): none over the limit,
   the send span against the ideal, and prompts per wall second against raw
   aiosqlite doing a durable outbox's least (bench/delivery.py);
6. a member found by the keyed hash of their id against by the id itself
   (bench/members.py);
7. the crisis check's median for a 200-character message, ordinary and crisis, against
   `str.lower()` and one regex on the same messages (bench/crisis.py);
8. check-ins/s for members with 365 days of history against members with none
   (bench/history.py);
9. `mod stats`, `mydata export`, `mydata delete` and housekeeping on 1,000,000
   members against 1,000: the longest event-loop stall and the growth
   (bench/scale.py; the databases are built once and kept in bench/.cache);
10. PostgreSQL check-ins/s against raw asyncpg autocommit inserts, its round
   trips per check-in, and two processes against one (bench/postgres.py);
11. Discord acknowledgements for a 5,000-interaction burst over the fake
   transport (p99 under 1 s), and requests per DM prompt after a restart
   (bench/discord_ack.py);
12. four processes on one PostgreSQL prompting 10,000 members through one fake
   Discord: the most requests in any sliding second, all together, against
   the configured rate (bench/shared_rate.py).

Takes about five minutes on 2 cores, and about two more the first time, to
build the 1,000,000-member database bench/scale.py keeps. `--full` also fills APScheduler with
1,000,000 jobs (several minutes and gigabytes); by default it holds 100,000
and its memory per job, which does not depend on the count, is reported from
that. `--quick` shrinks everything (a smoke run, as the tests do).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bot` and the benches importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkins  # noqa: E402
import console  # noqa: E402
import crisis  # noqa: E402
import delivery  # noqa: E402
import discord_ack  # noqa: E402
import history  # noqa: E402
import members  # noqa: E402
import memory  # noqa: E402
import postgres  # noqa: E402
import scale  # noqa: E402
import shared_rate  # noqa: E402

MB = 2**20


@dataclass(frozen=True)
class Options:
    sizes: checkins.Sizes = checkins.Sizes()
    apscheduler_jobs: int = 100_000
    console_runs: int = 3
    delivery_members: int = delivery.MEMBERS
    crisis_runs: int = crisis.RUNS
    member_lookups: int = members.LOOKUPS
    member_count: int = members.MEMBERS
    history_days: int = history.HISTORY_DAYS
    history_members: int = history.MEMBERS
    history_events: int = history.EVENTS
    history_rounds: int = history.ROUNDS
    scale_sizes: tuple[int, int] = scale.SIZES
    scale_rounds: int = scale.ROUNDS
    scale_cache: Path = scale.CACHE
    postgres_events: int = postgres.EVENTS
    postgres_rounds: int = postgres.ROUNDS
    postgres_start_delay: float = 4.0
    discord_events: int = discord_ack.EVENTS
    dm_members: int = discord_ack.DM_MEMBERS
    shared_prompts: int = shared_rate.PROMPTS


QUICK = Options(
    checkins.Sizes(
        events=60,
        members=20,
        concurrencies=(1, 16),
        rounds=1,
        schedules=(2_000,),
        small=200,
        due=10,
        lookup_rounds=1,
        repeats=2,
    ),
    apscheduler_jobs=2_000,
    console_runs=1,
    delivery_members=200,
    crisis_runs=100,
    member_lookups=500,
    member_count=500,
    history_days=20,
    history_members=16,
    history_events=64,
    history_rounds=1,
    scale_sizes=(100, 1_000),
    scale_rounds=1,
    scale_cache=Path(tempfile.gettempdir()) / "hearth-bench-quick",
    postgres_events=16,
    postgres_rounds=1,
    postgres_start_delay=2.5,
    discord_events=200,
    dm_members=20,
    shared_prompts=40,
)


@dataclass(frozen=True)
class Memory:
    hearth_ram: float  # bytes per schedule
    hearth_disk: float
    hearth_count: int
    apscheduler: dict[str, float] | None  # its figures, None when not installed


async def scheduler_memory(sizes: checkins.Sizes, jobs: int) -> Memory:
    """Hearth's growth with the most schedules against the fewest, per schedule."""
    big, small = max(sizes.schedules), sizes.small
    with tempfile.TemporaryDirectory(prefix="hearth-bench-memory-") as tmp:
        figures = {}
        for count in (big, small):
            path = Path(tmp) / f"schedules-{count}.db"
            now = await checkins.fill_schedules(path, count, sizes.due)
            figures[count] = (memory.measure("hearth", path, count, now), path.stat().st_size)
    (grown_big, size_big), (grown_small, size_small) = figures[big], figures[small]
    # RSS moves by whole pages: less than one page over all the schedules reads as one.
    page = os.sysconf("SC_PAGE_SIZE")
    ram = max(grown_big["rss_growth"] - grown_small["rss_growth"], page) / (big - small)
    disk = (size_big - size_small) / (big - small)
    aps = memory.measure("apscheduler", jobs) if memory.apscheduler_available() else None
    return Memory(ram, disk, big, aps)


def summary(
    tp: checkins.Throughput,
    costs: list[checkins.LookupCost],
    mem: Memory,
    playground: console.Process,
    interpreter: console.Process,
    paced: delivery.Delivery | None = None,
    check: crisis.Cost | None = None,
    lookup: members.Lookup | None = None,
    streaks: history.History | None = None,
    big: scale.Scale | None = None,
    pg: postgres.Postgres | None = None,
    acks: discord_ack.Acks | None = None,
    dm: discord_ack.Restart | None = None,
    shared: shared_rate.Shared | None = None,
) -> str:
    rows: list[tuple[str, ...]] = [("measure", "Hearth", "baseline, same run", "ratio", "target")]
    base = statistics.median(tp.baseline)
    for concurrency, rates in tp.core.items():
        ratio = tp.ratio(concurrency)
        rows.append(
            (
                f"check-ins/s, {concurrency} at a time",
                f"{statistics.median(rates):,.0f}",
                f"{base:,.0f} raw aiosqlite INSERT+COMMIT",
                f"{ratio:.2f}",
                f"≥ 1.0: {'yes' if ratio >= 1 else 'no'}",
            )
        )
    same = statistics.median(tp.same_statements)
    best = statistics.median(tp.core[tp.best])
    rows.append(
        (
            f"check-ins/s, {tp.best} at a time",
            f"{best:,.0f}",
            f"{same:,.0f} aiosqlite, {tp.statements} round trips/row",
            f"{best / same:.2f}",
            "(inline statements)",
        )
    )
    for cost in costs:
        worst_ms = max(cost.big_us[:2]) / 1000
        rows.append(
            (
                f"due lookup µs (next due / due rows), {cost.big:,}",
                f"{cost.big_us[0]:.0f} / {cost.big_us[1]:.0f}",
                f"{cost.small_us[0]:.0f} / {cost.small_us[1]:.0f} at {cost.small:,}",
                f"{cost.ratios[0]:.2f} / {cost.ratios[1]:.2f}",
                f"< 20 ms: {'yes' if worst_ms < 20 else 'no'} ({worst_ms:.2f} ms)",
            )
        )
    aps = mem.apscheduler
    if aps is not None:
        hearth_next = costs[0].big_us[0]
        rows.append(
            (
                f"next due time vs APScheduler 3 (µs, {costs[0].big:,}/{aps['count']:,.0f})",
                f"{hearth_next:.0f}",
                f"{aps['next_us']:.2f} APScheduler, in memory",
                f"{hearth_next / aps['next_us']:,.0f}× slower",
                "",
            )
        )
        per_job = aps["rss_growth"] / aps["count"]
        # In memory Hearth grows by less than one page over all its schedules:
        # the figure is that page spread over them, an upper bound ("≤").
        for where, hearth, bound in (
            ("in memory", mem.hearth_ram, "≤ "),
            ("on disk", mem.hearth_disk, ""),
        ):
            ratio = per_job / hearth
            rows.append(
                (
                    f"bytes per schedule, {where} ({mem.hearth_count:,})",
                    bound + (f"{hearth:.3g}" if hearth < 10 else f"{hearth:,.0f}"),
                    f"{per_job:,.0f} APScheduler, {aps['count']:,.0f} jobs in memory",
                    f"{'≥ ' if bound else ''}{ratio:,.0f}× less",
                    f"≥ 10×: {'yes' if ratio >= 10 else 'no'}",
                )
            )
    else:
        rows.append(("bytes per schedule", f"{mem.hearth_ram:.2f}", "APScheduler missing", "", ""))
    rows.append(
        (
            "console idle memory (MB, RSS)",
            f"{playground.idle_rss / MB:.1f}",
            f"{interpreter.idle_rss / MB:.1f} bare python",
            f"{playground.idle_rss / interpreter.idle_rss:.1f}",
            f"< 80 MB: {'yes' if playground.idle_rss < 80 * MB else 'no'}",
        )
    )
    rows.append(
        (
            "console start to first answer (s)",
            f"{playground.first_answer:.2f}",
            f"{interpreter.first_answer:.2f} bare python",
            f"{playground.first_answer / interpreter.first_answer:.1f}",
            "",
        )
    )
    if paced is not None:
        rows += delivery.summary_rows(paced)
    if lookup is not None:
        rows += members.summary_rows(lookup)
    if check is not None:
        rows += crisis.summary_rows(check)
    if streaks is not None:
        rows += history.summary_rows(streaks)
    if big is not None:
        rows += scale.summary_rows(big)
    rows += postgres.summary_rows(pg)
    if acks is not None:
        rows += discord_ack.summary_rows(acks, dm)
    if shared is not None:
        rows += shared_rate.summary_rows(shared)
    return checkins.format_table(rows)


def machine() -> str:
    return (
        f"{date.today()}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.machine()}, {platform.system()} {platform.release()}"
    )


async def run(options: Options) -> str:
    """Every benchmark, its detail tables, then the summary (also returned)."""
    print(f"Hearth benchmarks — {machine()}\n")
    tp, costs = await checkins.run(options.sizes)
    mem = await scheduler_memory(options.sizes, options.apscheduler_jobs)
    if mem.apscheduler is None:
        print("APScheduler is not installed: pip install -e '.[bench]' to compare with it.\n")
    playground, interpreter = console.measure(options.console_runs)
    paced = await delivery.run(options.delivery_members)
    lookup = await members.run(options.member_count, options.member_lookups)
    check = crisis.run(options.crisis_runs)
    streaks = await history.run(
        options.history_days,
        options.history_members,
        options.history_events,
        options.history_rounds,
    )
    big = await scale.run(options.scale_sizes, options.scale_rounds, options.scale_cache)
    scale.print_scale(big)
    pg = await postgres.run(
        options.postgres_events,
        postgres.MEMBERS,
        options.postgres_rounds,
        options.postgres_start_delay,
    )
    acks, dm = await discord_ack.run(options.discord_events, options.dm_members)
    shared = await shared_rate.run(options.shared_prompts)
    table = summary(
        tp,
        costs,
        mem,
        playground,
        interpreter,
        paced,
        check,
        lookup,
        streaks=streaks,
        big=big,
        pg=pg,
        acks=acks,
        dm=dm,
        shared=shared,
    )
    print("Summary: ratios against baselines measured in this run")
    print(table)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="APScheduler with 1,000,000 jobs")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    args = parser.parse_args(argv)
    options = QUICK if args.quick else Options()
    if args.full:
        options = replace(options, apscheduler_jobs=1_000_000)
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
