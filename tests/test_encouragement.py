"""Encouragement notes as members and moderators meet them (SPEC §2 "Peers supporting
peers", issue 20 item 2): a kind note written for "someone having a hard day",
checked like a share, delivered by DM after a low check-in to a member who asked,
thanked anonymously — and never after words that sounded like a crisis."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from bot.config import Config, Peers, Sharing
from bot.port import Member, MessagePosted, Place
from bot.vault import Vault
from tests import attacker
from tests.conftest import SECRET, Harness, community

MOD_QUEUE = Place.channel("console", "mod-queue")
NOTE = "You got through yesterday. Be gentle with yourself today."
FOR_A_DAY_LIKE_TODAY = "Someone in our community wrote this for a day like today"


async def notes_harness(make_harness, db_url, **sharing: object) -> Harness:
    settings = dataclasses.replace(Sharing(), **sharing)
    return await make_harness(
        config=Config(database=db_url, communities=(community(sharing=settings),))
    )


def dms(h: Harness, user: str) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.place.is_dm and s.place.target == user]


def notes_to(h: Harness, user: str) -> list[str]:
    return [text for text in dms(h, user) if FOR_A_DAY_LIKE_TODAY in text]


async def mod(h: Harness, text: str) -> list[str]:
    return await h.command("mona", f"mod {text}", place=MOD_QUEUE)


async def written_and_approved(h: Harness, writer: str = "wren", words: str = NOTE) -> None:
    replies = await h.command(writer, f"encourage {words}")
    assert "with the moderators" in replies[0]
    await mod(h, "approve e1")


async def test_a_low_check_in_brings_one_vetted_note_at_most_one_a_day(harness):
    h = harness
    await h.command("wren", f"encourage {NOTE}")
    queue = [m.text for m in h.adapter.in_channel("mod-queue")]
    assert queue and "Encouragement note e1 waits for review" in queue[-1] and NOTE in queue[-1]
    assert all("wren" not in text for text in queue)
    assert "`checkin encouragement off`" in (await h.command("lou", "checkin encouragement on"))[0]
    # Not yet approved: nothing to receive.
    await h.command("lou", "checkin 2")
    assert notes_to(h, "lou") == []
    listed = await mod(h, "queue")
    assert "Encouragement note e1 — waiting for review" in listed[0]
    assert "approved" in (await mod(h, "approve e1"))[0]
    await h.hearth.settle()
    assert any("was approved" in text for text in dms(h, "wren"))

    await h.advance(days=1)
    await h.command("lou", "checkin 2")
    (note,) = notes_to(h, "lou")
    assert NOTE in note and "wren" not in note
    choice = next(s for s in h.adapter.sent if FOR_A_DAY_LIKE_TODAY in s.message.text)
    assert [c.command for c in choice.message.choices] == ["encourage thanks 1"]
    # A second low check-in the same day brings nothing more, nor does a good one.
    await h.command("lou", "checkin 1")
    await h.command("lou", "checkin 4")
    assert len(notes_to(h, "lou")) == 1
    # Another day: never the same note twice.
    await h.advance(days=1)
    await h.command("lou", "checkin 2")
    assert len(notes_to(h, "lou")) == 1
    # Someone who did not ask gets none; nor does the writer get their own.
    await h.command("wren", "checkin encouragement on")
    for who in ("kit", "wren"):
        await h.command(who, "checkin 1")
        assert notes_to(h, who) == []
    # Off means off.
    await h.command("wren", "checkin encouragement off")
    assert "are off" in (await h.command("wren", "checkin encouragement"))[0]


async def test_without_vetting_a_note_is_ready_at_once(make_harness, db_url):
    h = await notes_harness(make_harness, db_url, vetting=False)
    assert "ready for someone" in (await h.command("wren", f"encourage {NOTE}"))[0]
    assert h.adapter.in_channel("mod-queue") == []
    await h.command("lou", "checkin encouragement on")
    await h.command("lou", "checkin 1")
    assert len(notes_to(h, "lou")) == 1


async def test_a_thank_you_reaches_the_writer_without_naming_anyone(harness):
    h = harness
    await written_and_approved(h)
    for reader in ("lou", "kit"):
        await h.command(reader, "checkin encouragement on")
        await h.command(reader, "checkin 2")
        assert len(notes_to(h, reader)) == 1
    assert "reach the writer" in (await h.pick("lou", "encourage thanks 1"))[0]
    assert "already" in (await h.pick("lou", "encourage thanks 1"))[0]
    await h.pick("kit", "encourage thanks 1")
    # Only someone the note reached can thank it.
    assert "reached you" in (await h.pick("pat", "encourage thanks 1"))[0]
    assert [t for t in dms(h, "wren") if "said thank you" in t] == []
    await h.advance(minutes=20)  # the relay's window
    (thanked,) = [t for t in dms(h, "wren") if "thank you" in t and "reached" in t]
    assert "2 people" in thanked and "You got through yesterday" in thanked
    assert "lou" not in thanked and "kit" not in thanked
    # /metrics counts for the deployment, never a member.
    scraped = h.hearth.metrics.exposition().decode()
    for outcome, count in (("written", 1), ("delivered", 2), ("thanked", 2)):
        assert f'hearth_encouragement_notes_total{{outcome="{outcome}"}} {count}.0' in scraped
    assert not any(who in scraped for who in ("wren", "lou", "kit", "example"))


async def test_a_crisis_check_in_brings_resources_and_no_note(harness):
    h = harness
    await written_and_approved(h)
    await h.command("lou", "checkin encouragement on")
    replies = await h.command("lou", "checkin 2 I want to end my life")
    assert any("you don't have to carry this alone" in r for r in replies)
    assert notes_to(h, "lou") == []
    # A plain DM that sounded like a crisis: no stranger's note after it that day.
    await h.command("kit", "checkin encouragement on")
    kit = Member("console", "kit")
    await h.hearth.handle(
        MessagePosted(h.event_id(), kit, Place.dm(kit), "I can't go on, I want to kill myself")
    )
    assert any("carry this alone" in text for text in dms(h, "kit"))
    await h.command("kit", "checkin 2")
    assert notes_to(h, "kit") == []
    await h.advance(days=1, hours=1)
    await h.command("kit", "checkin 2")
    assert len(notes_to(h, "kit")) == 1


async def test_a_note_that_sounds_like_a_crisis_is_held_and_its_writer_cared_for(harness):
    h = harness
    replies = await h.command("wren", "encourage I want to die too, honestly")
    assert "keeping your note back" in replies[0]
    assert any("you don't have to carry this alone" in r for r in replies)
    await h.hearth.settle()
    alert = [m.text for m in h.adapter.in_channel("mod-queue")]
    assert any("Possible crisis in encouragement note e1" in t for t in alert)
    assert all("wren" not in t for t in alert)
    assert "held ⚠️ possible crisis" in (await mod(h, "queue"))[0]
    await mod(h, "reject e1")
    await h.hearth.settle()
    assert any("read your encouragement note with care" in t for t in dms(h, "wren"))
    body = await h.db.fetchval("SELECT body FROM encouragement_notes WHERE number = 1")
    assert body is None
    await h.command("lou", "checkin encouragement on")
    await h.command("lou", "checkin 2")
    assert notes_to(h, "lou") == []


@pytest.mark.parametrize(
    ("words", "refused"),
    [
        ("x" * 501, "can have up to 500"),
        ("call me at +49 170 1234567 any time", "a phone number"),
        ("write to me: wren@example.org", "an e-mail address"),
        ("", "What would you like to tell someone"),
        ("this is a badword here", "a word this community doesn't post"),
    ],
)
async def test_bad_notes_are_refused_kindly_and_nothing_is_written(
    make_harness, db_url, words, refused
):
    h = await notes_harness(make_harness, db_url, blocked_terms=("badword",))
    replies = await h.command("wren", f"encourage {words}")
    assert refused in replies[0]
    assert await h.count("encouragement_notes") == 0


async def test_the_cooldown_and_the_dm_only_rule(harness):
    h = harness
    await h.command("wren", f"encourage {NOTE}")
    assert "another note in about 10 minutes" in (await h.command("wren", "encourage more"))[0]
    in_channel = await h.command("kit", "encourage hello", place=Place.channel("console", "shares"))
    assert "direct message" in in_channel[0]
    assert await h.count("encouragement_notes") == 1
    assert "checkin encouragement on" in (await h.command("kit", "checkin encouragement maybe"))[0]


async def test_help_and_privacy_mention_encouragement(harness):
    h = harness
    assert "`encourage`" in (await h.command("lou", "help"))[0]
    assert "checkin encouragement on|off" in (await h.command("lou", "help checkin"))[0]
    assert "Encouragement notes carry no name" in (await h.command("lou", "privacy"))[0]


async def test_export_and_delete(harness):
    h = harness
    await written_and_approved(h)
    await h.command("lou", "checkin encouragement on")
    await h.command("lou", "checkin 2")
    await h.pick("lou", "encourage thanks 1")
    await h.command("wren", "mydata export")
    data = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert data["encouragement_notes_you_wrote"] == [
        {"community": "example", "reference": "e1", "status": "approved", "text": NOTE}
    ]
    await h.command("lou", "mydata export")
    data = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert data["encouragement_notes_you_received"] == [
        {"community": "example", "you_said_thank_you": True}
    ]
    assert data["encouragement_notes_asked_for"][0]["community"] == "example"
    assert data["encouragement_notes_you_wrote"] == []

    await h.command("lou", "mydata delete confirm")
    assert await h.count("encouragement_receipts") == 0
    assert await h.count("encouragement_optins") == 0
    await h.command("wren", "mydata delete confirm")
    row = await h.db.fetchrow("SELECT status, body, author_link FROM encouragement_notes")
    assert (row["status"], row["body"], row["author_link"]) == ("deleted", None, None)
    # An erased note reaches no one any more.
    await h.command("kit", "checkin encouragement on")
    await h.command("kit", "checkin 2")
    assert notes_to(h, "kit") == []


async def test_a_copy_of_the_database_ties_no_note_to_its_writer(make_harness, db_url):
    h = await notes_harness(make_harness, db_url, vetting=False, cooldown_minutes=0)
    writers, readers = (
        ("member-wren-5e1f", "member-ash-77c0"),
        ("member-lou-9b2d", "member-kit-a3e4"),
    )
    for who in (*writers, *readers):
        await h.command(who, "checkin 3")  # everyone is active that day
    for writer in writers:
        await h.command(writer, f"encourage {NOTE}")
        await h.command(writer, "encourage One step, then another. You are not alone.")
    for reader in readers:
        await h.command(reader, "checkin encouragement on")
        await h.command(reader, "checkin 2")
        await h.pick(reader, f"encourage thanks {await _received_number(h, reader)}")
    await h.advance(minutes=20)
    copy = await attacker.snapshot(h.db)
    who = attacker.oracle(copy, Vault(SECRET), ["example"])
    authored = {table for table, _index in who.authors}
    assert {"encouragement_notes", "encouragement_receipts"} <= authored
    # Two notes of one writer carry nothing in common, nor a note and its reader.
    assert not attacker.shared_values(copy)
    assert not attacker.time_joins(copy, who.authors, (0, 600, 3600, 86400, -86400))
    data = (
        b"".join(p.read_bytes() for p in attacker.sqlite_files(db_url))
        if (db_url.startswith("sqlite"))
        else b"".join(p.read_bytes() for p in await attacker.postgres_files(h.db))
    )
    assert not attacker.platform_ids_in(data, (*writers, *readers))
    assert b"Be gentle with yourself" not in data
    columns = set(copy["encouragement_notes"][0]) | set(copy["encouragement_receipts"][0])
    assert not {"member_id", "user_id", "platform"} & columns


async def _received_number(h: Harness, reader: str) -> int:
    sent = next(
        s for s in reversed(h.adapter.sent) if s.place.target == reader and s.message.choices
    )
    return int(sent.message.choices[0].command.split()[-1])


async def test_a_community_that_turned_notes_off(make_harness, db_url):
    quiet = community(peers=dataclasses.replace(Peers(), encouragement=False))
    h = await make_harness(config=Config(database=db_url, communities=(quiet,)))
    assert "hasn't turned on" in (await h.command("wren", f"encourage {NOTE}"))[0]
    assert "hasn't turned on" in (await h.command("lou", "checkin encouragement on"))[0]
    assert "Done" in (await h.command("lou", "checkin encouragement off"))[0]
    assert await h.count("encouragement_notes") == 0


async def test_no_log_line_names_a_writer_or_a_note(harness, caplog):
    caplog.set_level(logging.DEBUG)
    h = harness
    await written_and_approved(h, writer="member-wren-5e1f")
    await h.command("member-lou-9b2d", "checkin encouragement on")
    await h.command("member-lou-9b2d", "checkin 2")
    await h.pick("member-lou-9b2d", "encourage thanks 1")
    await h.advance(minutes=20)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records
    for secret in ("member-wren-5e1f", "member-lou-9b2d", "Be gentle with yourself", "note e1"):
        assert secret not in logged, secret


def test_the_peers_example_plays_the_encouragement_story(tmp_path):
    from tests.test_console import ROOT, play

    result = play(tmp_path, (ROOT / "examples" / "peers.txt").read_text(), "2026-03-02T08:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[#mod-queue] 💛 Encouragement note e1 waits for review." in out
    assert out.count(f"[dm:eli] 💛 {FOR_A_DAY_LIKE_TODAY}") == 1  # one a day
    assert "[dm:dee] 💛 Your note reached someone on a hard day" in out
    assert f"[dm:fay] 💛 {FOR_A_DAY_LIKE_TODAY}" not in out
    assert "[dm:fay] Thank you for telling me." in out  # resources instead
    assert "Traceback" not in out + result.stderr


async def test_a_member_a_moderator_blocked_writes_no_note_until_it_is_lifted(make_harness, db_url):
    # One block, one concept (bot/blocks.py): paused from sharing is paused from notes.
    h = await notes_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share Evenings are the hardest part.")
    answer = await mod(h, "block 1")
    code = answer[0].split("`mod unblock ")[1].split("`")[0]
    replies = await h.command("bob", f"encourage {NOTE}")
    assert "paused your sharing" in replies[0]
    assert "e1" not in " ".join(m.text for m in h.adapter.in_channel("mod-queue"))
    await mod(h, f"unblock {code}")
    assert "paused" not in (await h.command("bob", f"encourage {NOTE}"))[0]
