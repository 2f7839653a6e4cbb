"""Scale (issue 21): long reads on a connection of their own, purges in short
batches, and the lookups that would otherwise scan a large table by index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import START

from bot.housekeeping import BATCH, KEEP_EVENT_IDS, Housekeeping
from bot.localtime import epoch


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
