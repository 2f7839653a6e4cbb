"""Check-ins that read right (issue 18): snoozes a check-in answers, schedules
made while paused, one answer per prompt, mood words and time zones as people
type them, dates that say which day, and a history that stays readable."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from bot.clock import FakeClock
from bot.config import Checkins, Config
from bot.features.checkins.history import (
    DayMood,
    chart_label,
    png_size,
    render_chart,
    sparkline,
    summarise,
    weekly,
)
from bot.localtime import TimingError, close_zones, find_zone, parse_zone
from bot.port import Member, Place, ReactionAdded
from tests.conftest import Harness, community
from tests.test_prompts import prompt_times


async def tables_snapshot(h: Harness) -> dict[str, int]:
    tables = ("checkins", "schedules", "checkin_breaks", "outbox", "rate_marks")
    return {t: await h.count(t) for t in tables}


async def schedules_snapshot(h: Harness) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await h.db.fetch("SELECT * FROM schedules")]


# --- 1. a check-in answers a snoozed prompt ----------------------------------


async def test_checkin_after_snooze_cancels_the_snoozed_prompt(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=1, minutes=5)  # 09:05 Berlin: the prompt came
    await h.pick("ana", "checkin snooze")  # ask again at 10:05
    await h.advance(minutes=20)
    await h.command("ana", "checkin 4")
    await h.advance(hours=3)
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-02 09:00"]
    await h.advance(days=1)  # tomorrow's prompt still comes
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-02 09:00", "03-03 09:00"]


async def test_answering_the_snoozed_prompt_by_button_cancels_it_too(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=1, minutes=5)
    prompt = h.adapter.prompts("ana")[0].message
    await h.pick("ana", "checkin snooze")
    await h.pick("ana", prompt.choices[3].command)
    await h.advance(hours=3)
    assert len(h.adapter.prompts("ana")) == 1


# --- 2. schedules and snoozes while paused -------------------------------------


async def test_schedule_after_pause_and_stop_says_prompts_are_paused(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin pause")
    await h.command("ana", "checkin stop")
    (reply,) = await h.command("ana", "checkin schedule 10:00 Europe/Berlin")
    assert "I'll check in" not in reply
    assert "Your prompts are paused" in reply and "`checkin resume`" in reply
    await h.advance(days=2)  # Wed 08:00 Berlin
    assert h.adapter.prompts("ana") == []
    await h.command("ana", "checkin resume")
    await h.advance(days=1)
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-04 10:00"]  # resumed today


async def test_schedule_during_a_pause_for_days_names_the_first_prompt_day(harness):
    h = harness
    await h.command("ana", "checkin pause 2")  # Mon and Tue
    (reply,) = await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    assert "the first one comes on Wed 04 Mar" in reply
    await h.advance(days=3)
    assert await prompt_times(h, "ana", "Europe/Berlin") == ["03-04 09:00"]


async def test_schedule_without_a_pause_is_as_before(harness):
    (reply,) = await harness.command("ana", "checkin schedule 09:00 Europe/Berlin")
    assert reply.startswith("Done. I'll check in with you by DM at 09:00 (daily, Europe/Berlin).")


async def test_snooze_while_paused_says_so_and_changes_nothing(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.command("ana", "checkin pause")
    before = await schedules_snapshot(h)
    (reply,) = await h.command("ana", "checkin snooze")
    assert "paused, so there's nothing to snooze" in reply and "`checkin resume`" in reply
    assert await schedules_snapshot(h) == before
    await h.advance(days=1)
    assert h.adapter.prompts("ana") == []


async def test_pause_cancels_a_snooze(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=1, minutes=5)
    await h.pick("ana", "checkin snooze")
    await h.command("ana", "checkin pause")
    await h.advance(hours=5)
    assert len(h.adapter.prompts("ana")) == 1


# --- 3. one answer per prompt --------------------------------------------------


async def test_two_buttons_on_one_prompt_replace_the_first_answer(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    prompt = h.adapter.prompts("ana")[0].message
    first = await h.pick("ana", prompt.choices[2].command)
    assert first[0].startswith("Saved — 😐 okay for Mon 02 Mar.")
    second = await h.pick("ana", prompt.choices[4].command)
    assert second == [
        "Changed — 😄 very good for Mon 02 Mar instead of 😐 okay. One answer per prompt."
    ]
    moods = [r["mood"] for r in await h.db.fetch("SELECT mood FROM checkins")]
    assert moods == [5]
    again = await h.pick("ana", prompt.choices[4].command)
    assert again == ["Already saved — 😄 very good for Mon 02 Mar. One answer per prompt."]
    assert await h.count("checkins") == 1


async def test_two_reactions_on_one_prompt_replace_the_first_answer(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    (prompt,) = await h.outbox_rows()
    member = Member("console", "ana")
    place = Place.dm(member)
    await h.hearth.handle(ReactionAdded("r1", member, place, prompt["message_id"], "2️⃣"))
    await h.hearth.handle(ReactionAdded("r2", member, place, prompt["message_id"], "4️⃣"))
    assert "instead of 🙁 low" in h.adapter.texts("ana")[-1]
    assert [r["mood"] for r in await h.db.fetch("SELECT mood FROM checkins")] == [4]


async def test_answers_to_different_prompts_are_two_checkins(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    await h.pick("ana", h.adapter.prompts("ana")[0].message.choices[2].command)
    await h.advance(days=1)
    await h.pick("ana", h.adapter.prompts("ana")[1].message.choices[3].command)
    rows = await h.db.fetch("SELECT mood, local_date FROM checkins ORDER BY id")
    assert [(r["mood"], r["local_date"]) for r in rows] == [(3, "2026-03-02"), (4, "2026-03-03")]


async def test_a_typed_checkin_after_an_answer_is_its_own(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    await h.pick("ana", h.adapter.prompts("ana")[0].message.choices[2].command)
    await h.command("ana", "checkin 4 later on, a walk")
    assert await h.count("checkins") == 2


# --- 4. mood words and time zones ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "mood", "note"),
    [
        ("checkin great", 5, None),
        ("checkin ok", 3, None),
        ("checkin OK!", 3, None),
        ("checkin low", 2, None),
        ("checkin good slept well", 4, "slept well"),
        ("checkin very low rough night", 1, "rough night"),
        ("checkin 😐 okay", 3, None),
        ("checkin very good", 5, None),
    ],
)
async def test_mood_words_are_understood(harness, typed, mood, note):
    replies = await harness.command("ana", typed)
    assert replies[0].startswith("Saved — ")
    row = await harness.db.fetchrow("SELECT mood, note FROM checkins")
    assert row["mood"] == mood
    assert (row["note"] is None) == (note is None)


async def test_the_communitys_own_mood_labels_are_words_too(make_harness, db_url):
    labels = ("🌧 struggling", "🌥 heavy", "⛅ getting by", "🌤 steady", "☀️ bright")
    checkins = dataclasses.replace(Checkins(), mood_labels=labels)
    config = Config(database=db_url, communities=(community(checkins=checkins),))
    h = await make_harness(config=config)
    replies = await h.command("ana", "checkin getting by")
    assert replies[0].startswith("Saved — ⛅ getting by for Mon 02 Mar.")
    await h.command("ana", "checkin Struggling")
    moods = [r["mood"] for r in await h.db.fetch("SELECT mood FROM checkins ORDER BY id")]
    assert moods == [3, 1]
    await h.db.close()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("new_york", "America/New_York"),
        ("new-york", "America/New_York"),
        ("us/eastern", "US/Eastern"),
        ("utc", "UTC"),
    ],
)
async def test_time_zones_in_any_case_or_by_city(harness, typed, stored):
    (reply,) = await harness.command("ana", f"checkin schedule 09:00 {typed}")
    assert f"(daily, {stored})" in reply
    assert await harness.db.fetchval("SELECT timezone FROM members") == stored


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Europe/Berln", "“Europe/Berln” isn't a time zone I know. Did you mean `Europe/Berlin`?"),
        ("berln", "Did you mean `Europe/Berlin`?"),
        ("londn", "Did you mean `Europe/London`?"),
        ("Mars/Olympus", "isn't a time zone I know. Please use an IANA name"),
        ("CET", "isn't a day list or a time zone I know"),
    ],
)
async def test_a_time_zone_not_known_gets_did_you_mean_and_changes_nothing(
    harness, typed, expected
):
    await harness.command("ana", "checkin 4")
    before = await tables_snapshot(harness)
    replies = await harness.command("ana", f"checkin schedule 09:00 daily {typed}")
    assert len(replies) == 1 and expected in replies[0]
    assert await tables_snapshot(harness) == before


def test_zone_lookup():
    assert find_zone("asia/kolkata") == "Asia/Kolkata"
    assert find_zone("kolkata") == "Asia/Kolkata"
    assert find_zone("CET") is None  # an abbreviation: not guessed
    assert find_zone("buenos_aires") is None  # two zones end so: asked, not guessed
    assert set(close_zones("buenos_aires")) == {
        "America/Argentina/Buenos_Aires",
        "America/Buenos_Aires",
    }
    assert close_zones("funday") == ()
    assert str(parse_zone("america/new_york")) == "America/New_York"
    with pytest.raises(TimingError, match="Did you mean `America/New_York`"):
        parse_zone("America/New_Yrok")


# --- 5. clear dates ---------------------------------------------------------------


async def test_pause_for_days_names_the_first_day_prompts_come_back(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    (reply,) = await h.command("ana", "checkin pause 2")
    assert reply.startswith("Paused for 2 days: your next prompt comes on Wed 04 Mar.")
    (reply,) = await h.command("ana", "checkin pause 1")
    assert reply.startswith("Paused for 1 day: your next prompt comes on Tue 03 Mar.")


async def test_pause_for_days_names_a_weekday_schedules_next_day(harness):
    h = harness
    await h.command("ana", "checkin schedule 09:00 weekdays Europe/Berlin")
    (reply,) = await h.command("ana", "checkin pause 5")  # Mon–Fri: back on Monday
    assert "your next prompt comes on Mon 09 Mar" in reply


async def test_pause_without_reminders_names_the_day_after(harness):
    (reply,) = await harness.command("ana", "checkin pause 3")
    assert reply.startswith("Paused for 3 days, back on Thu 05 Mar.")


async def test_checkin_before_the_day_reset_says_which_day_it_counts_for(make_harness):
    # 02:30 in Berlin on Tuesday 3 March: before 04:00, so it is Monday's.
    h = await make_harness(clock=FakeClock(datetime(2026, 3, 3, 1, 30, tzinfo=UTC)))
    await h.command("ana", "checkin schedule 20:00 Europe/Berlin")
    (reply,) = await h.command("ana", "checkin 3")
    assert reply.startswith(
        "Saved — 😐 okay for Mon 02 Mar. (Before 04:00, a check-in counts for the day before.)"
    )
    await h.advance(hours=2)  # 04:30: a new day, nothing more to say
    (reply,) = await h.command("ana", "checkin 4")
    assert "Before 04:00" not in reply
    await h.db.close()


async def test_skip_after_a_checkin_says_the_streak_is_safe(harness):
    h = harness
    await h.command("ana", "checkin schedule 20:00 Europe/Berlin")
    await h.command("ana", "checkin 4")
    (reply,) = await h.command("ana", "checkin skip")
    assert reply.startswith("You've already checked in today, so your streak is safe.")
    await h.advance(hours=14)  # 22:00 Berlin: today's 20:00 prompt did not come
    assert h.adapter.prompts("ana") == []
    await h.advance(hours=10)
    (reply,) = await h.command("ana", "checkin skip")  # Tuesday, nothing yet
    assert reply.startswith("Okay, no check-in today.")


async def test_history_crossing_a_year_carries_the_year(make_harness):
    h = await make_harness(clock=FakeClock(datetime(2026, 12, 30, 12, tzinfo=UTC)))
    await h.command("ana", "checkin 4")
    await h.advance(days=7)
    await h.command("ana", "checkin 3")
    (reply,) = await h.command("ana", "checkin history 10")
    assert "(28 Dec 2026 → 06 Jan 2027)" in reply
    (reply,) = await h.command("ana", "checkin history 5")
    assert "(02 Jan → 06 Jan)" in reply
    await h.db.close()


# --- 6. history ---------------------------------------------------------------------


async def test_long_history_has_one_bar_a_week(harness):
    h = harness
    for _ in range(90):
        await h.command("ana", "checkin 4")
        await h.advance(days=1)
    (reply,) = await h.command("ana", "checkin history 90")
    line = reply.splitlines()[1]
    bars, _, dates = line.partition("  ")
    assert len(bars) == 13 and "one bar a week" in dates
    (reply,) = await h.command("ana", "checkin history 60")
    assert len(reply.splitlines()[1].partition("  ")[0]) == 60


def test_weekly_bars_average_their_checkins():
    first = date(2026, 3, 2)
    moods = {first: [1, 1], date(2026, 3, 3): [4], date(2026, 3, 10): [5]}
    summary = summarise(first, date(2026, 3, 22), moods, [])
    weeks = weekly(summary.daily)
    assert [w.mood for w in weeks] == [2.0, 5.0, None]
    assert [w.count for w in weeks] == [3, 1, 0]
    assert sparkline(weeks) == "▃█·"
    # Counted back from the last day: the first bar is the short one.
    ten = summarise(first, date(2026, 3, 11), moods, [])
    assert [(w.day, w.count) for w in weekly(ten.daily)] == [
        (first, 3),
        (date(2026, 3, 5), 1),
    ]


async def test_history_with_no_streak_running_is_gentle(harness):
    h = harness
    await h.command("ana", "checkin 4")
    await h.advance(days=3)
    (reply,) = await h.command("ana", "checkin history")
    assert "Current streak: 0" not in reply
    assert "No streak running right now. Your next check-in starts a new one 🌱" in reply


async def test_history_of_one_day_reads_well(harness):
    (reply,) = await harness.command("ana", "checkin history 1")
    assert reply == "No check-in today yet. `checkin` whenever you're ready."
    await harness.command("ana", "checkin 4")
    (reply,) = await harness.command("ana", "checkin history 1")
    assert reply.startswith("Today: 1 check-in, average 4")
    assert "1 days" not in reply
    (reply,) = await harness.command("ana", "checkin history 2")
    assert reply.startswith("Your last 2 days: 1 check-in, average 4")


async def test_history_chart_carries_alt_text_and_its_size(harness):
    h = harness
    for moods in ("2", "3 4", "", "5"):
        for mood in moods.split():
            await h.command("ana", f"checkin {mood}")
        await h.advance(days=1)
    await h.command("ana", "checkin history 5")
    chart = h.adapter.sent[-1].message.attachment
    assert chart is not None
    assert chart.description == (
        "Mood chart of 5 days, 02 Mar to 06 Mar. 3 days with check-ins, moods from 🙁 low "
        "to 😄 very good; gaps are days without one. 1 point is the average of several "
        "check-ins that day."
    )
    assert (chart.width, chart.height) == png_size(chart.data) == (600, 260)


def test_chart_draws_gaps_labels_and_several_checkins(monkeypatch):
    from matplotlib.axes import Axes

    first = date(2026, 3, 2)
    moods = {first: [2], date(2026, 3, 4): [4, 5]}
    summary = summarise(first, date(2026, 3, 5), moods, [])
    assert [d.count for d in summary.daily] == [1, 0, 2, 0]
    seen: dict[str, object] = {}
    plot, ticks = Axes.plot, Axes.set_yticklabels

    def spy_plot(self, *args, **kwargs):
        seen.setdefault("lines", []).append((list(args[1]), kwargs))  # type: ignore[union-attr]
        return plot(self, *args, **kwargs)

    def spy_ticks(self, labels, **kwargs):
        seen["ticks"] = list(labels)
        return ticks(self, labels, **kwargs)

    monkeypatch.setattr(Axes, "plot", spy_plot)
    monkeypatch.setattr(Axes, "set_yticklabels", spy_ticks)
    labels = ("😞 very low", "🙁 low", "😐 okay", "🙂 good", "😄 very good")
    png = render_chart(summary, "en", labels)
    assert png.startswith(b"\x89PNG")
    (daily, _), (several, marks) = seen["lines"]  # type: ignore[misc]
    assert daily[0] == 2 and daily[1] != daily[1] and daily[3] != daily[3]  # NaN: a gap
    assert several == [4.5] and marks["label"] == "average of several check-ins"
    assert seen["ticks"] == ["very low", "low", "okay", "good", "very good"]


def test_chart_labels_keep_words_without_emoji():
    assert chart_label("☀️ bright") == "bright"
    assert chart_label("🙂") == "🙂"  # nothing but an emoji: kept as it is
    assert DayMood(date(2026, 3, 2), None).count == 0


async def test_without_the_charts_extra_history_is_the_text_alone(harness, monkeypatch):
    """`make run` installs no matplotlib: the playground answers with the sparkline."""
    from bot.features.checkins import handlers

    monkeypatch.setattr(handlers, "CHARTS", False)
    await harness.command("ana", "checkin 4")
    replies = await harness.command("ana", "checkin history 7")
    assert replies == [
        "Your last 7 days: 1 check-in, average 4 (🙂 good)\n"
        "······▆  (24 Feb → 02 Mar)\nCurrent streak: 1 day."
    ]
    assert all(sent.message.attachment is None for sent in harness.adapter.sent)


async def test_default_mood_labels_are_read_in_the_members_language(harness):
    await harness.command("ana", "language es")
    assert await harness.command("ana", "checkin 4") == ["Guardado: 🙂 bien para el lun, 2 mar."]
    await harness.command("ana", "checkin")
    labels = [c.label for c in harness.adapter.sent[-1].message.choices]
    assert labels == ["😞 muy mal", "🙁 mal", "😐 regular", "🙂 bien", "😄 muy bien"]


async def test_a_communitys_own_mood_labels_stay_in_every_language(make_harness, db_url):
    from bot.config import Checkins, Config
    from tests.conftest import community

    own = ("⛈️ storm", "🌧️ rain", "⛅ cloudy", "🌤️ bright", "☀️ sunny")
    h = await make_harness(
        config=Config(database=db_url, communities=(community(checkins=Checkins(mood_labels=own)),))
    )
    await h.command("ana", "language de")
    (saved,) = await h.command("ana", "checkin 4")
    assert "🌤️ bright" in saved
