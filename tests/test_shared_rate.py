"""One send rate across processes (issue 21): Hearth instances on one PostgreSQL
database, each with its own pool, scheduler and client, share the platform's
rate (bot/pacing.py SharedBudget, migration 20). One fake Discord notes the
fake time of every request from every instance and answers one over the limit
in the last second with a 429. No test sleeps: one fake clock steps them all
(bench/shared_rate.py's `drive`, the benchmark at a small size).

SQLite keeps its bucket in the process (one process sends there)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from postgres_support import postgres_url

from bot.app import Hearth
from bot.clock import FakeClock
from bot.pacing import SharedBudget
from bot.port import Place, RateLimited
from bot.storage import open_database
from bot.vault import Vault
from tests import attacker

BENCH = Path(__file__).resolve().parent.parent / "bench" / "shared_rate.py"
RATE = 10
PROMPTS = 60


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_rate", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["shared_rate"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("shared_rate", None)


async def test_four_processes_together_never_pass_the_rate(bench):
    result = await bench.run_shards(postgres_url(), PROMPTS, instances=4, limit=RATE)

    assert result.delivered == PROMPTS and result.most_per_prompt == 1  # each once
    assert result.senders > 1  # the work really was shared
    assert result.most_in_a_second <= RATE and result.rejected == 0
    # and no slower than the rate: the sends take the time the rate needs, to the token
    assert result.span == pytest.approx((PROMPTS - 1) / RATE, abs=0.01)


async def test_each_process_with_its_own_bucket_passes_it(bench):
    # What every process did before the shared budget: N processes, N times the rate.
    result = await bench.run_shards(postgres_url(), PROMPTS, instances=4, limit=RATE, shared=False)
    assert result.rejected > 0


@pytest.fixture
async def shards(bench) -> AsyncIterator[tuple[list[Hearth], FakeClock, object]]:
    """Three instances on one fresh schema, one fake clock, one fake Discord."""
    url = postgres_url()
    await bench.fill(url, 30)
    config = bench.config_for(url, RATE)
    clock = FakeClock(bench.START)
    discord = bench.SharedDiscord(clock, RATE)
    hearths = []
    for index in range(3):
        client = bench.ShardClient(discord, index)
        db = await open_database(url)
        hearth = Hearth(config, db, clock, {"discord": client}, Vault(bench.SECRET))
        hearths.append(hearth)
    yield hearths, clock, discord
    for hearth in hearths:
        await hearth.db.close()


async def test_a_429_holds_every_process_back_for_its_retry_after(bench, shards):
    hearths, clock, discord = shards
    await bench.drive([h.scheduler for h in hearths], clock, bench.START)
    sent_before = len(discord.times)

    # Discord says "too many requests, retry after 5 s" to whichever instance asks next.
    refuse = discord.request
    answered: list[float] = []

    def once(instance: int) -> None:
        discord.request = refuse
        answered.append(clock.now().timestamp())
        raise RateLimited(5.0)

    discord.request = once
    await bench.drive([h.outbox for h in hearths], clock, bench.START + timedelta(minutes=2))

    assert len(answered) == 1
    after = [t.timestamp() for t in discord.times[sent_before:]]
    assert after and min(after) - answered[0] >= 5.0  # nobody sent in between
    assert len(discord.delivered) == 30 and set(discord.delivered.values()) == {1}
    rows = await hearths[0].db.fetch("SELECT status, attempts FROM outbox")
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 0)}  # no failed attempt


async def test_a_new_rate_moves_the_shared_next_token_once_whoever_reloads(bench, shards):
    hearths, clock, _ = shards
    pacing = [h.outbox.pacing for h in hearths]
    assert all(isinstance(p.shared, SharedBudget) for p in pacing)
    now = clock.now()
    assert await pacing[0].available("discord", now, 5) == 1  # burst 1: one token now
    assert await pacing[1].available("discord", now, 5) == 0  # the others see it spent
    assert await pacing[1].ready_at("discord") == now + timedelta(seconds=1 / RATE)

    faster = bench.config_for(hearths[0].config.database, RATE * 2)
    for hearth in hearths:  # every process reloads; the change applies once
        hearth.outbox.config = faster
    assert await pacing[2].ready_at("discord") == now + timedelta(seconds=1 / (RATE * 2))
    assert await pacing[0].ready_at("discord") == now + timedelta(seconds=1 / (RATE * 2))


async def test_a_request_the_adapter_makes_first_takes_a_token_of_its_own(bench, shards):
    hearths, clock, discord = shards

    class OpensADmFirst(bench.ShardClient):
        """Like Discord: a DM channel to open (a request) before the first message."""

        opened: set[str] = set()

        async def ready_for(self, place: Place) -> bool:
            return not place.is_dm or place.target in self.opened

        async def prepare(self, place: Place) -> None:
            self.discord.request(self.instance)
            self.opened.add(place.target)

    for index, hearth in enumerate(hearths):
        hearth.outbox.adapters = {"discord": OpensADmFirst(discord, index)}
    await bench.drive([h.scheduler for h in hearths], clock, bench.START)
    await bench.drive([h.outbox for h in hearths], clock, bench.START + timedelta(minutes=2))

    assert len(discord.delivered) == 30 and len(discord.times) == 60  # a channel, a message
    assert discord.most_in_a_second() <= RATE and discord.rejected == 0
    # every request in its own token's time: 60 requests, one every 1/RATE s
    assert (discord.times[-1] - discord.times[0]).total_seconds() == pytest.approx(59 / RATE)


async def test_a_copy_of_the_budget_names_no_member_and_ties_nothing(bench, shards):
    hearths, clock, _ = shards
    await bench.drive([h.scheduler for h in hearths], clock, bench.START)
    await bench.drive([h.outbox for h in hearths], clock, bench.START + timedelta(minutes=2))
    copy = await attacker.snapshot(hearths[0].db)

    [row] = copy["send_budget"]
    assert set(row) == {"platform", "due", "step", "granted"} and row["platform"] == "discord"
    # one moment, the next token's, for every request of every member alike: no value
    # of it is held by any other row
    tied = [refs for _, refs in attacker.shared_values(copy) if ("send_budget", 0) in refs]
    assert tied == []
    assert attacker.member_of("send_budget", row) is None
