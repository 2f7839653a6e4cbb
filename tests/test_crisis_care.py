"""Crisis care that loses nothing it holds and does not repeat itself (issue 16, items 5-8):
held items in `mod queue`, words for a declined crisis item, resources not repeated within
the hour, the contact offer not repeated once answered, safe messaging, and resources per
country and language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.safety.care import CARE_OPENING, CONTACT_OFFER, RESOURCES_POINTER
from bot.safety.crisis import LANGUAGES, touches_topic
from bot.safety.resources import (
    EMERGENCY_LINE,
    INTERNATIONAL,
    load_default_resources,
    pick_resources,
)
from tests.conftest import Harness
from tests.test_console import play

CORPUS = Path(__file__).parent / "corpus" / "crisis"
MOD = "mona"


def dms(h: Harness, user: str) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.place.is_dm and s.place.target == user]


def channel(h: Harness, name: str) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.event is None and s.place.target == name]


# --- nothing held is lost ---------------------------------------------------------------


async def test_every_held_item_is_in_the_queue_with_its_words_and_choices(harness):
    h = harness
    await h.command("bob", "share Evenings are the hardest part.")  # vetting: waits
    await h.command("mona", "mod approve 1")
    await h.command("ana", "reply 1 I want to end my life")
    await h.command("cleo", "share I can't go on, I want to die")
    await h.command("dee", "celebrate two weeks clean but I want to kill myself anonymous")
    queue = (await h.command(MOD, "mod queue"))[0]
    assert "Reply #1.1 — held ⚠️ possible crisis: I want to end my life" in queue
    assert "`mod approve 1.1` / `mod reject 1.1`" in queue
    assert "Share #2 — held ⚠️ possible crisis: I can't go on, I want to die" in queue
    assert "Celebration c1 — held ⚠️ possible crisis: two weeks clean" in queue
    assert "`mod approve c1` / `mod reject c1`" in queue
    for who in ("ana", "cleo", "dee"):
        assert who not in queue


async def test_a_recovery_win_is_posted_not_held(harness):
    h = harness
    replies = await h.command("bob", "celebrate one month without self-harm anonymous")
    assert replies[0].startswith("Posted as celebration #1, without your name")
    await h.advance(minutes=1)
    assert channel(h, "celebrations") == [
        "🎉 A win from someone in our community:\none month without self-harm"
    ]


# --- declined with care ------------------------------------------------------------------


async def test_a_rejected_crisis_share_gets_care_and_the_contact_offer_until_answered(harness):
    h = harness
    await h.command("bob", "share I can't go on, I want to die")
    reply = await h.command(MOD, "mod reject 1")
    assert reply[0] == "Share #1 won't be posted and its author has been told, with care."
    declined = [s.message for s in h.adapter.sent if s.place.target == "bob"][-1]
    assert "with care" in declined.text and "decided not to post" not in declined.text
    assert CONTACT_OFFER in declined.text
    assert [c.command for c in declined.choices] == ["contact yes", "contact no"]
    # Once answered, the offer is not made again (the care still is).
    await h.command("bob", "contact no")
    await h.command("bob", "share I want to kill myself")
    assert not any(CONTACT_OFFER in t for t in await h.command("bob", "checkin 2 I want to die"))
    await h.command(MOD, "mod reject 2")
    declined = [s.message for s in h.adapter.sent if s.place.target == "bob"][-1]
    assert "with care" in declined.text and CONTACT_OFFER not in declined.text
    assert declined.choices == ()
    # A week later it is offered again.
    await h.advance(days=8)
    assert any(CONTACT_OFFER in t for t in await h.command("bob", "checkin 2 I want to die"))


async def test_an_ordinary_rejection_keeps_its_plain_words(harness):
    h = harness
    await h.command("bob", "share The meeting on Friday was good.")
    await h.command(MOD, "mod reject 1 off topic")
    assert "decided not to post your share #1. The moderator's note: off topic" in dms(h, "bob")[-1]


async def test_a_rejected_held_reply_gets_care(harness):
    h = harness
    await h.command("bob", "share Evenings are the hardest part.")
    await h.command(MOD, "mod approve 1")
    await h.command("ana", "reply 1 I want to end my life")
    reply = await h.command(MOD, "mod reject 1.1")
    assert reply[0] == "Reply #1.1 won't be posted and its author has been told, with care."
    assert "A moderator read your reply #1.1 with care" in dms(h, "ana")[-1]


# --- resources not repeated within the hour --------------------------------------------


async def test_resources_shown_within_the_hour_become_a_short_pointer(harness):
    h = harness
    first = await h.command("bob", "checkin 1")
    assert sum(EMERGENCY_LINE in t for t in first) == 1  # the low-mood note, with resources
    second = await h.command("bob", "checkin 1 I want to kill myself")
    assert not any(EMERGENCY_LINE in t for t in second)
    assert RESOURCES_POINTER in second and any(CONTACT_OFFER in t for t in second)
    # `resources` always shows them again.
    assert EMERGENCY_LINE in (await h.command("bob", "resources"))[0]
    await h.advance(minutes=61)
    again = await h.command("bob", "said I want to die")
    assert again[0].startswith(CARE_OPENING) and EMERGENCY_LINE in again[0]


async def test_someone_else_still_gets_the_whole_list(harness):
    h = harness
    await h.command("bob", "said I want to die")
    other = await h.command("ana", "said I want to die")
    assert other[0].startswith(CARE_OPENING)


# --- safe messaging ----------------------------------------------------------------------


async def test_a_share_describing_a_method_is_held_with_a_kind_request(harness):
    h = harness
    replies = await h.command("bob", "share I took 30 of my pills last night and I want to die")
    assert "wasn't posted" in replies[0]
    assert "could you write it again without them?" in replies[0]
    assert "not allowed" not in replies[0].lower()
    plain = await h.command("ana", "share I want to die")
    assert "write it again" not in plain[0]


async def test_a_published_share_that_speaks_of_self_harm_carries_the_help_line(harness):
    h = harness
    await h.command("bob", "share One year without self-harm today. It gets easier.")
    await h.command("ana", "share My dog learned a new trick.")
    await h.command(MOD, "mod approve 1")
    await h.command(MOD, "mod approve 2")
    posts = channel(h, "shares")
    assert len(posts) == 2
    assert posts[0].endswith("DM me `resources`: people who listen, any time.")
    assert "resources" not in posts[1]


def test_the_topic_check_hears_recovery_and_grief_but_not_films_or_figures_of_speech():
    for text in (
        "one month without self-harm",
        "I haven't had suicidal thoughts in a year",
        "my friend died by suicide last spring",
        "Ich habe mich seit einem Jahr nicht mehr selbst verletzt",
    ):
        assert touches_topic(text), text
    for text in ("Suicide Squad was great", "this heat is killing me", "dead tired", "ran 5k"):
        assert not touches_topic(text), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_crisis_sentence_of_the_corpus_touches_the_topic(language):
    lines = (CORPUS / f"{language}.crisis.txt").read_text(encoding="utf-8").splitlines()
    sentences = [line for line in lines if line.strip() and not line.startswith("#")]
    missed = [s for s in sentences if not touches_topic(s)]
    # The topic check reads the same phrases as the crisis check: what one hears, both do.
    assert len(missed) <= len(sentences) * 0.05, missed


# --- resources per country and language --------------------------------------------------


def test_each_language_has_a_service_of_its_own_with_source_and_date():
    entries = load_default_resources()
    for language in LANGUAGES:
        own = [e for e in entries if e.region != INTERNATIONAL and language in e.languages]
        assert own, language
        assert all(e.source.startswith("https://") and e.verified for e in own)


@pytest.mark.parametrize(
    ("region", "language", "first"),
    [
        ("DE", None, "TelefonSeelsorge"),
        ("AT", "de", "TelefonSeelsorge Österreich"),
        ("BE", "nl", "Zelfmoordlijn 1813"),
        ("BE", "fr", "Centre de Prévention du Suicide"),
        ("BR", "pt", "CVV, Centro de Valorização da Vida"),
        (None, "pl", "Centrum Wsparcia dla Osób w Stanie Kryzysu Psychicznego"),
        (None, "es", "Línea 024 de atención a la conducta suicida"),
        ("GB", "de", "Samaritans"),  # the country comes before the language
    ],
)
def test_a_member_gets_the_service_of_their_country_then_of_their_language(region, language, first):
    chosen = pick_resources((), region_hint=region, language=language)
    assert chosen[0].name == first
    assert chosen[-1].region == INTERNATIONAL


def test_english_alone_does_not_guess_a_country():
    assert [e.region for e in pick_resources((), language="en")] == [INTERNATIONAL]


async def test_a_crisis_in_german_brings_a_german_speaking_service(harness):
    h = harness
    await h.command("bob", "checkin schedule 20:00 Europe/Vienna")
    replies = await h.command("bob", "said Ich will nicht mehr leben")
    assert "TelefonSeelsorge Österreich — call 142" in replies[0]


# --- in the console, as a member and a moderator play it ---------------------------------


def test_crisis_care_in_the_console(tmp_path):
    script = "\n".join(
        [
            "as ann",
            "in dm",
            "/share Evenings are the hardest part.",
            "as mona",
            "in #mod-queue",
            "/mod approve 1",
            "as bob",
            "in dm",
            "/celebrate one month without self-harm anonymous",
            "/checkin 1",
            "/checkin 1 I want to kill myself tonight",
            "/share I can't do this anymore, I want to die. I have 40 of my pills ready",
            "as carol",
            "in dm",
            "/reply 1 same, I want to end my life",
            "/celebrate I wish I was dead anonymous",
            "as mona",
            "in #mod-queue",
            "/mod queue",
            "/mod reject 2",
            "/mod approve c2",
        ]
    )
    result = play(tmp_path, script, clock="2026-03-02T18:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[#celebrations] 🎉 A win from someone in our community:\n  one month without" in out
    bob = "\n".join(line for line in out.split("\n[") if line.startswith("dm:bob]"))
    assert bob.count("• Samaritans") == 1  # shown once; the crisis note within the hour points
    assert RESOURCES_POINTER in bob
    assert "could you write it again without them?" in bob
    queue = out[out.index("The queue:") :]
    assert "Share #2 — held ⚠️ possible crisis: I can't do this anymore" in queue
    assert "Reply #1.1 — held ⚠️ possible crisis: same, I want to end my life" in queue
    assert "Celebration c2 — held ⚠️ possible crisis: I wish I was dead" in queue
    declined = out[out.index("[dm:bob] A moderator read your share #2 with care.") :]
    assert CONTACT_OFFER in declined.split("\n[")[0] and "/contact yes" in declined
    assert "Celebration c2 is posted as #2." in out
    assert "Traceback" not in out + result.stderr


async def test_a_held_celebration_is_in_the_export_and_goes_with_mydata_delete(harness):
    h = harness
    await h.command("dee", "celebrate two weeks clean but I want to kill myself anonymous")
    await h.command("dee", "celebrate my first painting")
    await h.command("dee", "mydata export")
    export = json.loads(h.adapter.sent[-1].message.attachment.data)
    celebrations = export["milestones_and_celebrations"]["celebrations"]
    held = [c for c in celebrations if c["status"] == "held"]
    assert len(held) == 1 and "two weeks clean" in held[0]["words_while_held"]
    rows = await h.db.fetch("SELECT status, body FROM celebrations ORDER BY number")
    assert [r["status"] for r in rows] == ["held", "posted"]
    assert rows[0]["body"] and "kill" not in rows[0]["body"]  # sealed
    await h.command("dee", "mydata delete")
    await h.command("dee", "mydata delete confirm")
    assert await h.db.fetch("SELECT * FROM celebrations") == []
    assert "The queue is empty" in (await h.command(MOD, "mod queue"))[0]
