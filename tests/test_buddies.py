"""Buddies on the console (issue 20 item 1): asked first and paired only when both
accept, never twice, never across a block; reminders at each one's local time,
outside quiet hours, within a budget; the gone-quiet flow; the gentle end; counts
only in `mod stats`; help, the privacy card, `mydata export` and `delete`."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from bot.config import Buddies, Config, Sharing
from bot.config_loader import ConfigError, load_config_text
from bot.crypto import SealError
from bot.features.buddies.matching import Candidate, TagError, pairs, parse_tags
from bot.port import Place
from bot.rekey import rotate
from bot.storage.migrations import table_names
from bot.vault import BUDDY_PAIR_TAG, BUDDY_TAGS, Vault
from tests import attacker
from tests.conftest import Harness, RecordingAdapter, community
from tests.test_console import ROOT, play

MOD_QUEUE = Place.channel("console", "mod-queue")
TAGS = ("walking", "music", "parenting", "night shifts", "gaming", "cooking")
BUDDY_TABLES = ("buddy_members", "buddy_pairs", "buddy_met", "buddy_days")


class TimedAdapter(RecordingAdapter):
    """Records when (on the fake clock) each message went out."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = None
        self.times: list[tuple[datetime, str, str]] = []

    async def send(self, place, message):  # type: ignore[no-untyped-def]
        found = await super().send(place, message)
        self.times.append((self.clock.now(), place.target, message.text))  # type: ignore[union-attr]
        return found


async def buddies_harness(make_harness, db_url: str, **settings: object) -> Harness:  # type: ignore[no-untyped-def]
    lighthouse = community(buddies=Buddies(**settings))  # type: ignore[arg-type]
    adapter = TimedAdapter()
    h = await make_harness(
        config=Config(database=db_url, communities=(lighthouse,)), adapter=adapter
    )
    adapter.clock = h.clock
    return h


def dms(h: Harness, user: str) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.place.is_dm and s.place.target == user]


def choices(h: Harness, user: str) -> list[str]:
    return [c.command for s in h.adapter.sent if s.place.target == user for c in s.message.choices]


async def state(h: Harness, user: str) -> str | None:
    return await h.db.fetchval(
        "SELECT state FROM buddy_members WHERE member_id = $1", await h.member_id(user)
    )


async def pair_up(h: Harness, one: str, other: str, tag: str = "walking") -> None:
    await h.command(one, f"buddy join {tag} Europe/Berlin")
    await h.command(other, f"buddy join {tag} Europe/London")
    await h.command(one, "buddy accept")
    await h.command(other, "buddy accept")


# --- consent --------------------------------------------------------------------------------


async def test_two_who_share_an_interest_are_asked_and_paired_only_when_both_accept(
    make_harness, db_url
):
    h = await buddies_harness(make_harness, db_url)
    joined = await h.command("ana", "buddy join walking music Europe/Berlin")
    assert "You're on the list for a buddy" in joined[0] and "walking, music" in joined[0]
    assert "Europe/Berlin" in joined[0]
    # Cy likes only cooking: nobody shares it, so nobody asks her anything.
    await h.command("cy", "buddy join cooking")
    asked = await h.command("ben", "buddy join night-shifts walking Europe/London")
    assert "You're on the list" in asked[0]
    for who in ("ana", "ben"):
        (proposal,) = [t for t in dms(h, who) if t.startswith("Someone who also likes")]
        assert proposal.startswith("Someone who also likes walking would like a buddy.")
        # Nobody is named before both said yes.
        assert "ana" not in proposal and "ben" not in proposal
        assert {"buddy accept", "buddy decline"} <= set(choices(h, who))
    assert not [t for t in dms(h, "cy") if t.startswith("Someone who also likes")]
    assert await state(h, "ana") == "asked" and await state(h, "cy") == "waiting"

    first = await h.command("ana", "buddy accept")
    assert first == ["Lovely 💛 I'll let you know as soon as they've answered."]
    assert await h.db.fetchval("SELECT status FROM buddy_pairs") == "proposed"
    assert not [t for t in dms(h, "ben") if "buddies now" in t]
    assert "You said yes" in (await h.command("ana", "buddy"))[0]

    second = await h.command("ben", "buddy accept")
    assert second[0].startswith("You and ana are buddies now 🤝 You both like walking.")
    assert any(t.startswith("You and ben are buddies now") for t in dms(h, "ana"))
    assert await h.db.fetchval("SELECT status FROM buddy_pairs") == "paired"
    assert (await state(h, "ana"), await state(h, "ben"), await state(h, "cy")) == (
        "paired",
        "paired",
        "waiting",
    )
    shown = (await h.command("ben", "buddy"))[0]
    assert shown.startswith("Your buddy: ana 🤝") and "weekly" in shown and "`buddy end`" in shown
    # The operator's /metrics: totals of what the job did, no member, no community.
    scraped = h.hearth.metrics.exposition().decode()
    assert 'hearth_buddy_moments_total{outcome="proposed"} 1.0' in scraped
    assert "ana" not in scraped and "example" not in scraped
    await h.db.close()


async def test_a_decline_is_gentle_and_the_pair_is_never_proposed_again(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    await h.command("ana", "buddy join walking")
    await h.command("ben", "buddy join walking")
    said = await h.command("ben", "buddy decline")
    assert said[0].startswith("That's okay — thank you for saying.")
    told = [t for t in dms(h, "ana") if "won't be going ahead" in t]
    assert told and "ben" not in told[0] and "declin" not in told[0]
    await h.advance(days=3)
    assert await h.count("buddy_pairs") == 0
    assert (await state(h, "ana"), await state(h, "ben")) == ("waiting", "waiting")
    assert await h.command("ana", "buddy accept") == [
        "There's no buddy waiting for your answer right now."
    ]
    await h.db.close()


async def test_an_unanswered_proposal_lapses_quietly(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url, answer_days=2)
    await h.command("ana", "buddy join music")
    await h.command("ben", "buddy join music")
    await h.command("ana", "buddy accept")
    await h.advance(days=2, minutes=1)
    assert await h.count("buddy_pairs") == 0
    for who in ("ana", "ben"):
        assert any("has lapsed" in t for t in dms(h, who))
    await h.db.close()


async def test_a_pair_never_forms_again_after_leave_unless_both_ask(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    await pair_up(h, "ana", "ben")
    left = await h.command("ana", "buddy leave")
    assert left[0].startswith("Okay, you're off the buddy list.")
    (told,) = [t for t in dms(h, "ben") if "has ended" in t]
    assert "ana" not in told and "says nothing about you" in told
    assert await state(h, "ana") is None and await h.count("buddy_pairs") == 0
    await h.command("ana", "buddy join walking Europe/Berlin")
    await h.advance(days=3)
    assert await h.count("buddy_pairs") == 0  # ben waits too, but not for ana again
    # Someone new who walks is proposed to one of them at once.
    await h.command("cy", "buddy join walking Europe/Paris")
    assert await h.count("buddy_pairs") == 1
    await h.command("cy", "buddy decline")
    await h.command("cy", "buddy leave")
    assert await h.count("buddy_pairs") == 0
    # Both ask for each other again: then, and only then.
    assert "If your last buddy asks for you too" in (await h.command("ana", "buddy again"))[0]
    await h.advance(days=2)
    assert await h.count("buddy_pairs") == 0
    await h.command("ben", "buddy again")
    await h.advance(hours=1)
    found = await h.db.fetch("SELECT member_a, member_b FROM buddy_pairs")
    assert {found[0]["member_a"], found[0]["member_b"]} == {
        await h.member_id("ana"),
        await h.member_id("ben"),
    }
    await h.db.close()


async def test_clocks_too_far_apart_and_a_blocked_member_are_not_paired(make_harness, db_url):
    lighthouse = community(
        buddies=Buddies(max_hours_apart=3), sharing=Sharing(vetting=False, cooldown_minutes=1)
    )
    h = await make_harness(config=Config(database=db_url, communities=(lighthouse,)))
    await h.command("ana", "buddy join walking Europe/Berlin")
    await h.command("kim", "buddy join walking Asia/Tokyo")  # eight hours ahead
    assert await h.count("buddy_pairs") == 0
    # A moderator blocked the (unknown) author of share #1 from sharing here: while
    # the block lasts they are proposed to no one.
    await h.command("bo", "share a share of mine")
    await h.command("mona", "mod block 1 2", place=MOD_QUEUE)
    await h.command("bo", "buddy join walking Europe/Berlin")
    await h.advance(days=1, hours=1)
    assert await h.count("buddy_pairs") == 0
    await h.advance(days=2)  # the block ran out: the daily look finds ana
    assert await h.count("buddy_pairs") == 1
    await h.db.close()


async def test_the_matching_rules_alone():
    def member(n: int, tags: set[str], offset: int = 60, **kw: object) -> Candidate:
        return Candidate(n, frozenset(tags), offset, f"token-{n}", **kw)  # type: ignore[arg-type]

    ana, ben, cy = member(1, {"walking"}), member(2, {"walking", "music"}), member(3, {"music"})
    dee = member(4, {"walking", "music"}, offset=120)
    found = pairs([ben, ana, cy, dee], 3, TAGS)
    # ben shares the most with dee; ana and cy share nothing: left waiting.
    assert [(a.member_id, b.member_id, tag) for a, b, tag in found] == [(2, 4, "walking")]
    met = member(5, {"walking"}, met={"token-1": False})
    assert pairs([ana, met], 3, TAGS) == []
    both = member(5, {"walking"}, met={"token-1": True})
    again = dataclasses.replace(ana, met={"token-5": True})
    assert len(pairs([again, both], 3, TAGS)) == 1
    assert parse_tags("Night-Shifts, walking walking", TAGS) == ("night shifts", "walking")
    with pytest.raises(TagError) as error:
        parse_tags("walkng depression", TAGS)
    assert error.value.suggestions == ["walking"]


# --- reminders ---------------------------------------------------------------------------------


async def test_reminders_come_at_each_ones_local_time_outside_quiet_hours_within_budget(
    make_harness, db_url
):
    h = await buddies_harness(make_harness, db_url, reminders_per_week=1)
    await h.command("ben", "checkin quiet 17:30-19:30")  # London: the reminder waits
    await pair_up(h, "ana", "ben")
    assert (await h.command("ana", "buddy remind twice-weekly"))[0].startswith(
        "Reminders: twice a week."
    )
    assert any("changed your reminders to: twice a week" in t for t in dms(h, "ben"))
    await h.advance(days=14)
    sent = [(when, who) for when, who, text in h.adapter.times if "gentle nudge" in text]
    berlin = [when for when, who in sent if who == "ana"]
    london = [when for when, who in sent if who == "ben"]
    # Twice a week asked, once a week allowed: 18:00 in Berlin (17:00 UTC) ...
    assert berlin == [
        datetime(2026, 3, 5, 17, 0, tzinfo=UTC),
        datetime(2026, 3, 12, 17, 0, tzinfo=UTC),
    ]
    # ... and in London 18:00 falls in ben's quiet hours: when they end, 19:30.
    assert london == [
        datetime(2026, 3, 5, 19, 30, tzinfo=UTC),
        datetime(2026, 3, 12, 19, 30, tzinfo=UTC),
    ]
    (nudge,) = [s for s in h.adapter.sent if "gentle nudge" in s.message.text][:1]
    assert "ben" in nudge.message.text or "ana" in nudge.message.text
    assert [c.command for c in nudge.message.choices] == ["buddy reached", "buddy remind off"]
    # One tap: "I've reached out". The reminder that was coming moves a whole gap on.
    assert (await h.command("ana", "buddy reached"))[0].startswith("Thank you for reaching out")
    assert (await h.command("ana", "buddy remind off"))[0] == (
        "Reminders: off. I've told your buddy too."
    )
    before = len(h.adapter.times)
    await h.advance(days=14)
    assert not [t for _, _, t in h.adapter.times[before:] if "gentle nudge" in t]
    await h.db.close()


# --- gone quiet, and the end -----------------------------------------------------------------


async def test_a_silent_buddy_is_asked_kindly_then_the_pair_ends_quietly(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url, quiet_days=3)
    await pair_up(h, "ana", "ben")
    noted = await h.command("ana", "buddy quiet")
    assert "I'll ask your buddy kindly" in noted[0]
    (question,) = [s for s in h.adapter.sent if "hasn't heard from you" in s.message.text]
    assert question.place.target == "ben" and "ana" not in question.message.text
    assert [c.command for c in question.message.choices] == ["buddy reached", "buddy end"]
    assert "already asked" in (await h.command("ana", "buddy quiet"))[0]
    await h.advance(days=2)
    assert await h.count("buddy_pairs") == 1
    await h.advance(days=1, minutes=1)
    assert await h.count("buddy_pairs") == 0
    assert any("ended quietly" in t for t in dms(h, "ana"))
    assert any("quiet end" in t for t in dms(h, "ben"))
    # Both may be matched again, just not with each other.
    await h.command("cy", "buddy join walking Europe/Paris")
    await h.command("dee", "buddy join walking Europe/Madrid")
    await h.advance(days=1, hours=1)
    rows = await h.db.fetch("SELECT member_a, member_b FROM buddy_pairs")
    assert len(rows) == 2
    ana, ben = await h.member_id("ana"), await h.member_id("ben")
    assert all({r["member_a"], r["member_b"]} != {ana, ben} for r in rows)
    await h.db.close()


async def test_a_buddy_who_answers_the_kind_question_stays(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    await pair_up(h, "ana", "ben")
    await h.command("ana", "buddy quiet")
    here = await h.pick("ben", "buddy reached")
    assert here == ["Thank you 💛 I've told your buddy you're still here."]
    await h.hearth.settle()
    assert "Good news: ben is still here 💛" in dms(h, "ana")
    await h.advance(days=5)
    assert await h.db.fetchval("SELECT status FROM buddy_pairs") == "paired"
    await h.db.close()


async def test_end_tells_the_other_gently_without_reasons(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    await pair_up(h, "ana", "ben")
    done = await h.command("ben", "buddy end")
    assert done[0].startswith("Done — the pairing has ended")
    (told,) = [t for t in dms(h, "ana") if "pairing has ended" in t]
    assert "ben" not in told and "because" not in told
    assert (await state(h, "ana"), await state(h, "ben")) == ("waiting", "waiting")
    assert await h.command("ben", "buddy end") == [
        "You don't have a buddy right now. `buddy` shows how it stands."
    ]
    await h.db.close()


# --- bad input --------------------------------------------------------------------------------


async def test_bad_input_is_refused_kindly_and_nothing_is_written(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url, max_tags=2)
    cases = {
        "buddy join walkng": "did you mean walking?",
        "buddy join anxiety": "isn't one of our interests",
        "buddy join walking music cooking": "Pick up to 2 interests",
        "buddy join walking Mars/Olympus": "time zone",
        "buddy join": "Which interests would you like a buddy to share?",
        "buddy fly": "I don't know `buddy fly`",
        "buddy remind sometimes": "How often should I remind you both?",
        "buddy accept": "You're not on the buddy list yet.",
        "buddy quiet": "You're not on the buddy list yet.",
    }
    for typed, expected in cases.items():
        (answer,) = await h.command("ana", typed)
        assert expected in answer, (typed, answer)
    await h.command("ana", "buddy join walking")
    assert "You don't have a buddy right now" in (await h.command("ana", "buddy remind weekly"))[0]
    assert await h.count("buddy_members") == 1 and await h.count("buddy_pairs") == 0
    off = await make_harness(
        config=Config(database=db_url, communities=(community(buddies=Buddies(enabled=False)),))
    )
    assert await off.command("zed", "buddy join walking") == [
        "Buddies aren't turned on in this community."
    ]
    await h.db.close()


def test_the_config_refuses_a_diagnosis_and_names_a_near_key():
    text = (ROOT / "config.example.yaml").read_text()
    assert "buddies:" in text
    config = load_config_text(text)
    assert config.communities[0].buddies.enabled
    broken = text.replace("      tags: [walking,", "      tags: [depression, walking,", 1)
    broken = broken.replace("reminders_per_week:", "reminders_per_wek:", 1)
    with pytest.raises(ConfigError) as error:
        load_config_text(broken)
    shown = str(error.value)
    assert 'buddies.tags: "depression" names a diagnosis' in shown
    assert 'reminders_per_wek: unknown key; did you mean "reminders_per_week"?' in shown
    # SPEC's own name for the list, `peers.buddy_tags`, works as well; not both at once.
    spec_named = text.replace("      tags: [walking,", "      # tags: [walking,", 1)
    spec_named = spec_named.replace(
        "    peers:\n", "    peers:\n      buddy_tags: [chess, knitting]\n", 1
    )
    assert load_config_text(spec_named).communities[0].buddy_tags == ("chess", "knitting")
    twice = text.replace("    peers:\n", "    peers:\n      buddy_tags: [chess]\n", 1)
    with pytest.raises(ConfigError, match="gives the buddy interests a second time"):
        load_config_text(twice)


# --- what moderators see, and the member's data ---------------------------------------------------


async def test_mod_stats_shows_counts_only_behind_the_floor(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    for n, tag in enumerate(("cooking", "gaming", "parenting", "music", "night shifts", "walking")):
        await h.command(f"m{n}", f"buddy join {tag}")
    await h.advance(days=1)
    (few,) = [
        line
        for line in (await h.command("mona", "mod stats", place=MOD_QUEUE))[0].split("\n")
        if "Buddies" in line
    ]
    assert few == "Buddies: 6 waiting for a buddy, fewer than 5 pairs formed"
    for n in range(6, 12):
        await h.command(f"m{n}", "buddy join walking")
    for n in range(5, 12):
        await h.command(f"m{n}", "buddy accept")
    await h.advance(days=1)
    (line,) = [
        line
        for line in (await h.command("mona", "mod stats", place=MOD_QUEUE))[0].split("\n")
        if "Buddies" in line
    ]
    assert line == "Buddies: 6 waiting for a buddy, 3 pairs formed"
    assert not any(name in line for name in ("m1", "walking", "cooking"))
    await h.db.close()


async def test_help_and_the_privacy_card_tell_about_buddies(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    listing = (await h.command("ana", "help"))[0]
    assert "`buddy` — a buddy who shares an interest" in listing
    assert "buddy remind weekly|twice-weekly|off" in (await h.command("ana", "help buddy"))[0]
    card = (await h.command("ana", "privacy"))[0]
    assert "• Buddies: if you say `buddy join`" in card
    await h.db.close()


async def test_export_holds_the_buddy_part_and_delete_ends_it_gently(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    await pair_up(h, "ana", "ben")
    await h.command("ana", "mydata export")
    data = json.loads(h.adapter.sent[-1].message.attachment.data)
    (mine,) = data["buddies"]
    assert mine["interests"] == ["walking"] and mine["state"] == "paired"
    assert mine["pairing"]["status"] == "paired" and data["buddies_met_before"] == 1
    assert "ben" not in json.dumps(data["buddies"])
    ana = await h.member_id("ana")
    await h.command("ana", "mydata delete confirm")
    assert any("pairing has ended" in t for t in dms(h, "ben"))
    for table in BUDDY_TABLES:
        for row in await h.db.fetch(f"SELECT * FROM {table}"):
            found = dict(row)
            assert ana not in (found.get("member_id"), found.get("member_a"), found.get("member_b"))
    assert await state(h, "ben") == "waiting"
    await h.db.close()


async def test_key_rotation_reseals_the_buddy_interests(make_harness, db_url):
    h = await buddies_harness(make_harness, db_url)
    await h.command("ana", "buddy join walking music")
    await h.command("ben", "buddy join walking")
    old, new = h.hearth.vault, Vault(bytes(range(100, 132)))
    assert await rotate(h.db, old, new) > 0
    for field in (BUDDY_TAGS, BUDDY_PAIR_TAG):
        rows = await h.db.fetch(
            f"SELECT {field.key_column}, {field.column} FROM {field.table} "
            f"WHERE {field.column} IS NOT NULL"
        )
        assert rows
        for key, token in rows:
            assert new.open(field, key, token) in ("walking", "walking\nmusic")
            with pytest.raises(SealError):
                old.open(field, key, token)
    await h.db.close()


async def test_a_copy_of_the_database_ties_no_one_to_whom_they_met(make_harness, db_url):
    """Without the key: no platform id and no interest in the bytes; no value of a
    `buddy_met` row shared with any other row (whom someone met is not readable);
    and the attacker's tests on every table still find nothing."""
    h = await buddies_harness(make_harness, db_url)
    people = ("member-b0dd1e5", "member-f00ba12", "member-c1c1c1c")
    await pair_up(h, people[0], people[1], tag="night shifts")
    await h.command(people[2], "buddy join night shifts")
    await h.command(people[1], "buddy end")
    await h.command(people[0], "share a share")
    await h.advance(days=2)
    assert {"buddy_members", "buddy_met"} <= set(attacker.MEMBER_TABLES)
    assert set(BUDDY_TABLES) <= set(table_names())
    copy = await attacker.snapshot(h.db)
    if db_url.startswith("sqlite"):
        data = b"".join(p.read_bytes() for p in attacker.sqlite_files(db_url))
    else:
        data = b"".join(p.read_bytes() for p in await attacker.postgres_files(h.db))
    assert not attacker.platform_ids_in(data, people)
    assert b"night shifts" not in data
    assert not attacker.shared_values(copy)
    met = [row["partner"] for row in copy["buddy_met"]]
    assert met
    others = {
        value
        for table, rows in copy.items()
        if table != "buddy_met"
        for row in rows
        for value in row.values()
    }
    assert not [value for value in met if value in others and len(value) >= 12]
    assert len(set(met)) == len(met)
    who = attacker.oracle(copy, h.hearth.vault, ["example"])
    assert not attacker.time_joins(copy, who.authors, (0, 86400, -86400))
    await h.db.close()


# --- the story -----------------------------------------------------------------------------------


def test_the_peers_example_plays_the_buddy_story(tmp_path):
    script = (ROOT / "examples" / "peers.txt").read_text()
    result = play(tmp_path, script, "2026-03-02T08:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[dm:ana] Someone who also likes walking would like a buddy. Say hello?" in out
    assert "[dm:ben] You and ana are buddies now 🤝" in out
    assert "[dm:ana] A gentle nudge 💛" in out
    assert "[dm:ben] Hi 💛 Your buddy hasn't heard from you in a while" in out
    assert "Good news: ben is still here 💛" in out
    assert "[dm:ana] Your buddy pairing has ended." in out
    assert "Traceback" not in out + result.stderr
