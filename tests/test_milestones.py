"""Milestones and celebrations as members meet them (SPEC §2 "Milestones and
celebrations", §4): relapse-safe counters, celebrated once and only the way
the member chose, cheers batched, wins crisis-checked, data rights kept."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Channels, Config, Sharing
from bot.features.milestones.thresholds import describe, highest_reached, next_after
from bot.port import CommandGiven, Member, Place, ReactionAdded
from bot.safety.care import CARE_OPENING
from bot.storage.migrations import table_names
from tests.conftest import START, Harness, community
from tests.test_console import ROOT, play
from tests.test_data_rights import database_bytes

ID = "member-5f3a9c"  # distinctive, so a raw byte search cannot hit by chance
OTHER = "member-77b2e1"
DAYS = (1, 7, 14, 30, 60, 90, 180, 270, 365)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def congratulations(h: Harness, user: str) -> list[str]:
    return [
        s.message.text
        for s in h.adapter.sent
        if s.event is None
        and s.place.is_dm
        and s.place.target == user
        and "Today is" in s.message.text
    ]


def celebration_posts(h: Harness) -> list[str]:
    return [
        s.message.text
        for s in h.adapter.sent
        if s.event is None and not s.place.is_dm and s.place.target == "celebrations"
    ]


def dms(h: Harness, user: str) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.place.is_dm and s.place.target == user]


async def snapshot(h: Harness) -> dict[str, list[tuple]]:
    """Every row of every table: "nothing changed" means exactly this."""
    tables = table_names()
    return {t: sorted(map(tuple, await h.db.fetch(f"SELECT * FROM {t}")), key=repr) for t in tables}


def with_community(db_url: str, **overrides: object) -> Config:
    return Config(database=db_url, communities=(community(**overrides),))


# --- thresholds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "reached", "following"),
    [(0, 0, 1), (1, 1, 7), (6, 1, 7), (7, 7, 14), (364, 270, 365), (365, 365, 730)],
)
def test_thresholds_come_from_the_config_then_every_year(days, reached, following):
    assert highest_reached(days, DAYS, yearly=True) == reached
    assert next_after(days, DAYS, yearly=True) == following


def test_yearly_thresholds_and_how_they_read():
    assert highest_reached(1100, DAYS, yearly=True) == 1095
    assert next_after(1095, DAYS, yearly=True) == 1460
    assert next_after(100, (3, 7, 100), yearly=False) is None
    assert highest_reached(2, (3, 7), yearly=False) == 0
    assert [describe(d) for d in (1, 7, 365, 730, 400)] == [
        "1 day",
        "7 days",
        "1 year",
        "2 years",
        "400 days",
    ]


# --- the milestone command -------------------------------------------------------------


async def test_reset_is_relapse_safe_and_list_keeps_the_history(harness):
    h = harness
    reply = await h.command("ana", "milestone set sober 2026-02-20")
    assert "since 2026-02-20" in reply[0] and "12 days" not in reply[0]
    listed = await h.command("ana", "milestone list")
    assert (
        "sober — 10 days (since 2026-02-20) · longest run 10 days · 1 attempt · "
        "10 days in total · celebrated privately"
    ) in listed[0]
    await h.advance(days=2)
    reset = await h.command("ana", "milestone reset sober")
    assert "starts again today" in reset[0] and "Nothing is lost" in reset[0]
    assert "longest run is 12 days" in reset[0] and "attempt 2" in reset[0]
    await h.advance(days=3)
    listed = await h.command("ana", "milestone list")
    assert (
        "sober — 3 days (since 2026-03-04) · longest run 12 days · 2 attempts · 15 days in total"
    ) in listed[0]
    # A reset to a past day: that run's days count from there.
    await h.command("ana", "milestone reset sober 2026-03-06")
    listed = await h.command("ana", "milestone list")
    assert (
        "1 day (since 2026-03-06) · longest run 12 days · 3 attempts · 15 days in total"
        in (listed[0])
    )


async def test_a_replayed_reset_counts_once(harness):
    h = harness
    await h.command("ana", "milestone set sober 2026-02-20")
    await h.command("ana", "milestone reset sober", event_id="reset-1")
    await h.command("ana", "milestone reset sober", event_id="reset-1")
    listed = (await h.command("ana", "milestone list"))[0]
    assert "2 attempts" in listed  # one run closed, not two


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("milestone set later 2026-03-03", "still ahead"),
        ("milestone set later 2026-03-03 Asia/Tokyo", "still ahead"),  # zone change undone too
        ("milestone set x 03/01/2026", "isn't a date I can read"),
        ("milestone set x 2026-02-30", "isn't a day on the calendar"),
        ("milestone set x 1899-12-31", "from 1900-01-01"),
        ("milestone set x", "Which day did it begin"),
        ("milestone set", "Which counter"),
        ("milestone set bad!name 2026-01-01", "one word"),
        ("milestone set x 2026-01-01 loudly", "time zone"),
        ("milestone set sober 2026-02-10", "already have a counter called “sober”"),
        ("milestone set streak 2026-02-10", "check-in streak"),
        ("milestone reset nope", "don't have a counter called “nope”. Yours: sober"),
        ("milestone reset sober 2026-01-01", "before this run began"),
        ("milestone reset sober 2027-01-01", "still ahead"),
        ("milestone visibility nope public", "don't have a counter called “nope”"),
        ("milestone visibility sober loudly", "Choose how to celebrate"),
        ("milestone remove nope confirm", "don't have a counter called “nope”"),
        ("milestone frobnicate", "I don't know `milestone frobnicate`"),
        ("celebrate", "What would you like to celebrate"),
        ("celebrate anonymous", "What would you like to celebrate"),
        ("celebrate " + "x" * 2001, "can be up to 2000"),
        ("cheer 99", "no celebrations to cheer here yet"),
        ("cheer soon", "Say which celebration"),
    ],
)
async def test_bad_input_is_answered_kindly_and_changes_nothing(harness, command, expected):
    h = harness
    await h.command("ana", "milestone set sober 2026-02-01")
    before = await snapshot(h)
    reply = await h.command("ana", command)
    assert expected in reply[0]
    assert await snapshot(h) == before


async def test_a_new_member_hears_how_to_start(harness):
    reply = await harness.command("ana", "milestone")
    assert "no counters yet" in reply[0] and "milestone set sober" in reply[0]
    assert "dates" in (await harness.command("ana", "milestone set x yesterday"))[0]


async def test_remove_asks_first_then_deletes_the_counter_and_its_history(harness):
    h = harness
    await h.command("ana", "milestone set sober 2026-02-01")
    await h.command("ana", "milestone reset sober")
    ask = await h.command("ana", "milestone remove sober")
    assert "can't be undone" in ask[0] and "milestone reset sober" in ask[0]
    assert await h.count("milestone_counters") == 1
    choice = h.adapter.sent[-1].message.choices[0]
    assert choice.command == "milestone remove sober confirm"
    done = await h.command("ana", choice.command)
    assert "removed" in done[0]
    assert await h.count("milestone_counters") == 0  # its earlier runs were inside it


async def test_help_lists_the_milestone_commands(harness):
    overview = (await harness.command("ana", "help"))[0]
    assert "`milestone`" in overview and "`celebrate`" in overview and "`cheer`" in overview
    detail = (await harness.command("ana", "help milestone"))[0]
    assert "milestone reset NAME [DATE]" in detail


# --- detection: once, the highest, on the member's day -------------------------------------


async def test_celebrated_exactly_once_across_a_restart_at_the_threshold_moment(
    make_harness, db_url
):
    h1 = await make_harness()
    await h1.command(ID, "milestone set sober 2026-02-24")  # 6 days; 7 at UTC midnight
    threshold = utc(2026, 3, 3)
    # The detection commits, then the process stops before anything is sent.
    job = next(j for j in h1.hearth.scheduler.jobs if j.name == "milestones")
    h1.clock.set(threshold)
    await job.run_due(threshold)
    assert congratulations(h1, ID) == []
    await h1.db.close()

    h2 = await make_harness(clock=FakeClock(threshold))  # back at the very same moment
    await h2.hearth.settle()
    await h2.advance(days=3)
    await h2.db.close()
    h3 = await make_harness(clock=FakeClock(threshold + timedelta(days=3)))
    await h3.advance(days=3)
    sent = congratulations(h2, ID) + congratulations(h3, ID)
    assert sent == [sent[0]] and "Today is 7 days" in sent[0]
    await h3.db.close()


async def test_two_processes_looking_at_the_same_moment_celebrate_once(make_harness, db_url):
    h1 = await make_harness()
    await h1.command(ID, "milestone set sober 2026-02-24 public")
    threshold = utc(2026, 3, 3)
    h2 = await make_harness(clock=FakeClock(threshold))
    h1.clock.set(threshold)
    jobs = [next(j for j in h.hearth.scheduler.jobs if j.name == "milestones") for h in (h1, h2)]
    await asyncio.gather(jobs[0].run_due(threshold), jobs[1].run_due(threshold))
    # A view gone stale (another process, a clock jump) meets the high-water mark.
    await h1.db.execute("UPDATE milestone_counters SET next_check_at = 0")
    await jobs[1].run_due(threshold)
    queued = len(await h1.outbox_rows("milestone:"))
    assert queued == 1 and await h1.count("celebrations") == 1
    await h1.db.close()
    await h2.db.close()


async def test_a_date_set_a_year_back_sets_off_no_burst(make_harness):
    h = await make_harness()
    await h.command("ana", "milestone set sober 2025-03-02")  # exactly 365 days ago
    await h.command("bo", "milestone set gym 2025-03-06")  # 361 days: a year in 4 days
    await h.advance(days=6)
    assert congratulations(h, "ana") == []
    assert congratulations(h, "bo") == [
        "🎉 Today is 1 year on your “gym” counter. Every single one of those days counts — "
        "well done 💛\nThis one stays just between us."
    ]
    # Looked at every midnight, whatever its next threshold: the time says nothing.
    checks = await h.db.fetch("SELECT next_check_at FROM milestone_counters")
    assert {datetime.fromtimestamp(r[0], UTC) for r in checks} == {utc(2026, 3, 9)}
    # A year on, 2027-03-02 brings two years. Hearth restarts the day before rather than
    # run through every hour of the year between: the counter is looked at daily anyway.
    await h.db.close()
    later = await make_harness(clock=FakeClock(utc(2027, 3, 1, 12)))
    await later.hearth.settle()
    await later.advance(days=2)
    assert len(congratulations(later, "ana")) == 1


async def test_downtime_over_thresholds_celebrates_only_the_highest_once_on_return(
    make_harness,
):
    h1 = await make_harness()
    await h1.command("ana", "milestone set sober 2026-02-25 public")  # 5 days
    await h1.db.close()
    back = utc(2026, 3, 13, 12)  # day 16: 7 and 14 passed while Hearth was down
    h2 = await make_harness(clock=FakeClock(back))
    await h2.hearth.settle()
    await h2.advance(days=3)
    assert [t.split("\n")[0] for t in congratulations(h2, "ana")] == [
        "🎉 Today is 14 days on your “sober” counter. Every single one of those days counts — "
        "well done 💛"
    ]
    assert celebration_posts(h2) == ["ana reached 14 days 🎉"]
    await h2.db.close()
    h3 = await make_harness(clock=FakeClock(back + timedelta(days=3)))
    await h3.advance(days=2)
    assert congratulations(h3, "ana") == [] and celebration_posts(h3) == []
    await h3.db.close()


async def test_quiet_hours_delay_the_dm_and_the_post(harness):
    h = harness
    await h.command("ana", "checkin quiet 22:00-08:00")
    await h.command("ana", "milestone set sober 2026-02-24 anonymous")
    await h.command("bo", "milestone set sober 2026-02-24")
    await h.command("bo", "checkin quiet 23:00-07:30")  # set after: still respected
    await h.advance_to(utc(2026, 3, 3, 7, 29))
    assert congratulations(h, "ana") == [] and congratulations(h, "bo") == []
    assert celebration_posts(h) == []
    await h.advance_to(utc(2026, 3, 3, 7, 30))
    assert len(congratulations(h, "bo")) == 1 and congratulations(h, "ana") == []
    await h.advance_to(utc(2026, 3, 3, 8, 0))
    assert len(congratulations(h, "ana")) == 1
    assert celebration_posts(h) == []  # the anonymous post waits a random while …
    await h.advance(hours=6)
    assert celebration_posts(h) == ["Someone in our community reached 7 days 🎉"]  # … then goes
    # The outbox keeps only the day it went (the moments are pinned above).
    ana = await h.member_id("ana")
    sent = [r for r in await h.outbox_rows("milestone:") if r["member_id"] == ana]
    assert [datetime.fromtimestamp(r["sent_at"], UTC) for r in sent] == [utc(2026, 3, 3)]


async def test_a_counter_turns_over_at_the_members_local_midnight(harness):
    h = harness  # 07:00 UTC on 2 March is 23:00 on 1 March in Los Angeles
    refused = await h.command("ana", "milestone set sober 2026-03-02 America/Los_Angeles")
    assert "still ahead" in refused[0] and "today is 2026-03-01 where you are" in refused[0]
    await h.command("ana", "milestone set sober 2026-02-23 America/Los_Angeles")  # 6 days there
    await h.command("bo", "milestone set sober 2026-02-23")  # UTC: 7 days already, no burst
    await h.advance_to(utc(2026, 3, 2, 7, 59))
    assert congratulations(h, "ana") == []
    await h.advance_to(utc(2026, 3, 2, 8, 0))  # midnight in Los Angeles
    assert len(congratulations(h, "ana")) == 1
    await h.advance(days=1)
    assert congratulations(h, "bo") == []


@pytest.mark.parametrize(
    ("zone", "start", "since", "not_yet", "due"),
    [
        # Berlin springs forward on 29 March: that midnight is 23:00 UTC, the next 22:00 UTC.
        (
            "Europe/Berlin",
            utc(2026, 3, 27, 12),
            "2026-03-22",
            utc(2026, 3, 28, 22, 59),
            utc(2026, 3, 28, 23),
        ),
        (
            "Europe/Berlin",
            utc(2026, 3, 27, 12),
            "2026-03-23",
            utc(2026, 3, 29, 21, 59),
            utc(2026, 3, 29, 22),
        ),
        # Santiago skips midnight on 6 September 2026: the day begins at 01:00.
        (
            "America/Santiago",
            utc(2026, 9, 5, 12),
            "2026-08-30",
            utc(2026, 9, 6, 3, 59),
            utc(2026, 9, 6, 4),
        ),
        # New York falls back on 1 November: midnight still comes once.
        (
            "America/New_York",
            utc(2026, 10, 30, 12),
            "2026-10-26",
            utc(2026, 11, 2, 4, 59),
            utc(2026, 11, 2, 5),
        ),
    ],
)
async def test_milestones_follow_local_midnight_across_dst(
    make_harness, zone, start, since, not_yet, due
):
    h = await make_harness(clock=FakeClock(start))
    await h.command("ana", f"milestone set sober {since} {zone}")
    await h.advance_to(not_yet)
    assert congratulations(h, "ana") == []
    await h.advance_to(due)
    assert len(congratulations(h, "ana")) == 1
    await h.advance(days=2)
    assert len(congratulations(h, "ana")) == 1
    await h.db.close()


# --- visibility ----------------------------------------------------------------------------


async def test_visibility_decides_what_the_channel_shows(harness):
    h = harness
    await h.command("priv", "milestone set sober 2026-02-24")
    await h.command("anon", "milestone set sober 2026-02-24 anonymous")
    await h.command("pub", "milestone set sober 2026-02-24")
    changed = await h.command("pub", "milestone visibility sober public")
    assert "by name" in changed[0]
    await h.advance(days=1)
    for user in ("priv", "anon", "pub"):
        assert len(congratulations(h, user)) == 1  # the private word always comes
    assert "stays just between us" in congratulations(h, "priv")[0]
    assert "without your name" in congratulations(h, "anon")[0]
    posts = celebration_posts(h)
    assert sorted(posts) == sorted(
        ["Someone in our community reached 7 days 🎉", "pub reached 7 days 🎉"]
    )
    assert not any("anon" in p or "priv" in p for p in posts)
    choices = [s.message.choices for s in h.adapter.sent if s.place.target == "celebrations"]
    assert all(c[0].emoji == "🎉" and c[0].command.startswith("cheer ") for c in choices)


async def test_without_a_celebrations_channel_it_stays_private(make_harness, db_url):
    channels = Channels(shares="shares", mod_queue="mod-queue", celebrations=None)
    h = await make_harness(config=with_community(db_url, channels=channels))
    set_reply = await h.command("ana", "milestone set sober 2026-02-24")
    note = await h.command("ana", "milestone visibility sober anonymous")
    assert "no celebrations channel yet" in note[0]
    await h.advance(days=1)
    assert "stayed private" in congratulations(h, "ana")[0]
    assert await h.count("celebrations") == 0 and set_reply
    refused = await h.command("ana", "celebrate one month clean")
    assert "no celebrations channel" in refused[0]
    await h.db.close()


# --- streaks ---------------------------------------------------------------------------------


async def test_streak_milestones_come_from_checkins(harness):
    h = harness
    replies = []
    for _ in range(3):
        replies.append(await h.command("ana", "checkin 4"))
        await h.advance(days=1)
    assert not any("in a row" in t for t in replies[0] + replies[1])
    assert any(t.startswith("🎉 3 days of check-ins in a row!") for t in replies[2])
    assert "in a row" not in " ".join(await h.command("ana", "checkin 3"))  # day 4
    await h.command("ana", "milestone visibility streak anonymous")
    for _ in range(3):
        await h.advance(days=1)
        day7 = await h.command("ana", "checkin 4")
    assert any("7 days of check-ins in a row" in t for t in day7)
    assert "in a row" not in " ".join(await h.command("ana", "checkin 5"))  # same day again
    assert any("a little later today" in t for t in day7)  # anonymous: posted later
    await h.advance(hours=6)
    assert celebration_posts(h) == ["Someone in our community checked in 7 days in a row 🎉"]
    assert "celebrated anonymously" in (await h.command("ana", "milestone list"))[0]

    await h.advance(days=3)  # two days missed: a new streak, worth celebrating again
    for _ in range(2):
        await h.command("ana", "checkin 4")
        await h.advance(days=1)
    hard_day = await h.command("ana", "checkin 1")  # a hard day: no 🎉 now …
    assert not any("in a row" in t for t in hard_day)
    await h.advance(days=1)
    next_day = await h.command("ana", "checkin 3")  # … the next check-in celebrates it
    assert any("3 days of check-ins in a row" in t for t in next_day)


# --- cheers -----------------------------------------------------------------------------------


async def test_cheers_reach_the_member_in_one_batched_dm(harness):
    h = harness
    await h.command("ana", "milestone set sober 2026-02-24 public")
    await h.advance(hours=18)
    assert celebration_posts(h) == ["ana reached 7 days 🎉"]
    channel = Place.channel("console", "celebrations")
    for cheerer in ("carol", "dave"):
        assert "Cheer sent" in (await h.command(cheerer, "cheer 1", place=channel))[0]
    assert "already cheered" in (await h.command("carol", "cheer 1"))[0]
    assert "your own celebration" in (await h.command("ana", "cheer 1"))[0]
    # A 🎉 reaction on the post is a cheer too.
    (post,) = await h.outbox_rows("celebration:example:1")
    message_id = post["message_id"]
    await h.hearth.handle(
        ReactionAdded(h.event_id(), Member("console", "erin"), channel, message_id, "🎉")
    )
    assert not any("cheered your" in t for t in dms(h, "ana"))
    await h.advance(minutes=20)
    assert [t for t in dms(h, "ana") if "cheered your" in t] == [
        "🎉 3 people cheered your celebration #1."
    ]
    await h.advance(hours=2)
    assert len([t for t in dms(h, "ana") if "cheered your" in t]) == 1


async def test_cheers_reach_an_anonymous_author_until_the_link_expires(make_harness, db_url):
    h = await make_harness(config=with_community(db_url, sharing=Sharing(link_days=2)))
    await h.command("ana", "checkin quiet 22:00-08:00")
    await h.command("ana", "celebrate my first sober weekend anonymous")
    await h.advance_to(utc(2026, 3, 2, 21, 50))
    await h.command("bo", "cheer 1")
    await h.advance_to(utc(2026, 3, 3, 7, 59))  # the batch is due at 22:05: quiet hours
    assert not any("cheered your" in t for t in dms(h, "ana"))
    await h.advance_to(utc(2026, 3, 3, 8, 0))
    assert [t for t in dms(h, "ana") if "cheered your" in t] == [
        "🎉 1 person cheered your celebration #1."
    ]
    await h.advance(days=3)  # the sealed link has expired and was erased
    assert await h.db.fetchval("SELECT author_link FROM celebrations") is None
    await h.command("carol", "cheer 1")
    await h.advance(hours=1)
    assert len([t for t in dms(h, "ana") if "cheered your" in t]) == 1
    await h.db.close()


# --- celebrate --------------------------------------------------------------------------------


async def test_celebrate_posts_a_win_with_mentions_neutralised(harness):
    h = harness
    reply = await h.command("ana", "celebrate 30 days! thanks @everyone and <@123>")
    assert "Posted as celebration #1, with your name" in reply[0]
    assert celebration_posts(h) == [
        "🎉 A win from ana:\n30 days! thanks @\u200beveryone and <@\u200b123>"
    ]
    anonymous = await h.command("bo", "celebrate I finished my first week ANONYMOUS")
    assert "#2, without your name" in anonymous[0]
    assert celebration_posts(h)[1] == (
        "🎉 A win from someone in our community:\nI finished my first week"
    )
    row = await h.db.fetchrow("SELECT * FROM celebrations WHERE number = 2")
    assert row["member_id"] is None and row["author_link"].startswith("hs1.")


async def test_an_anonymous_celebration_is_only_taken_in_private(harness):
    h = harness
    await h.command("ana", "milestone list")
    before = await snapshot(h)
    refused = await h.command(
        "ana", "celebrate a good week anonymous", place=Place.channel("console", "celebrations")
    )
    assert "by DM" in refused[0]
    assert await snapshot(h) == before


async def test_a_celebration_with_crisis_words_is_held_and_moderators_see_what_not_who(harness):
    h = harness
    replies = await h.command(ID, "celebrate a month sober but I want to end my life anonymous")
    assert "haven't posted this" in replies[0] and "never your name" in replies[0]
    assert replies[1].startswith(CARE_OPENING)
    assert celebration_posts(h) == []
    alerts = [s.message for s in h.adapter.sent if s.place.target == "mod-queue"]
    assert len(alerts) == 1
    assert "Possible crisis in celebration c1" in alerts[0].text and "end my life" in alerts[0].text
    assert ID not in alerts[0].text
    assert [c.command for c in alerts[0].choices] == [
        "mod approve c1",
        "mod reject c1",
        "mod take a1",  # "I'm on it" (bot/safety/alerts.py)
    ]
    # Nothing held is lost: it waits in the queue with its words and its choices.
    queue = (await h.command("mona", "mod queue"))[0]
    assert "Celebration c1 — held ⚠️ possible crisis" in queue and "end my life" in queue
    assert "`mod approve c1`" in queue and ID not in queue
    assert "no celebrations to cheer here yet" in (await h.command(OTHER, "cheer 1"))[0]


async def test_a_held_celebration_approved_from_the_queue_is_posted_as_the_member_chose(harness):
    h = harness
    await h.command(ID, "celebrate a month sober but I want to end my life anonymous")
    await h.command("mona", "mod approve 1")  # a share's number: not the celebration
    assert celebration_posts(h) == []
    assert (await h.command("mona", "mod approve c1"))[0] == "Celebration c1 is posted as #1."
    await h.advance(minutes=1)
    posts = celebration_posts(h)
    assert len(posts) == 1 and "someone in our community" in posts[0] and ID not in posts[0]
    assert any("celebration #1 is posted now" in t for t in dms(h, ID))
    assert "The queue is empty" in (await h.command("mona", "mod queue"))[0]
    again = await h.command("mona", "mod approve c1")
    assert "isn't waiting for review" in again[0]
    assert "Cheer sent" in (await h.command(OTHER, "cheer 1"))[0]
    row = (await h.db.fetch("SELECT status, body FROM celebrations"))[0]
    assert row["status"] == "posted" and row["body"] is None  # the held words are gone


async def test_a_named_held_celebration_keeps_the_name_and_a_rejected_one_gets_care(harness):
    h = harness
    await h.command(ID, "celebrate I finally told my sister I want to kill myself")
    await h.command(OTHER, "celebrate I can't go on anymore, I want to die anonymous")
    assert "isn't waiting" not in (await h.command("mona", "mod approve c1"))[0]
    await h.advance(minutes=1)
    assert [p.split(":")[0] for p in celebration_posts(h)] == [f"🎉 A win from {ID}"]
    replies = await h.command("mona", "mod reject c2 we'd love to hear from you")
    assert replies[0] == "Celebration c2 won't be posted and its author has been told, with care."
    await h.advance(minutes=1)
    told = [s.message for s in h.adapter.sent if s.place.is_dm and s.place.target == OTHER]
    declined = [m for m in told if "celebration" in m.text and "with care" in m.text][-1]
    assert "decided not to" not in declined.text
    assert "we'd love to hear from you" in declined.text and "`resources`" in declined.text
    assert [c.command for c in declined.choices] == ["contact yes", "contact no"]
    assert "Cheer sent" not in (await h.command(ID, "cheer 2"))[0]
    assert len(celebration_posts(h)) == 1


# --- privacy and data rights ----------------------------------------------------------------


@pytest.mark.sqlite_only  # reads the database files
async def test_an_anonymous_celebration_stores_no_author_id(harness, db_url):
    h = harness
    await h.command(ID, "celebrate one month today anonymous")
    await h.command(ID, "milestone set sober 2026-02-24 anonymous")
    await h.advance(days=1)
    await h.command(OTHER, "cheer 1")
    await h.command(OTHER, "cheer 2")
    await h.advance(hours=1)
    assert sum("cheered your" in t for t in dms(h, ID)) == 2  # the sealed link still works
    for row in await h.db.fetch("SELECT * FROM celebrations"):
        assert row["member_id"] is None and ID not in row["owner"]
    member_id = await h.member_id(ID)
    channel_posts = await h.db.fetch("SELECT member_id FROM outbox WHERE place_kind = 'channel'")
    assert all(r["member_id"] != member_id for r in channel_posts)
    cheer_dms = await h.outbox_rows("cheers:")
    assert cheer_dms and all(r["member_id"] is None for r in cheer_dms)
    # In the raw files (database and WAL) the id appears nowhere: it is sealed.
    assert ID.encode() not in database_bytes(db_url)


@pytest.mark.sqlite_only  # reads the database files
async def test_mydata_export_and_delete_cover_milestones_and_celebrations(harness, db_url):
    h = harness
    await h.command(OTHER, "celebrate a year of therapy")  # #1, someone else's
    await h.command(ID, "milestone set sober 2026-02-20 public")
    await h.command(ID, "milestone reset sober 2026-02-25")
    await h.command(ID, "celebrate new job anonymous")  # #2
    await h.command(ID, "celebrate ran 5k")  # #3
    await h.command(ID, "cheer 1")
    await h.command(OTHER, "cheer 2")
    for _ in range(3):
        await h.command(ID, "checkin 4")
        await h.advance(days=1)
    await h.command(ID, "mydata export")
    data = json.loads(h.adapter.sent[-1].message.attachment.data)
    mine = data["milestones_and_celebrations"]
    assert mine["counters"][0]["name"] == "sober" and mine["counters"][0]["attempt"] == 2
    assert mine["counters"][0]["earlier_runs"] == [
        {"from": "2026-02-20", "to": "2026-02-25", "days": 5}
    ]
    assert mine["checkin_streak_milestones"][0]["celebrated_up_to_days"] == 3
    assert {(c["number"], c["anonymous"]) for c in mine["celebrations"]} >= {(2, True), (3, False)}
    assert mine["cheers_given"] == [{"community": "example", "number": 1}]
    assert OTHER not in json.dumps(data)

    member_id = await h.member_id(ID)
    await h.command(ID, "mydata delete confirm")
    assert await h.db.fetchval("SELECT count(*) FROM celebrations WHERE number IN (2, 3)") == 0
    assert await h.count("celebration_cheers") == 0  # theirs given, and those on their posts
    for table in ("milestone_counters", "streak_milestones"):
        assert await h.count(table) == 0, table
    assert (
        await h.db.fetchval("SELECT count(*) FROM celebrations WHERE member_id = $1", member_id)
        == 0
    )
    assert await h.db.fetchval("SELECT count(*) FROM celebrations") >= 1  # OTHER's stays
    assert ID.encode() not in database_bytes(db_url)


@pytest.mark.sqlite_only  # reads SQLite's catalog
async def test_the_milestone_tables_are_in_the_schema_with_cascades(harness):
    rows = await harness.db.fetch(
        'SELECT m.name, p."table", p.on_delete FROM sqlite_master m, '
        "pragma_foreign_key_list(m.name) p WHERE m.type = 'table'"
    )
    cascades = {(r[0], r[1]): r[2] for r in rows}
    assert cascades[("milestone_counters", "members")] == "CASCADE"
    assert cascades[("streak_milestones", "members")] == "CASCADE"
    assert cascades[("celebrations", "members")] == "CASCADE"
    assert cascades[("celebration_cheers", "celebrations")] == "CASCADE"


# --- the console playground ------------------------------------------------------------------


def test_the_milestones_example_script(tmp_path):
    script = (ROOT / "examples" / "milestones.txt").read_text()
    result = play(tmp_path, script, START.strftime("%Y-%m-%dT%H:%M"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    congratulation = [i for i, line in enumerate(lines) if "Today is 7 days" in line]
    assert len(congratulation) == 1 and lines[congratulation[0]].startswith("[dm:alice] 🎉")
    first_list = next(i for i, line in enumerate(lines) if "sober — 6 days" in line)
    assert first_list < congratulation[0]  # only once the clock passed her midnight
    channel = [line for line in lines if line.startswith("[#celebrations]")]
    assert channel == ["[#celebrations] Someone in our community reached 7 days 🎉"]
    assert "  → /cheer 1   Cheer" in lines
    assert not any("alice" in line for line in channel)
    cheer_dms = [line for line in lines if "cheered your celebration" in line]
    assert cheer_dms == ["[dm:alice] 🎉 2 people cheered your celebration #1."]
    final_list = [line for line in lines if "longest run" in line][-1]
    assert "longest run 7 days · 2 attempts · 7 days in total" in final_list


# --- names in public posts ------------------------------------------------------------------

DISCORD_LIKE = "1212914954403840000"


async def as_member(h: Harness, user: str, words: str, name: str | None) -> list[str]:
    """A command from a member whose platform shows them as `name` (None: no name given)."""
    member = Member("console", user)
    before = len(h.adapter.sent)
    await h.hearth.handle(
        CommandGiven(h.event_id(), member, Place.dm(member), words, display_name=name)
    )
    await h.hearth.settle()
    return [s.message.text for s in h.adapter.sent[before:]]


async def test_a_public_milestone_names_the_member_as_others_see_them_never_the_id(harness):
    h = harness
    await as_member(h, DISCORD_LIKE, "milestone set sober 2026-02-24 public", "Ana <@&42> 🌱")
    await as_member(h, "1190000000000000001", "milestone set sober 2026-02-24 public", None)
    await h.advance(days=1)
    posts = sorted(celebration_posts(h))
    assert posts == ["A member reached 7 days 🎉", "Ana <@&\u200b42> 🌱 reached 7 days 🎉"]
    assert not any("1212914954403840000" in p or "1190000000000000001" in p for p in posts)


async def test_a_named_win_and_streak_use_the_display_name(harness):
    h = harness
    await as_member(h, DISCORD_LIKE, "milestone visibility streak public", "Ana")
    reply = await as_member(h, DISCORD_LIKE, "celebrate a quiet good day", "Ana")
    assert "with your name" in reply[0]
    await as_member(h, "1190000000000000001", "celebrate my first week", None)
    for _ in range(3):
        await as_member(h, DISCORD_LIKE, "checkin 4", None)  # the name kept from before
        await h.advance(days=1)
    posts = celebration_posts(h)
    assert posts[:2] == [
        "🎉 A win from Ana:\na quiet good day",
        "🎉 A win from a member of our community:\nmy first week",
    ]
    assert "Ana checked in 3 days in a row 🎉" in posts
    assert not any(DISCORD_LIKE in p for p in posts)


async def test_the_display_name_is_sealed_exported_and_deleted_with_the_member(harness):
    h = harness
    await as_member(h, "ana", "milestone set sober 2026-02-24 public", "Ana Lighthouse")
    await as_member(h, "ana", "milestone list", "Ana Renamed")
    row = await h.db.fetchrow("SELECT * FROM member_names")
    assert row["member_id"] == await h.member_id("ana")
    assert "Ana" not in row["name"] and row["name"].startswith("hs1.")
    await h.advance(days=1)
    assert celebration_posts(h) == ["Ana Renamed reached 7 days 🎉"]
    await h.command("ana", "mydata export")
    export = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert export["member"]["display_name"] == "Ana Renamed"
    await h.command("ana", "mydata delete confirm")
    assert await h.count("member_names") == 0


async def test_a_key_rotation_reseals_the_display_name(harness):
    from bot.members import display_name
    from bot.rekey import rotate
    from bot.vault import Vault

    h = harness
    await as_member(h, "ana", "milestone list", "Ana")
    new = Vault(bytes(range(100, 132)))
    ana = await h.member_id("ana")
    assert await rotate(h.db, h.hearth.vault, new) > 0
    async with h.db.transaction() as tx:
        assert await display_name(tx, new, ana) == "Ana"


async def test_a_decided_held_celebration_is_marked_in_the_queue_channel(make_harness, db_url):
    """Issue 18 item 20: the other moderators see a held celebration was decided."""
    from tests.test_sharing_care import ReactingAdapter

    adapter = ReactingAdapter()
    h = await make_harness(adapter=adapter)
    await h.command(ID, "celebrate a month sober but I want to end my life anonymous")
    await h.command(OTHER, "celebrate I can't go on anymore, I want to die")
    await h.hearth.settle()
    alerts = [s for s in adapter.sent if s.place.target == "mod-queue"]
    assert len(alerts) == 2
    await h.command("mona", "mod approve c1")
    await h.command("mona", "mod reject c2 not for the channel")
    await h.advance(minutes=1)
    marks = [(target, emoji) for target, _, emoji in adapter.reactions]
    assert marks == [("mod-queue", "☑️"), ("mod-queue", "✖️")]
    first, second = (message_id for _, message_id, _ in adapter.reactions)
    assert first != second  # each on its own alert
