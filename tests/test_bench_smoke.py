"""The benchmark (bench/checkins.py) still runs, at tiny sizes: every figure is
positive and the due lookup uses its index. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "checkins.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_checkins", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


async def test_the_bench_runs_at_tiny_sizes(bench: ModuleType, capsys: pytest.CaptureFixture[str]):
    sizes = bench.Sizes(
        events=50,
        members=20,
        concurrency=16,
        rounds=1,
        schedules=200,
        small=100,
        due=10,
        lookup_rounds=1,
        repeats=2,
    )
    throughput, cost = await bench.run(sizes)

    assert all(rate > 0 for rate in throughput.core + throughput.baseline)
    assert throughput.ratio > 0
    assert cost.due == 10
    assert all(us > 0 for us in cost.big_us + cost.small_us)
    assert cost.index_used
    printed = capsys.readouterr().out
    assert "ratio core/baseline:" in printed
    assert "index used: yes" in printed
