"""Scale (issue 21): long reads on a connection of their own, purges in short
batches, and the lookups that would otherwise scan a large table by index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import START

from bot import slot_counts
from bot.housekeeping import BATCH, KEEP_EVENT_IDS, Housekeeping
from bot.localtime import epoch
from bot.port import DeliveryError


async def test_a_read_apart_sees_a_snapshot_and_holds_no_writer(harness):
    db = harness.db
    await harness.command("ana", "checkin 4")
    async with db.reading() as tx:
        assert await tx.fetchval("SELECT count(*) FROM checkins") == 1
        # A writer commits meanwhile: the read neither waits for it nor sees it.
        await harness.command("ben", "checkin 3")
        assert await tx.fetchval("SELECT count(*) FROM checkins") == 1
    async with db.reading() as tx:
        assert await tx.fetchval("SELECT count(*) FROM checkins") == 2


async def test_a_read_apart_cannot_write(harness):
    with pytest.raises(Exception):  # noqa: B017 - each engine says it its own way
        async with harness.db.reading() as tx:
            await tx.execute("DELETE FROM checkins")


async def test_housekeeping_clears_a_backlog_in_batches(harness):
    old = epoch(START - KEEP_EVENT_IDS - timedelta(days=1))
    async with harness.db.transaction() as tx:
        for n in range(BATCH * 2 + 7):
            await tx.execute(
                "INSERT INTO processed_events (platform, event_key, seen_at) "
                "VALUES ('console', $1, $2)",
                f"old{n}",
                old,
            )
    job = Housekeeping(harness.db, harness.hearth.config, START - timedelta(hours=2))
    await job.run_due(START)
    assert await harness.count("processed_events") == 0


PLANNED = {
    # What mod stats, /metrics, housekeeping and `mydata delete` ask of the outbox
    # and the members: a few rows among very many, found by index.
    "SELECT count(*) FROM outbox WHERE platform = 'console' AND status IN ('pending', "
    "'sending') AND (status = 'sending' OR next_attempt_at <= 5 OR attempts > 0)": "outbox",
    "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')": "outbox",
    "SELECT id, body FROM outbox WHERE place_kind = 'dm' AND platform = 'console' "
    "AND member_id IS NULL": "outbox",
    "SELECT id FROM outbox WHERE place_kind = 'dm' AND created_at < 5 "
    "AND status NOT IN ('pending', 'sending') LIMIT 5": "outbox",
    "SELECT count(*) FROM members WHERE unreachable_at IS NOT NULL": "members",
    "SELECT id FROM checkins WHERE created_at < 5 AND note IS NOT NULL "
    "AND community = 'c' LIMIT 5": "checkins",
    "SELECT next_prompt_at, count(*) FROM schedules WHERE next_prompt_at >= 1 "
    "AND next_prompt_at < 2 AND community IN ('c') GROUP BY next_prompt_at": "schedules",
    "SELECT s.outcome, count(*) FROM prompt_slots s WHERE s.community = 'c' "
    "AND s.due_at > 1 AND s.due_at <= 2 GROUP BY 1": "prompt_slots",
    # mod stats: the window's prompt counts, never the slots (bot/slot_counts.py)
    "SELECT state, lateness, sum(n) FROM prompt_slot_counts WHERE community = 'c' "
    "AND due_at > 1 AND due_at <= 2 GROUP BY state, lateness": "prompt_slot_counts",
    "SELECT count(*) FROM prompt_slots s WHERE s.outbox_id = 5": "prompt_slots",
}


@pytest.mark.parametrize("sql", PLANNED)
async def test_the_large_tables_are_searched_by_index(harness, db_url, sql):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's query plan; PostgreSQL chooses by its statistics")
    steps = [str(r["detail"]) for r in await harness.db.fetch("EXPLAIN QUERY PLAN " + sql)]
    table = PLANNED[sql]
    # "SCAN t" alone reads every row; a search, or a scan of a (partial) index, does not.
    assert not any(step.startswith(f"SCAN {table}") and "INDEX" not in step for step in steps)
    assert any("INDEX" in step for step in steps), steps


async def test_mod_stats_is_read_apart_after_the_commit(harness, monkeypatch):
    opened = []
    reading = harness.db.reading

    def counted():  # type: ignore[no-untyped-def]
        opened.append(harness.db._lock.locked() if hasattr(harness.db, "_lock") else False)
        return reading()

    monkeypatch.setattr(harness.db, "reading", counted)
    answer = await harness.command("mona", "mod stats")
    assert len(answer) == 1 and opened == [False]  # one snapshot, no write lock held


async def _counted(db) -> dict[tuple[object, ...], int]:  # noqa: ANN001
    rows = await db.fetch(
        "SELECT community, due_at, state, lateness, n FROM prompt_slot_counts WHERE n <> 0"
    )
    return {
        (r["community"], int(r["due_at"]), r["state"], int(r["lateness"])): int(r["n"])
        for r in rows
    }


async def _direct(db) -> dict[tuple[object, ...], int]:  # noqa: ANN001
    select = slot_counts.REBUILD.split(" SELECT ", 1)[1]
    rows = await db.fetch(f"SELECT {select}")
    return {(r[0], int(r[1]), r[2], int(r[3])): int(r[4]) for r in (tuple(r) for r in rows)}


async def test_the_prompt_counts_equal_a_count_of_the_slots(harness):
    """mod stats reads prompt_slot_counts, kept as prompts are claimed, sent, missed,
    given up on, forgotten by housekeeping and erased with their member: at every
    step it equals a direct count of the slots (what mod stats read before)."""
    h = harness
    for user in ("sam", "kim", "lee", "ada"):
        await h.command(user, "checkin schedule 08:00 daily UTC")
    h.adapter.unreachable.add("sam")  # undelivered
    send = h.adapter.send

    async def kim_never_gets_it(place, message):  # noqa: ANN001, ANN202
        if place.target == "kim":  # retried until the prompt expires
            raise DeliveryError("the platform is down")
        return await send(place, message)

    h.adapter.send = kim_never_gets_it  # type: ignore[method-assign]
    day = START.replace(hour=8)
    for lateness in (timedelta(minutes=2), timedelta(minutes=70), timedelta(hours=3)):
        await h.advance_to(day - timedelta(minutes=1))
        h.clock.set(day + lateness)  # on time, late, then missed
        await h.hearth.settle()
        assert await _counted(h.db) == await _direct(h.db)
        day += timedelta(days=1)
    await h.command("lee", "mydata delete confirm")
    assert await _counted(h.db) == await _direct(h.db)
    states = {state for _c, _d, state, _l in await _counted(h.db)}
    assert states == {"sent", "missed", "undelivered"}
    # A week later housekeeping forgets the DMs: the slots are read as they always were.
    kept = {r["id"] for r in await h.db.fetch("SELECT id FROM outbox")}
    await h.advance(days=8)
    job = Housekeeping(h.db, h.hearth.config, h.clock.now() - timedelta(hours=2))
    await job.run_due(h.clock.now())
    assert not kept & {r["id"] for r in await h.db.fetch("SELECT id FROM outbox")}
    assert await _counted(h.db) == await _direct(h.db)
    async with h.db.transaction() as tx:
        await tx.execute("DELETE FROM prompt_slot_counts")
        await tx.execute(slot_counts.REBUILD)
    assert await _counted(h.db) == await _direct(h.db)
