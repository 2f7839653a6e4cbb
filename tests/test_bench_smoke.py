"""The benchmarks (bench/) still run, at tiny sizes: every figure is positive,
the due lookup uses its index, and `make bench`'s summary table has a row for
each of issue 9's targets. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> ModuleType:
    added = [
        name for name in ("checkins", "memory", "console", "delivery") if name not in sys.modules
    ]
    for name in added:  # report.py imports them by name, as when run as a script
        load(name)
    try:
        yield load("report")
    finally:
        for name in (*added, "report"):
            sys.modules.pop(name, None)


async def test_the_benchmarks_run_at_tiny_sizes(report: ModuleType, capsys):
    bench = sys.modules["checkins"]
    throughput, costs = await bench.run(report.QUICK.sizes)
    assert all(rate > 0 for rates in throughput.core.values() for rate in rates)
    assert all(rate > 0 for rate in throughput.baseline + throughput.same_statements)
    assert throughput.statements >= 3 and throughput.ratio(throughput.best) > 0
    assert [cost.due for cost in costs] == [10]
    assert all(us > 0 for cost in costs for us in cost.big_us + cost.small_us)
    assert all(cost.index_used for cost in costs)
    printed = capsys.readouterr().out
    assert "ratio core/baseline:" in printed and "index used: yes" in printed


async def test_make_bench_prints_one_summary_with_every_target(report: ModuleType, capsys):
    table = await report.run(report.QUICK)
    printed = capsys.readouterr().out
    assert printed.rstrip().endswith(table)
    for row in (
        "check-ins/s, 1 at a time",
        "round trips/row",
        "due lookup µs",
        "bytes per schedule",
        "console idle memory (MB, RSS)",
        "console start to first answer",
        "prompts due in 1 min, through a 25/s limit",
        "paced prompts/s, wall clock",
        "member lookups/s, keyed hash",
        "crisis check median (200 chars)",
        "check-ins/s with 20 days of history",
        "mod stats: longest loop stall (ms), 1,000 members",
        "mydata delete: time at 1,000 / at 100",
        "housekeeping: longest loop stall (ms)",
        "Discord ack p99, 200-event burst",
        "requests per DM prompt after a restart",
        "4 processes, one PostgreSQL, 40 prompts: most requests/s",
        "PostgreSQL check-ins/s",
    ):
        assert row in table, row
    for target in (
        "≥ 1.0:",
        "< 20 ms:",
        "< 80 MB:",
        "each once, 0 over: yes",
        "1.00: yes",
        "never over the rate: yes",
    ):
        assert target in table, target


async def test_paced_delivery_sends_every_prompt_once_and_none_over_the_limit(
    report: ModuleType, capsys
):
    bench = sys.modules["delivery"]
    result = await bench.run(members=120, limit=10)
    paced = result.paced
    assert (paced.delivered, paced.most_per_prompt) == (120, 1)  # each exactly once
    assert paced.rejected == 0 and paced.retried == 0
    assert paced.ok
    # 120 prompts fall due within 0.72 s, far faster than 10 a second: the sends
    # take the whole 12 s the limit allows, less one interval.
    assert paced.span == pytest.approx(11.9) and paced.span_ratio > 0.99
    assert paced.rate > 0 and result.baseline > 0
    printed = capsys.readouterr().out
    assert "requests over the limit (rejected)" in printed
