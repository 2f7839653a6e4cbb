"""Safety plans on the console: written one step at a time (a plain DM answers the
step asked), shown, changed, cleared; sealed at rest, exported and deleted; first in
the answer when Hearth hears a crisis; reminders the member chose."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.port import CommandGiven, Event, Member, MessagePosted, Place
from bot.texts import text
from tests.conftest import START, Harness, RecordingAdapter

ROOT = Path(__file__).resolve().parents[1]
SHARES = Place.channel("console", "shares")
# Distinctive, so a search of the database's bytes cannot hit by chance.
SIGNS = "When I stop answering Ana and sleep all day"
COPING = "Hot shower then a walk by the Elbe"
HELPERS = "Sister Ana 0151 2345678, sponsor Alex"
SAFER = "Ana keeps the spare car keys"


async def plain(h: Harness, user: str, words: str) -> list[str]:
    """A plain DM (not a command), as a member types one; the texts it was answered with."""
    member = Member("console", user)
    before = len(h.adapter.sent)
    await h.hearth.handle(MessagePosted(h.event_id(), member, Place.dm(member), words))
    await h.hearth.settle()
    return [s.message.text for s in h.adapter.sent[before:]]


async def write_plan(h: Harness, user: str = "sam") -> None:
    """Steps 1, 2, 4 and 6 in the member's words; 3 skipped, 5 kept as prefilled."""
    await h.command(user, "safetyplan edit")
    for answer in (SIGNS, COPING, "skip", HELPERS, "skip", SAFER):
        await plain(h, user, answer)


async def plan_row(h: Harness, user: str = "sam") -> dict | None:
    member_id = await h.member_id(user)
    row = await h.db.fetchrow("SELECT * FROM safety_plans WHERE member_id = $1", member_id)
    return None if row is None else dict(zip(row.keys(), tuple(row), strict=True))


async def test_a_plan_is_written_step_by_step_skipping_one_shown_and_a_step_edited(harness):
    h = harness
    (offer,) = await h.command("sam", "safetyplan")
    assert "A safety plan is a few lines you write for yourself" in offer

    (first,) = await h.command("sam", "safetyplan edit")
    assert "Step 1 of 6 — My warning signs" in first
    assert "Write your answer as your next message here" in first
    (second,) = await plain(h, "sam", SIGNS)
    assert second.startswith("Kept, in your words.") and "Step 2 of 6" in second
    await plain(h, "sam", COPING)
    (fourth,) = await plain(h, "sam", "skip")  # step 3 is left for another day
    assert fourth.startswith("That one can wait.") and "Step 4 of 6" in fourth
    (fifth,) = await plain(h, "sam", HELPERS)
    # Step 5 starts with the community's resources, for the member to keep or change.
    assert "Step 5 of 6 — Professionals and crisis lines" in fifth
    assert "Right now it says:\nFind A Helpline" in fifth
    await plain(h, "sam", "skip")
    (done,) = await plain(h, "sam", SAFER)
    assert "That's your plan." in done and "`safetyplan remind monthly`" in done

    (shown,) = await h.command("sam", "safetyplan")
    for words in (SIGNS, COPING, HELPERS, SAFER, "Find A Helpline"):
        assert words in shown
    assert "3 · People and places where I feel less alone\n— not written yet" in shown
    assert shown.index(SIGNS) < shown.index(COPING) < shown.index(HELPERS) < shown.index(SAFER)

    # One step changed in one line; another asked alone, answered by the next DM.
    (changed,) = await h.command("sam", "safetyplan edit 3 The library on Sundays")
    assert "Kept: “People and places where I feel less alone”" in changed
    (asked,) = await h.command("sam", "safetyplan edit 2")
    assert "Step 2 of 6" in asked and f"Right now it says:\n{COPING}" in asked
    (kept,) = await plain(h, "sam", "Tea and the playlist Ana made me")
    assert "Kept: “What helps me feel a little better”" in kept and "Step 3" not in kept
    (shown,) = await h.command("sam", "safetyplan")
    assert "The library on Sundays" in shown and "Tea and the playlist" in shown
    assert COPING not in shown
    # No step is asked any more: a plain DM is listened to as before, not stored.
    assert await plain(h, "sam", "thanks") == [text("safety.plain_words")]
    assert (await plan_row(h))["asking"] is None


async def test_words_sent_long_after_a_question_are_not_taken_for_an_answer(harness):
    h = harness
    await h.command("sam", "safetyplan edit")
    await h.advance(hours=3)
    assert await plain(h, "sam", "had tea with mum") == [text("safety.plain_words")]
    assert (await plan_row(h))["steps"] is None
    (nothing,) = await h.command("sam", "safetyplan skip")
    assert "We're not in the middle of a step" in nothing


async def test_cancel_stops_the_walk_and_keeps_what_was_written(harness):
    h = harness
    await h.command("sam", "safetyplan edit")
    await plain(h, "sam", SIGNS)
    (stopped,) = await plain(h, "sam", "cancel")
    assert "Stopped here" in stopped
    (shown,) = await h.command("sam", "safetyplan")
    assert SIGNS in shown and shown.count("— not written yet") == 5


async def test_a_crisis_checkin_is_answered_with_the_plans_own_words_before_the_resources(harness):
    h = harness
    await write_plan(h)
    h.adapter.clear()
    replies = await h.command("sam", "checkin 2 I want to kill myself tonight")
    plan_at = next(i for i, r in enumerate(replies) if "You wrote this for a moment like" in r)
    resources_at = next(i for i, r in enumerate(replies) if "Find A Helpline" in r)
    assert plan_at < resources_at
    lead = replies[plan_at]
    assert COPING in lead and HELPERS in lead  # what helps, who they can reach
    assert SIGNS not in lead and SAFER not in lead
    assert not any("write yourself a safety plan" in r for r in replies)
    # Plain words that sound like a crisis are met the same way.
    replies = await plain(h, "sam", "I can't go on, I want to end my life")
    assert "You wrote this for a moment like" in replies[0] and COPING in replies[0]


async def test_without_a_plan_the_resources_and_one_offer_never_twice(harness):
    h = harness
    replies = await h.command("bob", "checkin 2 I want to kill myself")
    resources_at = next(i for i, r in enumerate(replies) if "Find A Helpline" in r)
    offers = [i for i, r in enumerate(replies) if "write yourself a safety plan" in r]
    assert offers and offers[0] > resources_at and len(offers) == 1
    await h.advance(days=1)
    again = await h.command("bob", "checkin 1")  # the softer signal, another day
    assert any("I'm sorry today is a hard one" in r for r in again)
    assert not any("write yourself a safety plan" in r for r in again)
    await h.advance(days=1)
    again = await plain(h, "bob", "I want to die")
    assert not any("write yourself a safety plan" in r for r in again)
    assert (await plan_row(h, "bob"))["offered"] == 1


async def test_a_crisis_share_leads_with_the_plan_and_writes_nothing_to_the_authors_row(harness):
    h = harness
    replies = await h.command("bob", "share I want to kill myself")
    assert any("Find A Helpline" in r for r in replies)
    # No offer: remembering it would write to Bob's row at the moment of an anonymous share.
    assert not any("write yourself a safety plan" in r for r in replies)
    assert await h.count("safety_plans") == 0
    await write_plan(h)
    replies = await h.command("sam", "share I want to end my life")
    plan_at = next(i for i, r in enumerate(replies) if "You wrote this for a moment like" in r)
    resources_at = next(i for i, r in enumerate(replies) if "Find A Helpline" in r)
    assert plan_at < resources_at and HELPERS in replies[plan_at]


async def test_a_mood_one_checkin_leads_with_the_plan_at_most_once_a_day(harness):
    h = harness
    await write_plan(h)
    first = await h.command("sam", "checkin 1")
    assert "You wrote this for a moment like" in first[1] and COPING in first[1]
    assert "I'm sorry today is a hard one" in first[2]
    second = await h.command("sam", "checkin 1")
    assert not any("You wrote this" in r for r in second)
    await h.advance(days=1)
    third = await h.command("sam", "checkin 1")
    assert any("You wrote this" in r for r in third)


async def test_words_that_sound_like_a_crisis_in_a_step_are_kept_and_met_with_care(harness):
    h = harness
    await h.command("sam", "safetyplan edit")
    replies = await plain(h, "sam", "I start thinking I want to kill myself")
    assert replies[0].startswith("I've kept that in your plan")
    assert any("Find A Helpline" in r for r in replies)
    assert not any("Step 2 of 6" in r for r in replies)  # no next question now
    assert (await plan_row(h))["asking"] is None


@pytest.mark.sqlite_only  # reads the database files
async def test_the_plan_is_sealed_not_in_the_databases_bytes(harness, db_url):
    h = harness
    await write_plan(h)
    await h.command("sam", "safetyplan edit 3 The library on Sundays")
    folder = Path(db_url.removeprefix("sqlite:///")).parent
    raw = b"".join(p.read_bytes() for p in folder.glob("hearth.db*"))
    for words in (SIGNS, COPING, HELPERS, SAFER, "library on Sundays", "0151 2345678"):
        assert words.encode() not in raw, words
    assert (await plan_row(h))["steps"]  # there, sealed


async def test_the_plan_is_in_the_export_and_gone_with_mydata_delete(harness):
    h = harness
    await write_plan(h)
    await h.command("sam", "safetyplan remind monthly")
    await h.command("sam", "mydata export")
    exported = next(s for s in h.adapter.sent if s.message.attachment is not None)
    data = json.loads(exported.message.attachment.data)
    plan = data["safety_plan"]
    words = {step["step"]: step["words"] for step in plan["steps"]}
    assert words[1] == SIGNS and words[4] == HELPERS and words[3] is None
    assert plan["reminders"] == "monthly" and plan["next_reminder_at"]

    await h.command("sam", "mydata delete confirm")
    assert await h.count("safety_plans") == 0
    assert await h.count("members") == 0


async def test_clear_asks_first_then_removes_the_plan(harness):
    h = harness
    await write_plan(h)
    (asked,) = await h.command("sam", "safetyplan clear")
    assert "Are you sure?" in asked
    assert SIGNS in (await h.command("sam", "safetyplan"))[0]
    (cleared,) = await h.command("sam", "safetyplan clear confirm")
    assert "Your plan is cleared" in cleared
    assert "A safety plan is a few lines" in (await h.command("sam", "safetyplan"))[0]
    assert (await plan_row(h))["steps"] is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("safetyplan edit 7 something", "There are six steps, 1 to 6"),
        ("safetyplan edit signs", "There are six steps, 1 to 6"),
        ("safetyplan edit 2 " + "x" * 501, "That's 501 characters; a step holds up to 500"),
        ("safetyplan remind weekly", "`safetyplan remind monthly`"),
        ("safetyplan skip", "We're not in the middle of a step"),
        ("safetyplan cancel", "We're not in the middle of a step"),
        ("safetyplan clear", "There's no plan to clear"),
        ("safetyplan burn", "I don't know `safetyplan burn`"),
    ],
)
async def test_bad_input_is_met_kindly_and_writes_nothing(harness, typed, says):
    h = harness
    (answer,) = await h.command("sam", typed)
    assert says in answer
    assert await h.count("safety_plans") == 0


async def test_a_step_answered_too_long_or_blank_is_refused_and_still_asked(harness):
    h = harness
    await h.command("sam", "safetyplan edit")
    (refused,) = await plain(h, "sam", "x" * 600)
    assert "a step holds up to 500" in refused
    (refused,) = await plain(h, "sam", "\u200b")
    assert "That came through empty" in refused
    assert (await plan_row(h))["asking"] == 1 and (await plan_row(h))["steps"] is None
    (next_step,) = await plain(h, "sam", SIGNS)
    assert "Step 2 of 6" in next_step


class WithdrawingAdapter(RecordingAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.withdrawn: list[Event] = []

    async def withdraw(self, event: Event) -> None:
        self.withdrawn.append(event)


async def test_typed_in_a_channel_it_is_withdrawn_and_refused(make_harness):
    adapter = WithdrawingAdapter()
    h = await make_harness(adapter=adapter)
    typed = CommandGiven("e-room", Member("console", "sam"), SHARES, f"safetyplan edit 1 {SIGNS}")
    await h.hearth.handle(typed)
    await h.hearth.settle()
    assert adapter.withdrawn == [typed]
    (answer,) = [s.message.text for s in adapter.sent]
    assert "Your safety plan is just for you" in answer
    assert await h.count("safety_plans") == 0


async def test_moderators_never_see_a_plan(harness):
    h = harness
    await write_plan(h)
    await h.command("sam", "checkin 2 I want to kill myself")
    await h.command("sam", "contact yes")
    await h.command("mona", "mod queue", place=Place.channel("console", "mod-queue"))
    await h.command("mona", "mod stats", place=Place.channel("console", "mod-queue"))
    others = [s.message.text for s in h.adapter.sent if s.place.target != "sam"]
    assert others
    for words in (SIGNS, COPING, HELPERS, SAFER):
        assert not any(words in t for t in others)


async def test_monthly_reminders_come_at_local_time_outside_quiet_hours(harness):
    h = harness
    await write_plan(h)
    await h.command("sam", "checkin schedule 09:00 daily Europe/Berlin")  # sets the zone
    await h.advance(hours=12)  # 20:00 in Berlin
    (answer,) = await h.command("sam", "safetyplan remind monthly")
    assert "around 20:00 your time" in answer and "Apr 2, 2026" in answer

    def reminders() -> list[str]:
        return [t for t in h.adapter.texts("sam") if t.startswith("A gentle monthly hello")]

    # 20:00 in Berlin on 2 April is 18:00 UTC: summer time began on 29 March.
    await h.advance_to(START + timedelta(days=31, hours=10, minutes=59))
    assert reminders() == []
    await h.advance_to(START + timedelta(days=31, hours=11, minutes=1))
    assert len(reminders()) == 1
    # Quiet hours over the reminder's time: it waits until they end.
    await h.command("sam", "checkin quiet 19:00-22:00")
    await h.advance_to(START + timedelta(days=61, hours=12))  # 2 May, 21:00 Berlin
    assert len(reminders()) == 1
    await h.advance_to(START + timedelta(days=61, hours=13, minutes=1))  # 22:01 Berlin
    assert len(reminders()) == 2
    (off,) = await h.command("sam", "safetyplan remind off")
    assert "No more reminders" in off
    await h.advance(days=40)
    assert len(reminders()) == 2


def test_the_example_script_plays_cleanly(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text())  # relative data/ paths
    script = (ROOT / "examples" / "safetyplan.txt").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config), "--fresh"]
        + ["--clock", "2026-03-02T07:00"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr and "went wrong" not in out
    assert out.index("You wrote this for a moment like") < out.index("• Samaritans")
    assert out.count("A gentle monthly hello") == 1
    assert "Your plan is cleared" in out
