"""Scheduled prompts: local wall-clock time across DST, at most once per slot
whatever restarts happen, the catch-up window, quiet hours, snooze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.conftest import Harness


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def prompt_times(h: Harness, user: str, zone: str) -> list[str]:
    """Local times at which each recorded prompt was sent (via the outbox)."""
    from zoneinfo import ZoneInfo

    # The outbox keeps only the day a message went; the prompt's slot keeps the moment.
    rows = await h.db.fetch(
        "SELECT delivered_at FROM prompt_slots WHERE member_id = $1 "
        "AND delivered_at IS NOT NULL ORDER BY delivered_at",
        await h.member_id(user),
    )
    return [
        datetime.fromtimestamp(r["delivered_at"], ZoneInfo(zone)).strftime("%m-%d %H:%M")
        for r in rows
    ]


@pytest.mark.parametrize(
    ("zone", "start", "days", "expected"),
    [
        # Berlin springs forward 02:00 → 03:00 on 2026-03-29
        (
            "Europe/Berlin",
            utc(2026, 3, 27, 12),
            4,
            ["03-28 09:00", "03-29 09:00", "03-30 09:00", "03-31 09:00"],
        ),
        # Berlin falls back 03:00 → 02:00 on 2026-10-25
        (
            "Europe/Berlin",
            utc(2026, 10, 23, 12),
            4,
            ["10-24 09:00", "10-25 09:00", "10-26 09:00", "10-27 09:00"],
        ),
        # New York springs forward on 2026-03-08 and falls back on 2026-11-01
        (
            "America/New_York",
            utc(2026, 3, 6, 20),
            4,
            ["03-07 09:00", "03-08 09:00", "03-09 09:00", "03-10 09:00"],
        ),
        (
            "America/New_York",
            utc(2026, 10, 30, 20),
            4,
            ["10-31 09:00", "11-01 09:00", "11-02 09:00", "11-03 09:00"],
        ),
    ],
)
async def test_prompts_keep_local_time_across_dst(make_harness, zone, start, days, expected):
    h = await make_harness(clock=FakeClock(start))
    await h.command("ana", f"checkin schedule 09:00 daily {zone}")
    await h.advance(days=days)
    assert await prompt_times(h, "ana", zone) == expected
    assert len(h.adapter.prompts("ana")) == days
    await h.db.close()


@pytest.mark.parametrize(
    ("zone", "start", "prompt", "expected"),
    [
        # 02:30 does not exist on 2026-03-29 in Berlin: prompted once, at 03:30
        (
            "Europe/Berlin",
            utc(2026, 3, 27, 12),
            "02:30",
            ["03-28 02:30", "03-29 03:30", "03-30 02:30"],
        ),
        # 02:30 happens twice on 2026-10-25 in Berlin: prompted once
        (
            "Europe/Berlin",
            utc(2026, 10, 23, 12),
            "02:30",
            ["10-24 02:30", "10-25 02:30", "10-26 02:30"],
        ),
        (
            "America/New_York",
            utc(2026, 3, 6, 20),
            "02:30",
            ["03-07 02:30", "03-08 03:30", "03-09 02:30"],
        ),
        (
            "America/New_York",
            utc(2026, 10, 30, 20),
            "01:30",
            ["10-31 01:30", "11-01 01:30", "11-02 01:30"],
        ),
    ],
)
async def test_times_inside_a_dst_change_are_prompted_exactly_once(
    make_harness, zone, start, prompt, expected
):
    h = await make_harness(clock=FakeClock(start))
    await h.command("ana", f"checkin schedule {prompt} {zone}")
    await h.advance(days=3)
    assert await prompt_times(h, "ana", zone) == expected
    await h.db.close()


async def test_restart_mid_day_sends_no_second_prompt(make_harness):
    h = await make_harness()
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)  # 10:00 Berlin: today's prompt went out
    assert len(h.adapter.prompts("ana")) == 1
    await h.db.close()

    # A new process on the same database, same day, later on.
    again = await make_harness(clock=FakeClock(h.clock.now() + timedelta(hours=1)))
    await again.hearth.settle()
    await again.advance(hours=6)
    assert again.adapter.prompts("ana") == []
    await again.advance(days=1)
    assert len(again.adapter.prompts("ana")) == 1  # tomorrow's, once
    await again.db.close()


async def test_replayed_slot_claim_is_refused_even_if_schedule_is_rewound(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    # Simulate a crash that lost the schedule update but not the claimed slot.
    await h.db.execute(
        "UPDATE schedules SET next_prompt_at = next_prompt_at - 86400, "
        "next_slot_date = '2026-03-02'"
    )
    await h.hearth.settle()
    assert len(h.adapter.prompts("ana")) == 1
    assert await h.count("outbox") == 1


async def test_downtime_inside_catch_up_window_sends_missed_prompt_once(make_harness):
    h = await make_harness()
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.db.close()  # the bot goes down at 08:00 Berlin
    back = await make_harness(clock=FakeClock(utc(2026, 3, 2, 9, 30)))  # 10:30 Berlin
    await back.hearth.settle()
    await back.hearth.settle()
    assert len(back.adapter.prompts("ana")) == 1
    await back.advance(hours=3)
    assert len(back.adapter.prompts("ana")) == 1
    await back.db.close()


async def test_downtime_beyond_catch_up_window_sends_nothing_and_no_burst(make_harness):
    h = await make_harness()
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.db.close()
    # Back three days later at 12:00 Berlin: three slots are past, all beyond 2 h.
    back = await make_harness(clock=FakeClock(utc(2026, 3, 5, 11, 0)))
    await back.hearth.settle()
    assert back.adapter.prompts("ana") == []
    outcomes = await back.db.fetch("SELECT outcome FROM prompt_slots")
    assert {r["outcome"] for r in outcomes} == {"missed"}
    await back.advance(days=1)
    assert len(back.adapter.prompts("ana")) == 1  # the next day's, on time
    await back.db.close()


async def test_long_downtime_still_sends_the_one_slot_inside_the_window(make_harness):
    h = await make_harness()
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.db.close()
    back = await make_harness(clock=FakeClock(utc(2026, 3, 6, 9, 0)))  # Fri 10:00 Berlin
    await back.hearth.settle()
    assert len(back.adapter.prompts("ana")) == 1  # Friday's, an hour late; none of the older ones
    await back.db.close()


async def test_weekday_schedule_skips_weekends(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 weekdays Europe/Berlin")
    await h.advance(days=7)
    assert await prompt_times(h, "ana", "Europe/Berlin") == [
        "03-02 09:00",
        "03-03 09:00",
        "03-04 09:00",
        "03-05 09:00",
        "03-06 09:00",
    ]


async def test_day_list_schedule(harness):
    await harness.command("ana", "checkin schedule 18:30 mon,wed,fri Europe/Berlin")
    await harness.advance(days=7)
    assert await prompt_times(harness, "ana", "Europe/Berlin") == [
        "03-02 18:30",
        "03-04 18:30",
        "03-06 18:30",
    ]


async def test_quiet_hours_delay_the_prompt_to_the_window_end(harness):
    await harness.command("ana", "checkin schedule 06:30 Europe/Berlin")
    await harness.command("ana", "checkin quiet 22:00-07:15")
    await harness.advance(days=1, hours=2)
    assert await prompt_times(harness, "ana", "Europe/Berlin") == ["03-03 07:15"]


async def test_snooze_asks_again_an_hour_later_once(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=1, minutes=5)
    assert len(h.adapter.prompts("ana")) == 1
    replies = await h.pick("ana", "checkin snooze")
    assert "10:05" in replies[0]
    await h.advance(hours=3)
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-02 09:00", "03-02 10:05"]


async def test_skip_today_cancels_todays_prompt(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin skip")
    await h.advance(days=1, hours=2)
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-03 09:00"]


async def test_pause_for_days_then_prompts_return(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin pause 3")  # Mon, Tue, Wed
    await h.advance(days=5)
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-05 09:00", "03-06 09:00"]


async def test_pause_until_resume(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin pause")
    await h.advance(days=3)
    assert h.adapter.prompts("ana") == []
    await h.command("ana", "checkin resume")
    await h.advance(days=1)
    assert len(h.adapter.prompts("ana")) == 1


async def test_stop_forgets_schedule_and_keeps_checkins(harness):
    h = harness
    await h.command("ana", "checkin 3")
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin stop")
    await h.advance(days=2)
    assert h.adapter.prompts("ana") == []
    assert await h.count("checkins") == 1


async def test_unreachable_member_is_marked_prompts_stop_and_told_once(harness):
    h = harness
    h.adapter.unreachable.add("ana")
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(days=3)
    outbox = await h.db.fetch("SELECT status FROM outbox")
    assert [r["status"] for r in outbox] == ["unreachable"]  # one attempt, no retries
    assert await h.db.fetchval("SELECT next_prompt_at FROM schedules") is None
    first = await h.command("ana", "checkin 3")
    assert any("couldn't reach you" in t for t in first)
    second = await h.command("ana", "checkin 4")
    assert not any("couldn't reach you" in t for t in second)
    h.adapter.unreachable.clear()
    await h.command("ana", "checkin resume")
    await h.advance(days=1)
    assert len(h.adapter.prompts("ana")) == 1


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
async def test_due_lookup_uses_the_index(harness):
    plan = await harness.db.fetch(
        "EXPLAIN QUERY PLAN SELECT member_id, community FROM schedules "
        "WHERE next_prompt_at <= 1 ORDER BY next_prompt_at LIMIT 10"
    )
    assert any("schedules_due" in str(tuple(row)) for row in plan)
