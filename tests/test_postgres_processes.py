"""Several Hearth processes on one database (Discord shards on one PostgreSQL):
four app instances, each with its own pool, adapter and clock, run their
schedulers at the same moment; every piece of work is done exactly once.

The lease tests also run on SQLite (two connections to one file)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from postgres_support import postgres_url

from bot import outbox
from bot.app import Hearth
from bot.clock import FakeClock
from bot.config import Config, Sharing
from bot.features.checkins import prompts
from bot.localtime import epoch
from bot.port import CommandGiven, Member, Message, Place
from bot.storage import open_database
from bot.vault import Vault
from tests.conftest import SECRET, START, Harness, RecordingAdapter, community, insert_members

INSTANCES = 4
EVENT_IDS = itertools.count(1)
OPEN = community(sharing=Sharing(vetting=False, cooldown_minutes=0))


@pytest.fixture
async def shards() -> AsyncIterator[list[Harness]]:
    """Four Hearth processes on one fresh PostgreSQL schema."""
    url = postgres_url() + "&pool_max_size=3"
    config = Config(database=url, communities=(OPEN,))
    started = []
    for _ in range(INSTANCES):
        db = await open_database(url)
        adapter = RecordingAdapter()
        clock = FakeClock(START)
        started.append(
            Harness(Hearth(config, db, clock, {"console": adapter}, Vault(SECRET)), adapter, clock)
        )
    yield started
    for shard in started:
        await shard.db.close()


async def run_until_done(shards: list[Harness], now: datetime) -> None:
    """Every instance runs its scheduler at `now`, all at once, until nothing is left."""

    async def one(shard: Harness) -> None:
        shard.clock.set(now)
        for _ in range(500):
            await shard.hearth.scheduler.run_due(now)
            due = await shard.hearth.scheduler.next_due_at()
            if due is None or due > now:
                return
            await asyncio.sleep(0.005)  # what is left is leased to another instance
        raise AssertionError("work still due after 500 passes")

    await asyncio.gather(*(one(shard) for shard in shards))


async def command_everywhere(shards: list[Harness], commands: list[tuple[str, str]]) -> None:
    """(member, text) commands handled concurrently, spread over the instances."""

    async def one(index: int, user: str, text: str) -> None:
        member = Member("console", user)
        shard = shards[index % len(shards)]
        event_id = f"e{next(EVENT_IDS)}"
        await shard.hearth.handle(CommandGiven(event_id, member, Place.dm(member), text))

    await asyncio.gather(*(one(i, user, text) for i, (user, text) in enumerate(commands)))
    replies = [s.message.text for shard in shards for s in shard.adapter.sent if s.event]
    assert not [r for r in replies if r.startswith("Sorry")]  # no deadlock, no failure


def sent(shards: list[Harness], containing: str) -> list[tuple[int, str]]:
    """(instance, target) of every scheduled message whose text contains `containing`."""
    return [
        (index, s.place.target)
        for index, shard in enumerate(shards)
        for s in shard.adapter.sent
        if s.event is None and containing in s.message.text
    ]


async def test_ten_thousand_due_prompts_are_each_sent_exactly_once(shards):
    members = 10_000
    await insert_members(
        shards[0].db, shards[0].hearth.vault, [f"m{n}" for n in range(1, members + 1)]
    )
    async with shards[0].db.transaction() as tx:
        await tx.execute(
            "INSERT INTO schedules (member_id, community, prompt_time, days, next_prompt_at, "
            "next_slot_date) SELECT id, 'example', '07:00', 127, $1, '2026-03-02' FROM members",
            epoch(START),
        )
    await run_until_done(shards, START)

    prompts = sent(shards, "Time for your check-in")
    per_member = Counter(target for _, target in prompts)
    assert len(per_member) == members and set(per_member.values()) == {1}
    per_instance = Counter(index for index, _ in prompts)
    assert len(per_instance) > 1, per_instance  # the work really was shared
    db = shards[0].db
    assert await db.fetchval("SELECT count(*) FROM prompt_slots") == members
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'") == members
    assert await db.fetchval("SELECT count(*) FROM outbox") == members


async def test_a_thousand_concurrent_shares_are_numbered_1_to_1000(shards):
    shares = [(f"m{i}", "share today was hard but I got through it") for i in range(1000)]
    await command_everywhere(shards, shares)

    numbers = [r[0] for r in await shards[0].db.fetch("SELECT number FROM shares ORDER BY number")]
    assert numbers == list(range(1, 1001))
    await run_until_done(shards, START)
    posts = sent(shards, "Anonymous share #")
    assert len(posts) == 1000 and len({t for _, t in posts}) == 1  # each posted once


async def test_support_batches_are_each_relayed_exactly_once(shards):
    authors = 100
    await command_everywhere(shards, [(f"a{i}", "share a small win today") for i in range(authors)])
    supports = [(f"s{k}-{n}", f"support {n}") for n in range(1, authors + 1) for k in range(3)]
    await command_everywhere(shards, supports)

    await run_until_done(shards, START + timedelta(minutes=16))
    relayed = sent(shards, "3 people sent support to your share #")
    assert len(relayed) == authors
    assert sorted(t for _, t in relayed) == sorted(f"a{i}" for i in range(authors))
    assert await shards[0].db.fetchval("SELECT count(*) FROM relay_batches") == 0


async def test_milestones_are_each_celebrated_exactly_once(shards):
    counters = 200
    await command_everywhere(
        shards, [(f"c{i}", "milestone set sober 2026-02-24 anonymous") for i in range(counters)]
    )
    await run_until_done(shards, datetime.fromisoformat("2026-03-03T00:00:00+00:00"))
    # the anonymous posts go out within six hours of the milestone
    await run_until_done(shards, datetime.fromisoformat("2026-03-03T07:00:00+00:00"))

    congratulated = Counter(t for _, t in sent(shards, "Today is 7 days"))
    assert len(congratulated) == counters and set(congratulated.values()) == {1}
    numbers = await shards[0].db.fetch("SELECT number FROM celebrations ORDER BY number")
    assert [r[0] for r in numbers] == list(range(1, counters + 1))
    assert len(sent(shards, "reached 7 days")) == counters  # the anonymous channel posts


# --- the outbox lease, on both engines ----------------------------------------------------


async def queue(h: Harness, keys: list[str]) -> None:
    async with h.db.transaction() as tx:
        for key in keys:
            member = Member("console", key)
            await outbox.enqueue(tx, h.hearth.vault, key, Place.dm(member), Message(key), START)


async def test_a_crashed_senders_lease_runs_out_and_the_row_goes_once_with_its_key(make_harness):
    crashed = await make_harness()
    survivor = await make_harness()  # another process on the same database
    await queue(crashed, ["k1", "k2", "k3"])
    leased = await crashed.hearth.outbox._lease(START)  # ... and then it dies before sending
    assert [r["idempotency_key"] for r in leased] == [
        crashed.outbox_key(k) for k in ("k1", "k2", "k3")
    ]

    await survivor.hearth.outbox.run_due(START)
    assert survivor.adapter.sent == []  # leased elsewhere: not sent twice
    assert await survivor.hearth.outbox.next_due_at() == START + outbox.LEASE

    await survivor.hearth.outbox.run_due(START + outbox.LEASE)
    keys = [s.message.idempotency_key for s in survivor.adapter.sent]
    assert keys == ["k1", "k2", "k3"]  # the platform dedupes by these
    assert crashed.adapter.sent == []
    statuses = await survivor.db.fetch("SELECT DISTINCT status FROM outbox")
    assert [r[0] for r in statuses] == ["sent"]


async def test_a_take_down_waits_for_a_post_another_process_is_sending(make_harness):
    sender = await make_harness()
    other = await make_harness()
    channel = Place.channel("console", "shares")
    async with sender.db.transaction() as tx:
        await outbox.enqueue(tx, sender.hearth.vault, "post", channel, Message("hi"), START)
    [post] = await sender.hearth.outbox._lease(START)  # being sent right now
    async with other.db.transaction() as tx:
        await outbox.enqueue_delete(tx, other.hearth.vault, "take-down", channel, "post", START)

    await other.hearth.outbox.run_due(START)
    assert other.adapter.deleted == []  # nothing to delete yet, and the post not cancelled
    await sender.hearth.outbox._deliver(post, START)  # the post goes out
    await other.hearth.outbox.run_due(START + timedelta(minutes=1))
    assert other.adapter.deleted == [(channel, "m1")]  # and then it is taken down


def test_the_lease_outlasts_a_batch_of_slow_sends():
    # Each row of a lease is sent one after another: at a second a send, a
    # batch is done well before its lease runs out.
    assert outbox.BATCH * timedelta(seconds=1) < outbox.LEASE / 2


async def test_schedules_a_crashed_process_leased_are_prompted_once_after_the_lease(make_harness):
    crashed = await make_harness()
    survivor = await make_harness()
    for user in ("ana", "bo"):
        await survivor.command(user, "checkin schedule 09:00 Europe/Berlin")
    due = START + timedelta(hours=1)  # 09:00 in Berlin
    job = crashed.hearth.scheduler.jobs[0]
    assert len(await job._lease(due, epoch(due + prompts.LEASE))) == 2  # ... and then it dies

    await survivor.hearth.scheduler.run_due(due)
    assert survivor.adapter.prompts("ana") == []  # leased elsewhere
    await survivor.advance_to(due + prompts.LEASE)
    assert [len(survivor.adapter.prompts(u)) for u in ("ana", "bo")] == [1, 1]
    assert crashed.adapter.sent == []


async def test_a_row_for_a_platform_this_process_does_not_run_waits_for_one_that_does(
    make_harness,
):
    console_only = await make_harness()
    async with console_only.db.transaction() as tx:
        room = Place.dm(Member("matrix", "@ana:example.org"))
        await outbox.enqueue(tx, console_only.hearth.vault, "m", room, Message("hi"), START)
    await console_only.hearth.outbox.run_due(START)
    assert await console_only.hearth.outbox.next_due_at() is None  # nothing here to spin on
    row = await console_only.db.fetchrow("SELECT status, attempts FROM outbox")
    assert (row[0], row[1]) == ("pending", 0)  # not failed: the Matrix process sends it
