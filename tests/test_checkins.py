"""Check-ins as a member meets them: recording, streaks, history, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.port import Member, MessagePosted, Place, ReactionAdded
from tests.conftest import Harness


async def tables_snapshot(h: Harness) -> dict[str, int]:
    tables = ("members", "checkins", "schedules", "checkin_breaks", "outbox", "processed_events")
    return {t: await h.count(t) for t in tables}


async def test_checkin_with_mood_note_and_tags(harness):
    replies = await harness.command("ana", "checkin 4 slept well #sleep #Gym")
    assert replies[0].startswith("Saved — 🙂 good for Mon 02 Mar. Tags: #gym #sleep.")
    row = await harness.db.fetchrow("SELECT mood, note, tags, local_date FROM checkins")
    assert (row["mood"], row["tags"], row["local_date"]) == (4, "gym sleep", "2026-03-02")


async def test_checkin_without_mood_offers_one_tap_choices(harness):
    await harness.command("ana", "checkin")
    choices = harness.adapter.sent[-1].message.choices
    assert [c.command for c in choices] == [f"checkin {n}" for n in range(1, 6)]
    assert await harness.count("checkins") == 0
    await harness.pick("ana", "checkin 2")
    assert await harness.count("checkins") == 1


async def test_prompt_answered_by_reaction_and_by_number(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    (prompt,) = await h.outbox_rows()
    message_id = prompt["message_id"]  # sealed at rest
    member = Member("console", "ana")
    await h.hearth.handle(ReactionAdded("r1", member, Place.dm(member), message_id, "3️⃣"))
    await h.hearth.handle(MessagePosted("r2", member, Place.dm(member), "5"))
    moods = [r["mood"] for r in await h.db.fetch("SELECT mood FROM checkins ORDER BY id")]
    assert moods == [3, 5]


async def test_same_event_delivered_twice_stores_one_checkin(harness):
    await harness.command("ana", "checkin 4", event_id="platform-event-1")
    replies = await harness.command("ana", "checkin 4", event_id="platform-event-1")
    assert await harness.count("checkins") == 1
    assert replies == []


async def test_checkin_before_day_reset_counts_for_previous_day(make_harness):
    # 02:30 in Berlin on Tuesday 3 March: before the 04:00 reset, so it is Monday's.
    h = await make_harness(clock=FakeClock(datetime(2026, 3, 3, 1, 30, tzinfo=UTC)))
    await h.command("ana", "checkin schedule 20:00 Europe/Berlin")
    await h.command("ana", "checkin 3")
    assert await h.db.fetchval("SELECT local_date FROM checkins") == "2026-03-02"
    await h.advance(hours=2)  # 04:30 Berlin: a new day
    await h.command("ana", "checkin 4")
    dates = [
        r["local_date"] for r in await h.db.fetch("SELECT local_date FROM checkins ORDER BY id")
    ]
    assert dates == ["2026-03-02", "2026-03-03"]
    await h.db.close()


async def test_a_week_of_checkins_builds_a_streak(harness):
    for _ in range(7):
        replies = await harness.command("ana", "checkin 4")
        await harness.advance(days=1)
    assert "Streak: 7 days" in replies[0]


async def test_missed_day_breaks_the_streak(harness):
    await harness.command("ana", "checkin 4")
    await harness.advance(days=2)
    replies = await harness.command("ana", "checkin 4")
    assert "Streak" not in replies[0]


async def test_pause_and_skip_keep_the_streak(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin 4")  # Mon
    await h.advance(days=1)
    await h.command("ana", "checkin skip")  # Tue skipped
    await h.advance(days=1)
    await h.command("ana", "checkin 4")  # Wed
    await h.command("ana", "checkin pause 2")  # Wed (already in), Thu paused
    await h.advance(days=2)
    await h.command("ana", "checkin resume")  # Fri
    replies = await h.command("ana", "checkin 5")
    assert "Streak: 3 days" in replies[0]


async def test_history_summarises_with_sparkline_and_chart(harness):
    h = harness
    for mood in (2, 3, 3, 4, 5, 5):
        await h.command("ana", f"checkin {mood} #walk")
        await h.advance(days=1)
    await h.command("ana", "checkin history 7")
    message = h.adapter.sent[-1].message
    assert "6 check-ins, average 3.7" in message.text
    assert "trend rising" in message.text
    assert "▃▅▅▆██·" in message.text
    assert "#walk (6)" in message.text
    assert message.attachment is not None and message.attachment.data.startswith(b"\x89PNG")


async def test_history_with_nothing_recorded(harness):
    replies = await harness.command("ana", "checkin history")
    assert "No check-ins in the last 30 days" in replies[0]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("checkin 0", "whole number from 1 to 5"),
        ("checkin 6 great", "whole number from 1 to 5"),
        ("checkin 3.5", "whole number from 1 to 5"),
        ("checkin -2", "whole number from 1 to 5"),
        ("checkin 3 " + "x" * 1001, "notes can be up to 1000"),
        ("checkin happy", "I don't know `checkin happy`"),
        ("checkin schedule", "Tell me a time"),
        ("checkin schedule 25:00 Europe/Berlin", "isn't a time of day"),
        ("checkin schedule 9am Europe/Berlin", "24-hour HH:MM"),
        ("checkin schedule 09:00 mon,funday Europe/Berlin", "isn't a day list"),
        ("checkin schedule 09:00 daily Mars/Olympus", "isn't a time zone I know"),
        ("checkin schedule 09:00 daily", "Which time zone are you in?"),
        ("checkin pause forever", "Pause for a number of days"),
        ("checkin pause 0", "Pause for a number of days"),
        ("checkin quiet 22:00", "Quiet hours look like"),
        ("checkin quiet 22:00-22:00", "start and an end that differ"),
        ("checkin history 9999", "History covers 1 to 365 days"),
        ("checkin snooze", "no check-in reminders yet"),
        ("frobnicate", "I don't know the command `frobnicate`"),
        ("help nothing", "There's no `nothing` command"),
        ("checkin 3 --community elsewhere", "I don't know a community called"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_changes_nothing(harness, command, expected):
    await harness.command("ana", "checkin 4")  # some state to protect
    before = await tables_snapshot(harness)
    replies = await harness.command("ana", command)
    assert len(replies) == 1 and expected in replies[0]
    assert "Traceback" not in replies[0]
    assert await tables_snapshot(harness) == before


async def test_checkin_in_a_channel_is_answered_privately(harness):
    member_place = Place.channel("console", "shares")
    await harness.command("ana", "checkin 4", place=member_place)
    sent = harness.adapter.sent[-1]
    assert sent.place == member_place and sent.event is not None  # a reply to ana only


async def test_help_lists_commands_and_details_one(harness):
    overview = await harness.command("ana", "help")
    assert "`checkin`" in overview[0]
    detail = await harness.command("ana", "help checkin")
    assert "checkin schedule HH:MM [DAYS] [TIMEZONE]" in detail[0]


async def test_plain_dm_text_points_to_help(harness):
    member = Member("console", "ana")
    await harness.hearth.handle(MessagePosted("p1", member, Place.dm(member), "hello?"))
    assert "`help` lists them" in harness.adapter.texts()[-1]
    assert await harness.count("checkins") == 0


async def test_plain_dm_words_of_crisis_are_met_with_care_not_a_help_card(harness):
    member = Member("console", "ana")
    await harness.hearth.handle(
        MessagePosted("p2", member, Place.dm(member), "i just want to die tonight")
    )
    texts = harness.adapter.texts()
    assert "emergency number" in texts[-3] and "moderator to reach out" in texts[-2]
    assert "write yourself a safety plan" in texts[-1]  # once ever, without a plan
    assert not any("`help`" in t for t in texts[-3:])


async def test_unexpected_error_is_kind_and_rolls_back(harness, monkeypatch):
    from bot.features.checkins import handlers

    async def broken(req, mood, note):
        await req.tx.execute(
            "INSERT INTO checkins (member_id, community, mood, local_date, "
            "created_at) VALUES ($1, 'example', 3, '2026-03-02', 0)",
            req.member.id,
        )
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers, "record", broken)
    replies = await harness.command("ana", "checkin 3")
    assert replies == [
        "Sorry — something went wrong on my side and nothing was changed. "
        "Please try again in a moment."
    ]
    assert await harness.count("checkins") == 0


async def test_choices_in_dms_name_their_community_when_there_are_several(make_harness, db_url):
    from bot.config import Config
    from tests.conftest import community

    config = Config(database=db_url, communities=(community(), community(name="second")))
    h = await make_harness(config=config)
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin --community second")
    await h.advance(hours=2)
    prompt = h.adapter.prompts("ana")[0].message
    # The prompt's answers name it (one answer per prompt), then the community.
    assert prompt.choices[0].command == "checkin 1 --prompt 2026-03-02@09:00 --community second"
    await h.pick("ana", prompt.choices[3].command)
    assert await h.db.fetchval("SELECT community FROM checkins") == "second"
    await h.command("ana", "checkin --community example")
    asked = h.adapter.sent[-1].message
    assert asked.choices[0].command == "checkin 1 --community example"
    await h.db.close()
