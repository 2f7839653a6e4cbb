"""Crisis care, resources, contact requests and the privacy card (SPEC §4)."""

from __future__ import annotations

import logging

from bot.safety.care import alert_moderators
from bot.safety.crisis import check_text
from tests.conftest import Harness

CRISIS_NOTE = "honestly I want to end my life tonight"


def mod_queue_texts(h: Harness) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.place.target == "mod-queue"]


async def test_crisis_note_gets_resources_at_once_and_forwards_nothing(harness):
    h = harness
    replies = await h.command("sam", f"checkin 2 {CRISIS_NOTE}")
    assert replies[0].startswith("Saved")
    assert "emergency number" in replies[1] and "Find A Helpline" in replies[1]
    assert replies[1].count("• ") <= 3
    assert "Would you like a moderator to reach out" in replies[2]
    assert "write yourself a safety plan" in replies[3]  # once ever, without a plan
    (asked,) = [s for s in h.adapter.sent if "Would you like a moderator" in s.message.text]
    assert [c.command for c in asked.message.choices] == ["contact yes", "contact no"]
    await h.advance(hours=1)
    assert mod_queue_texts(h) == []  # nothing was forwarded
    assert all(s.place.is_dm for s in h.adapter.sent)


async def test_accepting_contact_tells_moderators_who_not_what(harness):
    h = harness
    await h.command("sam", f"checkin 2 {CRISIS_NOTE}")
    replies = await h.pick("sam", "contact yes")
    await h.hearth.settle()
    assert "let the moderators know" in replies[0]
    alerts = mod_queue_texts(h)
    assert len(alerts) == 1
    assert "sam" in alerts[0]
    assert "end my life" not in alerts[0] and "tonight" not in alerts[0]
    # Asking again does not pile up alerts.
    await h.pick("sam", "contact yes")
    await h.hearth.settle()
    assert len(mod_queue_texts(h)) == 1


async def test_declining_contact_tells_no_one(harness):
    await harness.command("sam", f"checkin 2 {CRISIS_NOTE}")
    await harness.pick("sam", "contact no")
    await harness.hearth.settle()
    assert mod_queue_texts(harness) == []


async def test_ordinary_notes_with_look_alike_words_do_not_fire(harness):
    for note in (
        "killing it at work today",
        "the battery died on the bus",
        "cutting the cake for mum",
        "studied all evening, harmless fun",
        "I could die laughing at that film",
    ):
        replies = await harness.command("sam", f"checkin 4 {note}")
        assert len(replies) == 1 and replies[0].startswith("Saved"), note


async def test_mood_one_gets_a_gentle_note_at_most_once_a_day(harness):
    h = harness
    first = await h.command("sam", "checkin 1")
    assert len(first) == 3 and "hard one" in first[1] and "emergency number" in first[1]
    assert "write yourself a safety plan" in first[2]  # offered once ever, never again
    second = await h.command("sam", "checkin 1")
    assert len(second) == 1
    await h.advance(days=1)
    third = await h.command("sam", "checkin 1")
    assert len(third) == 2


async def test_resources_reach_a_member_whose_checkin_is_refused(harness):
    long_note = "x" * 1000 + " I am going to kill myself"
    replies = await harness.command("sam", f"checkin 2 {long_note}")
    assert "notes can be up to 1000" in replies[0]
    assert "emergency number" in replies[1]
    assert await harness.count("checkins") == 0


async def test_resources_command_is_short_and_local(harness):
    await harness.command("sam", "checkin schedule 09:00 Europe/Berlin")
    replies = await harness.command("sam", "resources")
    assert "TelefonSeelsorge" in replies[0]  # the member's country, from their time zone
    assert 2 <= replies[0].count("• ") <= 3
    assert "not a crisis service" in replies[0]


async def test_resources_reach_an_unreachable_member(harness):
    h = harness
    h.adapter.unreachable.add("sam")
    await h.command("sam", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)  # the prompt fails: sam is marked unreachable
    replies = await h.command("sam", "resources")
    assert any("emergency number" in r for r in replies)


async def test_moderator_alert_says_what_and_why_never_who(harness):
    h = harness
    text = "I keep thinking about suicide"
    match = check_text(text)
    assert match is not None
    async with h.db.transaction() as tx:
        queued = await alert_moderators(
            tx,
            h.hearth.vault,
            h.hearth.config.communities[0],
            what="share #4",
            reference="share:4",
            text=text,
            match=match,
            now=h.clock.now(),
        )
    assert queued
    await h.hearth.settle()
    alert = mod_queue_texts(h)[0]
    assert "share #4" in alert and "suicide" in alert and "held back" in alert


async def test_privacy_card_names_the_key_holder(harness):
    replies = await harness.command("sam", "privacy")
    assert "operator" in replies[0] and "secret key" in replies[0]
    assert "mydata export" in replies[0] and "mydata delete" in replies[0]


async def test_no_note_text_in_logs_at_debug(harness, caplog):
    h = harness
    caplog.set_level(logging.DEBUG)
    secret_words = "zebra-lantern-quietude"
    await h.command("sam", f"checkin 3 {secret_words} {CRISIS_NOTE}")
    await h.pick("sam", "contact yes")
    await h.command("sam", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(days=2)
    await h.command("sam", f"checkin 9 {secret_words}")  # refused
    await h.command("sam", "mydata export")
    await h.command("sam", "checkin history")
    logged = "\n".join(r.getMessage() + str(r.args) + str(r.exc_text) for r in caplog.records)
    assert caplog.records  # the scenario did log things
    assert secret_words not in logged
    assert "end my life" not in logged
