"""Outbound sends are paced per platform (bot/pacing.py): with a fake clock and
a fake platform that notes the (fake) time of every request and counts each
that goes over its limit in any sliding second, everything due at once goes
out exactly once, in queue order, never over the limit, taking about N / rate;
another platform is not held back; waiting for a token is not a failed
attempt; a restart or a reload changes none of that. No test sleeps."""

from __future__ import annotations

import bisect
import copy
import dataclasses
import math
from datetime import datetime, timedelta

import pytest
from conftest import SECRET, START, Harness, RecordingAdapter, community
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import outbox
from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import AdapterSettings, Config, ConsoleSettings, MatrixSettings
from bot.pacing import TokenBucket
from bot.port import Member, Message, Place
from bot.reload import plan_for
from bot.vault import Vault

SECOND = timedelta(seconds=1)


class LimitedPlatform(RecordingAdapter):
    """A platform allowing `limit` requests (sends and deletes) in any sliding
    second: it notes each request's fake time and counts those over the limit."""

    def __init__(self, clock: FakeClock, limit: int, platform: str = "console") -> None:
        super().__init__()
        self.platform = platform
        self.clock = clock
        self.limit = limit
        self.times: list[datetime] = []
        self.over = 0

    def _request(self) -> None:
        now = self.clock.now()
        in_last_second = len(self.times) - bisect.bisect_right(self.times, now - SECOND)
        if in_last_second >= self.limit:
            self.over += 1
        self.times.append(now)

    async def send(self, place: Place, message: Message) -> str:
        self._request()
        return await super().send(place, message)

    async def delete(self, place: Place, message_id: str) -> None:
        self._request()
        await super().delete(place, message_id)

    def keys(self) -> list[str | None]:
        return [s.message.idempotency_key for s in self.sent if s.event is None]


def paced(db_url: str, rate: float, burst: int = 1, **more: object) -> Config:
    """The Harness's config, with the console paced at `rate`."""
    console = ConsoleSettings(sends_per_second=rate, send_burst=burst)
    adapters = AdapterSettings(console=console, **more)  # type: ignore[arg-type]
    return Config(database=db_url, adapters=adapters, communities=(community(),))


def window_limit(rate: float, burst: int) -> int:
    """What the bucket promises for any sliding second."""
    return burst - 1 + math.ceil(rate)


async def build(make_harness, config: Config, limit: int) -> Harness:
    clock = FakeClock(START)
    return await make_harness(config=config, clock=clock, adapter=LimitedPlatform(clock, limit))


async def queue(hearth: Hearth, keys: list[str], platform: str = "console") -> None:
    """Messages to as many members, all due now, queued in this order."""
    async with hearth.db.transaction() as tx:
        for key in keys:
            place = Place.dm(Member(platform, f"to-{key}"))
            await outbox.enqueue(tx, hearth.vault, key, place, Message(key), hearth.clock.now())


async def statuses(hearth: Hearth) -> set[tuple[str, int]]:
    rows = await hearth.db.fetch("SELECT DISTINCT status, attempts FROM outbox")
    return {(r[0], r[1]) for r in rows}


def messages(hearth: Hearth, outcome: str) -> float:
    value = hearth.metrics.registry.get_sample_value("hearth_messages_total", {"outcome": outcome})
    return value or 0.0


# --- the bucket itself --------------------------------------------------------------


@settings(deadline=None)
@given(
    rate=st.sampled_from([0.5, 1, 3, 7, 25]),
    burst=st.integers(1, 6),
    gaps=st.lists(st.integers(0, 400_000), min_size=1, max_size=120),  # µs between tries
)
def test_a_bucket_never_lets_more_through_in_a_second_than_it_promises(rate, burst, gaps):
    bucket = TokenBucket(rate, burst)
    now, taken = START, []
    for gap in gaps:
        now += timedelta(microseconds=gap)
        may = bucket.available(now)
        if bucket.take(now):
            taken.append(now)
            assert may >= 1
        else:
            assert may == 0
            ready = bucket.ready_at()
            assert ready is not None and ready > now
            later = copy.copy(bucket)  # asked about the future, a bucket takes it as now
            assert later.available(ready) == 1  # exactly then, no rounding in between
    for i, at in enumerate(taken):
        inside = bisect.bisect_right(taken, at) - bisect.bisect_right(taken, at - SECOND)
        assert inside <= window_limit(rate, burst), (i, at)


def test_a_full_bucket_lets_its_burst_go_then_one_per_interval():
    bucket = TokenBucket(4, burst=3)
    assert bucket.available(START) == 3
    assert [bucket.take(START) for _ in range(4)] == [True, True, True, False]
    assert bucket.ready_at() == START + timedelta(milliseconds=250)
    assert bucket.available(START + timedelta(milliseconds=249)) == 0
    assert bucket.take(START + timedelta(milliseconds=250))
    assert bucket.available(START + timedelta(seconds=10)) == 3  # never more than the burst
    assert bucket.ready_at() is None  # nothing to wait for


# --- through Hearth: the scheduler steps a fake clock --------------------------------


@pytest.mark.parametrize(("rate", "burst"), [(10, 1), (7.5, 4)])
async def test_messages_due_at_once_go_out_once_each_in_order_never_over_the_limit(
    make_harness, db_url, rate, burst
):
    count = 60
    h = await build(make_harness, paced(db_url, rate, burst), window_limit(rate, burst))
    keys = [f"k{n:03}" for n in range(count)]
    await queue(h.hearth, keys)

    await h.advance(seconds=count / rate + 1)

    assert h.adapter.keys() == keys  # each exactly once, in queue order
    assert h.adapter.over == 0
    span = h.adapter.times[-1] - h.adapter.times[0]
    ideal = timedelta(seconds=count / rate)
    assert ideal - burst / rate * SECOND <= span <= ideal  # ≈ N / rate, within the burst
    assert await statuses(h.hearth) == {("sent", 0)}


async def test_prompts_due_in_the_same_minute_are_paced_through_the_scheduler(make_harness, db_url):
    h = await build(make_harness, paced(db_url, 4), limit=4)
    users = [f"member{n:02}" for n in range(24)]
    for user in users:
        await h.command(user, "checkin schedule 09:00 Europe/Berlin")
    h.adapter.times.clear()

    await h.advance(hours=2)  # 09:00 in Berlin is START + 1 h

    assert sorted(len(h.adapter.prompts(u)) for u in users) == [1] * len(users)
    queued = await h.outbox_rows()
    assert sorted(h.adapter.keys()) == sorted(r["key"] for r in queued)  # each once
    assert h.adapter.over == 0
    assert h.adapter.times[0] == START + timedelta(hours=1)
    assert h.adapter.times[-1] == START + timedelta(hours=1, seconds=(len(users) - 1) / 4)


async def test_the_scheduler_comes_back_when_the_next_token_is_there(make_harness, db_url):
    h = await build(make_harness, paced(db_url, 5), limit=5)
    await queue(h.hearth, ["a", "b", "c"])
    await h.hearth.settle()
    assert h.adapter.keys() == ["a"]
    # What run_forever waits for, and advance_to steps to: 1/5 s on, not a second.
    assert await h.hearth.scheduler.next_due_at() == START + timedelta(milliseconds=200)
    await h.hearth.scheduler.advance_to(START + timedelta(milliseconds=200))
    assert h.adapter.keys() == ["a", "b"]
    assert await h.hearth.scheduler.next_due_at() == START + timedelta(milliseconds=400)


async def test_an_empty_bucket_is_not_a_failed_attempt(make_harness, db_url):
    h = await build(make_harness, paced(db_url, 2), limit=2)
    await queue(h.hearth, ["a", "b", "c", "d"])
    await h.hearth.settle()
    await h.hearth.settle()  # still the same instant: nothing more goes
    assert h.adapter.keys() == ["a"]
    waiting = await h.db.fetch("SELECT status, attempts FROM outbox WHERE status != 'sent'")
    assert {(r[0], r[1]) for r in waiting} == {("pending", 0)}
    assert (messages(h.hearth, "retried"), messages(h.hearth, "failed")) == (0, 0)

    await h.advance(seconds=2)
    assert h.adapter.keys() == ["a", "b", "c", "d"]
    assert await statuses(h.hearth) == {("sent", 0)}
    assert (messages(h.hearth, "sent"), messages(h.hearth, "retried")) == (4, 0)


async def test_rows_leased_beyond_the_tokens_are_handed_back_in_their_place(make_harness, db_url):
    # Normally no more rows are leased than there are tokens; should the
    # tokens run out after the lease (a reload lowered the rate), the rest
    # waits, with no attempt counted, still ahead of what was queued later.
    h = await build(make_harness, paced(db_url, 1), limit=1)
    await queue(h.hearth, ["a", "b", "c"])
    deliverer = h.hearth.outbox
    leased = await deliverer._lease(START)  # all three, as an unpaced lease would
    await deliverer._deliver_all(leased, START)
    assert h.adapter.keys() == ["a"]
    rows = await h.db.fetch("SELECT status, attempts, next_attempt_at, created_at FROM outbox")
    assert sorted((r[0], r[1]) for r in rows) == [("pending", 0), ("pending", 0), ("sent", 0)]
    assert all(r[2] == r[3] for r in rows if r[0] == "pending")  # due since queued
    assert messages(h.hearth, "retried") == 0
    assert await deliverer.next_due_at() == START + SECOND  # the bucket's time, not the row's

    await queue(h.hearth, ["d"])
    await h.advance(seconds=5)
    assert h.adapter.keys() == ["a", "b", "c", "d"]
    assert h.adapter.over == 0


async def test_a_second_platform_is_not_held_back_by_the_first(make_harness, db_url):
    clock = FakeClock(START)
    slow = LimitedPlatform(clock, limit=1, platform="console")
    fast = LimitedPlatform(clock, limit=10, platform="matrix")
    config = paced(db_url, 1, matrix=MatrixSettings(sends_per_second=10))
    h = await make_harness(config=config, clock=clock, adapter=slow)
    hearth = Hearth(config, h.db, clock, {"console": slow, "matrix": fast}, Vault(SECRET))
    await queue(hearth, [f"slow{n}" for n in range(20)], platform="console")
    await queue(hearth, [f"fast{n}" for n in range(20)], platform="matrix")

    await hearth.scheduler.advance_to(START + 2 * SECOND)

    assert fast.keys() == [f"fast{n}" for n in range(20)]  # 19 intervals of 0.1 s
    assert fast.times[-1] == START + timedelta(seconds=1.9)
    assert slow.keys() == ["slow0", "slow1", "slow2"]  # at 0, 1 and 2 s
    assert slow.over == fast.over == 0

    await hearth.scheduler.advance_to(START + 20 * SECOND)
    assert slow.keys() == [f"slow{n}" for n in range(20)]
    assert slow.over == 0


async def test_a_take_down_is_a_request_too(make_harness, db_url):
    h = await build(make_harness, paced(db_url, 1), limit=1)
    channel = Place.channel("console", "shares")
    async with h.db.transaction() as tx:
        await outbox.enqueue(tx, h.hearth.vault, "post", channel, Message("hi"), START)
    await h.hearth.settle()  # the post goes out at START
    async with h.db.transaction() as tx:
        await outbox.enqueue_delete(tx, h.hearth.vault, "take-down", channel, "post", START)
    await h.hearth.settle()
    assert h.adapter.deleted == []  # no token yet

    await h.advance(seconds=3)
    assert h.adapter.deleted == [(channel, "m1")]
    assert h.adapter.times == [START, START + SECOND]
    assert h.adapter.over == 0


async def test_a_restart_midway_sends_nothing_twice(make_harness, db_url):
    config = paced(db_url, 5)
    first = await build(make_harness, config, limit=5)
    keys = [f"k{n:02}" for n in range(30)]
    await queue(first.hearth, keys)
    await first.advance(seconds=2)  # ... and then the process stops
    sent_before = first.adapter.keys()
    assert 0 < len(sent_before) < len(keys)

    clock = FakeClock(first.clock.now() + SECOND)
    second = await make_harness(config=config, clock=clock, adapter=LimitedPlatform(clock, 5))
    await second.advance(seconds=10)

    assert sent_before + second.adapter.keys() == keys  # once each, in order, across both
    assert second.adapter.over == 0
    assert await statuses(second.hearth) == {("sent", 0)}


async def test_a_reload_applies_a_new_rate_at_once(make_harness, db_url):
    h = await build(make_harness, paced(db_url, 1), limit=10)
    await queue(h.hearth, [f"k{n:02}" for n in range(20)])
    await h.advance(seconds=2)
    assert len(h.adapter.keys()) == 3  # at 0, 1 and 2 s

    plan = plan_for(h.hearth.config, paced(db_url, 10))
    assert plan.applied == ("adapters.console.sends_per_second",) and plan.kept == ()
    h.hearth.reload(plan.config)
    await h.advance(seconds=2)

    assert len(h.adapter.keys()) == 20
    gaps = {b - a for a, b in zip(h.adapter.times[3:], h.adapter.times[4:], strict=False)}
    assert gaps == {timedelta(milliseconds=100)}
    assert h.adapter.over == 0


def test_only_the_sending_rate_of_an_adapter_applies_without_a_restart():
    running = Config(communities=(community(),))
    adapters = running.adapters
    new = dataclasses.replace(
        running,
        adapters=dataclasses.replace(
            adapters,
            discord=dataclasses.replace(adapters.discord, sends_per_second=10, send_burst=3),
            matrix=dataclasses.replace(adapters.matrix, store_path="elsewhere"),
        ),
    )
    plan = plan_for(running, new)
    assert plan.applied == ("adapters.discord.sends_per_second", "adapters.discord.send_burst")
    assert plan.kept == ("adapters.matrix.store_path",)
    assert plan.config.adapters.discord.sends_per_second == 10
    assert plan.config.adapters.matrix.store_path == adapters.matrix.store_path
