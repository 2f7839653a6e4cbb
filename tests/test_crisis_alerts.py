"""Crisis alerts that a moderator answers (issue 22, item 4): every alert in the mod
queue carries "I'm on it" (`mod take aN`); the first moderator to take it has it and
the others see so; an alert nobody takes within `safety.alert_ack_minutes` is raised
again once, calling the moderators by name; `mod stats` counts the late and the
never taken, by week. On the console, with the fake clock."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

import pytest

from bot.config import Config, Moderators, Safety
from bot.config_loader import ConfigError, load_config_text
from bot.housekeeping import Housekeeping
from bot.port import CommandGiven, Member, Place
from tests import attacker
from tests.conftest import Harness, community
from tests.test_console import play

MOD_QUEUE = Place.channel("console", "mod-queue")
AUTHOR = "member-7a41c2"  # distinctive: a byte search cannot hit it by chance
ASKER = "member-0c5e91"
CRISIS = "I can't go on, I want to end my life"


def config_for(db_url: str, **safety: object) -> Config:
    lighthouse = community(
        moderators=Moderators(users=("mona", "max")),
        safety=dataclasses.replace(Safety(), **safety),  # type: ignore[arg-type]
    )
    return Config(database=db_url, communities=(lighthouse,))


@pytest.fixture
async def h(make_harness, db_url) -> Harness:
    return await make_harness(config=config_for(db_url))


def queue_posts(h: Harness) -> list:
    return [s.message for s in h.adapter.sent if s.event is None and s.place.target == "mod-queue"]


def raised_again(h: Harness) -> list:
    return [m for m in queue_posts(h) if m.text.startswith("⏰")]


async def mod(h: Harness, who: str, words: str) -> list[str]:
    return await h.command(who, words, place=MOD_QUEUE)


# --- every alert carries "I'm on it" ------------------------------------------------


async def test_every_kind_of_alert_carries_im_on_it_and_its_number(h: Harness):
    await h.command("bob", "share Evenings are the hardest part.")
    await mod(h, "mona", "mod approve 1")
    await h.command(AUTHOR, f"share {CRISIS}")  # share #2: alert a1
    await h.command("ana", "reply 1 I want to kill myself")  # reply 1.1: alert a2
    await h.command("dee", "celebrate two weeks clean but I want to die anonymous")  # a3
    await h.command("cleo", "checkin 1 I want to end it all")
    await h.command("cleo", "contact yes")  # a member's "yes, please reach out": a4
    await h.command("wren", "encourage I want to die too, honestly")  # a held note: a5
    await h.advance(minutes=1)
    alerts = [m for m in queue_posts(h) if any(c.command.startswith("mod take") for c in m.choices)]
    assert [m.choices[-1].command for m in alerts] == [f"mod take a{n}" for n in (1, 2, 3, 4, 5)]
    assert "encouragement note e1" in alerts[4].text and "wren" not in alerts[4].text
    assert {(c.label, c.emoji) for m in alerts for c in m.choices[-1:]} == {("I'm on it", "🙋")}
    assert "Alert a1: if you're looking after this, say you're on it" in alerts[0].text
    # The held items keep their own choices before it.
    assert [c.command for c in alerts[0].choices] == [
        "mod approve 2",
        "mod reject 2",
        "mod take a1",
    ]
    assert "asked for a moderator to reach out" in alerts[3].text
    for message in alerts[:3]:  # who wrote the held words is never shown
        assert AUTHOR not in message.text and "ana" not in message.text


# --- raised again once, or not at all ---------------------------------------------------


async def test_an_alert_nobody_takes_is_raised_again_once_with_the_moderators_named(h: Harness):
    await h.command(AUTHOR, f"share {CRISIS}")
    await h.advance(minutes=14, seconds=59)
    assert raised_again(h) == []
    await h.advance(seconds=2)
    (again,) = raised_again(h)
    assert again.text == (
        "⏰ Nobody has taken alert a1 (share #1) in 15 minutes. Could one of you look now? "
        "Someone may be waiting."
    )
    assert again.mentions is not None and again.mentions.users == ("mona", "max")
    assert [c.command for c in again.choices] == ["mod take a1"]
    assert AUTHOR not in again.text
    await h.advance(days=2)
    assert len(raised_again(h)) == 1  # once, never again
    # Every other post keeps every mention off.
    assert [m for m in queue_posts(h) if m.mentions is not None] == [again]
    # Taken late, it is still taken: the queue hears who has it.
    assert "is yours" in (await mod(h, "max", "mod take a1"))[0]
    await h.advance(minutes=1)
    assert queue_posts(h)[-1].text == "🙋 max is on alert a1 (share #1)."


async def test_a_taken_alert_is_not_raised_again(h: Harness):
    await h.command(AUTHOR, f"share {CRISIS}")
    await h.advance(minutes=3)
    answer = await mod(h, "mona", "mod take a1")
    assert answer == [
        "Alert a1 (share #1) is yours. Thank you for being there; the other moderators can "
        "see you're on it.",
        "🙋 mona is on alert a1 (share #1).",  # in the queue, for the others
    ]
    assert queue_posts(h)[-1].text == answer[1]
    await h.advance(hours=2)
    assert raised_again(h) == []
    # Asking again, or after someone else: who has it, kindly.
    assert await mod(h, "max", "mod take a1") == [
        "Alert a1 is already taken: mona is on it. Thank you for looking."
    ]
    assert (await mod(h, "mona", "mod take a1"))[0].startswith("Alert a1 (share #1) is yours.")
    log = (await mod(h, "mona", "mod log"))[0]
    assert "mona took crisis alert a1" in log and AUTHOR not in log


async def test_a_contact_request_is_an_alert_too(h: Harness):
    await h.command("cleo", "checkin 1 I want to end it all")
    await h.command("cleo", "contact yes")
    await h.advance(minutes=16)
    (again,) = raised_again(h)
    assert "alert a1 (a member's request for contact)" in again.text
    assert "cleo" not in again.text  # the first post names who asked; the reminder needn't


async def test_two_moderators_at_once_exactly_one_takes_it(h: Harness):
    await h.command(AUTHOR, f"share {CRISIS}")
    before = len(h.adapter.sent)

    def take(who: str, n: int) -> CommandGiven:
        member = Member("console", who)
        return CommandGiven(f"take-{n}", member, MOD_QUEUE, "mod take a1", display_name=who)

    await asyncio.gather(h.hearth.handle(take("mona", 1)), h.hearth.handle(take("max", 2)))
    await h.hearth.settle()
    answers = {s.event.member.user_id: s.message.text for s in h.adapter.sent[before:] if s.event}
    won = [who for who, said in answers.items() if "is yours" in said]
    lost = [who for who, said in answers.items() if "already taken" in said]
    assert len(won) == 1 and len(lost) == 1, answers
    (winner,) = won
    assert f"{winner} is on it" in answers[lost[0]]
    notices = [m.text for m in queue_posts(h) if m.text.startswith("🙋")]
    assert notices == [f"🙋 {winner} is on alert a1 (share #1)."]
    assert await h.db.fetchval("SELECT count(*) FROM moderation_log WHERE action = 'take'") == 1


async def test_a_restart_or_a_second_process_raises_it_again_only_once(make_harness, db_url):
    config = config_for(db_url)
    first = await make_harness(config=config)
    await first.command(AUTHOR, f"share {CRISIS}")
    # A second process on the same database, both due at the same moment.
    second = await make_harness(config=config, clock=first.clock)
    due = first.clock.now() + timedelta(minutes=16)
    await asyncio.gather(first.advance_to(due), second.advance_to(due))
    both = raised_again(first) + raised_again(second)
    assert len(both) == 1
    # A restart (a third process, same database) raises nothing again.
    third = await make_harness(config=config, clock=first.clock)
    await third.advance(days=1)
    await first.advance(hours=1)
    assert raised_again(third) == [] and len(raised_again(first) + raised_again(second)) == 1


async def test_the_wait_is_the_communitys_own(make_harness, db_url):
    h = await make_harness(config=config_for(db_url, alert_ack_minutes=5))
    await h.command(AUTHOR, f"share {CRISIS}")
    await h.advance(minutes=5, seconds=1)
    (again,) = raised_again(h)
    assert "in 5 minutes" in again.text


# --- bad input ------------------------------------------------------------------------


async def test_a_wrong_alert_is_refused_kindly_and_changes_nothing(h: Harness):
    await h.command(AUTHOR, f"share {CRISIS}")
    assert await mod(h, "mona", "mod take") == [
        "`mod take a3`: the alert's number, as its post in the mod queue shows it."
    ]
    assert (await mod(h, "mona", "mod take a9"))[0].startswith("There is no alert a9 here.")
    assert "Only moderators" in (await h.command("bob", "mod take a1"))[0]
    assert await h.db.fetchval("SELECT count(*) FROM crisis_alerts WHERE outcome IS NULL") == 1
    assert await h.db.fetchval("SELECT count(*) FROM moderation_log") == 0


def test_the_wait_is_checked_with_a_kind_message():
    config = load_config_text("communities:\n  - name: example\n    platform: console\n")
    assert config.communities[0].safety.alert_ack_minutes == 15
    text = (
        "communities:\n  - name: example\n    platform: console\n"
        "    safety:\n      alert_ack_minutes: 0\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "test.yaml")
    [problem] = caught.value.problems
    assert problem.key_path == "communities[0].safety.alert_ack_minutes"
    assert "must be from 1 to 1440 minutes (got 0)" in problem.message
    assert "before Hearth raises it again" in problem.message


# --- mod stats ------------------------------------------------------------------------


async def test_mod_stats_counts_alerts_taken_late_and_never_by_week(h: Harness):
    assert "Crisis alerts: none in these days." in (await mod(h, "mona", "mod stats"))[0]
    await h.command(AUTHOR, f"share {CRISIS}")  # a1: taken in time
    await h.command("bob", "share I want to kill myself")  # a2: taken late
    await h.command("cleo", "share I want to die tonight")  # a3: never taken
    await mod(h, "mona", "mod take a1")
    await h.advance(minutes=20)
    await mod(h, "max", "mod take a2")
    await h.advance(days=1)
    report = (await mod(h, "mona", "mod stats"))[0]
    assert (
        "Crisis alerts, by week:\n• week of Mon 02 Mar: 3 alerts · 1 taken late · 1 not taken"
        in (report)
    )
    # Counts only: nobody's name, no words.
    for secret in ("mona", "max", AUTHOR, "bob", "cleo", "kill", "a2"):
        assert secret not in report.split("Crisis alerts")[1]
    # A week later, the next week's line stands apart; today is never counted.
    await h.advance(days=7)
    await h.command("dee", "share I want to end my life")
    await h.advance(days=1)
    report = (await mod(h, "mona", "mod stats 14"))[0]
    assert "• week of Mon 02 Mar: 3 alerts · 1 taken late · 1 not taken" in report
    assert "• week of Mon 09 Mar: 1 alert · 0 taken late · 1 not taken" in report


# --- privacy ---------------------------------------------------------------------------


async def test_a_copy_of_the_database_ties_no_alert_to_anyone(h: Harness, db_url):
    await h.command(AUTHOR, f"share {CRISIS}")
    await h.command(ASKER, "checkin 1 I want to end it all")
    await h.command(ASKER, "contact yes")
    await mod(h, "mona", "mod take a1")
    await h.advance(minutes=30)
    copy = await attacker.snapshot(h.db)
    assert len(copy["crisis_alerts"]) == 2
    assert not attacker.shared_values(copy)
    for row in copy["crisis_alerts"]:
        # What it is about, its post and who took it are sealed; a day, not a moment.
        assert row["due_at"] is None and row["created_at"] % 3600 == 0
        for value in row.values():
            for secret in ("share #1", "contact", "mona", ASKER, AUTHOR):
                assert secret not in str(value)
    if db_url.startswith("sqlite"):
        data = b"".join(p.read_bytes() for p in attacker.sqlite_files(db_url))
        assert not attacker.platform_ids_in(data, [AUTHOR, ASKER])
        assert b"end my life" not in data and b"share #1" not in data
    # With the key, the moderator's own export holds what they took.
    exported = await h.command("mona", "mydata export")
    files = [s.message.attachment for s in h.adapter.sent if s.message.attachment is not None]
    assert exported and files
    data = json.loads(files[-1].data)
    assert data["crisis_alerts_taken"] == [
        {"community": "example", "alert": "a1", "raised_on": "2026-03-02", "taken": "in time"}
    ]


async def test_the_privacy_card_says_what_is_kept(h: Harness):
    card = (await h.command("bob", "privacy"))[0]
    assert "When a moderator takes a crisis alert, Hearth keeps who took it" in card


# --- the console playground ---------------------------------------------------------------


def test_the_console_names_the_moderators_when_an_alert_is_raised_again(tmp_path):
    script = "\n".join(
        [
            "as bob",
            "in dm",
            f"/share {CRISIS}",
            "clock +16m",
            "as mona",
            "in #mod-queue",
            "/mod take a1",
            "clock +1h",
        ]
    )
    result = play(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "  → /mod take a1   I'm on it" in out
    assert "[#mod-queue] @mona ⏰ Nobody has taken alert a1 (share #1) in 15 minutes." in out
    assert out.count("⏰ Nobody has taken alert a1") == 1
    assert "[#mod-queue|only:mona] Alert a1 (share #1) is yours." in out
    assert "[#mod-queue] 🙋 mona is on alert a1 (share #1)." in out


async def test_an_old_alert_is_purged_once_its_year_of_weekly_counts_is_over(h: Harness):
    await h.command(AUTHOR, f"share {CRISIS}")
    await mod(h, "mona", "mod take a1")
    now = h.clock.now()
    # The hourly job alone, a year on: stepping a fake clock through 8,000 hours is slow.
    await Housekeeping(h.db, h.hearth.config, now).run_due(now + timedelta(days=300))
    assert await h.count("crisis_alerts") == 1  # still counted in a week of mod stats
    await Housekeeping(h.db, h.hearth.config, now).run_due(now + timedelta(days=370))
    assert await h.count("crisis_alerts") == 0
