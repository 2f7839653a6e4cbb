"""The weekly group check-in thread, played on the console (docs/peers.md): it opens
at the community's local time, rests the week after one nobody answered, opens again
the week after that, never twice, and keeps only how many answered."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter, ConsoleSession
from bot.clock import FakeClock
from bot.config import Config, GroupCheckin, Peers
from bot.config_loader import ConfigError, load_config_text
from bot.port import Member, MessagePosted, Place
from tests.attacker import platform_ids_in, snapshot, sqlite_files
from tests.conftest import START, Harness, RecordingAdapter, community

# START is Monday 2026-03-02; the thread is Sunday 18:00 in Berlin: 17:00 UTC in
# March until the clocks go forward on the 29th, 16:00 UTC from then on.
WEEKLY = GroupCheckin("checkins", "sun", "18:00", "Europe/Berlin")
CHANNELS = ("shares", "mod-queue", "celebrations", "checkins")
OPENED = "[#checkins] How was your week? One word is enough."


def with_thread(db_url: str, settings: GroupCheckin = WEEKLY, **overrides: object) -> Config:
    return Config(database=db_url, communities=(community(peers=Peers(settings), **overrides),))


async def jump(h: Harness, moment: str) -> None:
    h.clock.set(datetime.fromisoformat(moment).replace(tzinfo=UTC))
    await h.hearth.settle()


class Playground:
    """The console playground on a Hearth of the test's engine: lines in, output out."""

    def __init__(self, harness: Harness, adapter: ConsoleAdapter, out: io.StringIO) -> None:
        self.harness = harness
        self.out = out
        self.session = ConsoleSession(
            harness.hearth, adapter, harness.clock, "sam", channels=lambda: CHANNELS
        )

    async def play(self, *lines: str) -> str:
        start = len(self.out.getvalue())

        async def feed():
            for line in lines:
                yield line

        await self.session.run(feed())
        return self.out.getvalue()[start:]

    async def at(self, moment: str) -> str:
        """Jump the clock to `moment` (UTC) and run what is due then: weeks pass in one
        step, not hour by hour as `clock` steps through every job's due times."""
        start = len(self.out.getvalue())
        await jump(self.harness, moment)
        return self.out.getvalue()[start:]

    async def weeks(self) -> list[tuple[str, str, int]]:
        rows = await self.harness.db.fetch(
            "SELECT local_date, outcome, answers FROM group_checkins ORDER BY local_date"
        )
        return [(r["local_date"], r["outcome"], r["answers"]) for r in rows]


@pytest.fixture
async def playground(make_harness: Callable[..., object], db_url: str, tmp_path: Path):
    out = io.StringIO()
    adapter = ConsoleAdapter(out, tmp_path / "console")
    harness = await make_harness(config=with_thread(db_url), adapter=adapter)  # type: ignore[operator]
    ground = Playground(harness, adapter, out)
    await harness.hearth.settle()  # Hearth is up: the first week is planned
    return ground


async def test_the_thread_opens_at_the_communitys_local_time(playground: Playground) -> None:
    assert "[#checkins]" not in await playground.play("clock 2026-03-08 16:59")
    shown = await playground.play("clock 2026-03-08 17:00")
    assert shown.splitlines() == [
        OPENED,
        "  Answer in this thread if you like. Everyone in this channel sees your answer "
        "and your name; Hearth only counts how many answered.",
        "  ↳ a thread: type `in #checkins thread` to answer in it, `in #checkins` to leave it",
    ]
    # Members answer in it; Hearth says nothing there, and counts.
    quiet = await playground.play(
        "in #checkins thread", "Tired, but okay.", "as lee", "Better than last week 🌱"
    )
    assert quiet == ""
    assert (await playground.weeks())[0] == ("2026-03-08", "opened", 2)


async def test_a_week_nobody_answered_rests_the_next_and_the_one_after_opens(
    playground: Playground,
) -> None:
    await playground.at("2026-03-08 17:00")
    await playground.play("in #checkins thread", "okay")
    assert OPENED in await playground.at("2026-03-15 17:00")  # answered: opens again
    assert "[#checkins]" not in await playground.at("2026-03-22 18:00")  # nobody did
    # The week after opens at 18:00 Berlin time again, across the clock change.
    assert "[#checkins]" not in await playground.at("2026-03-29 15:59")
    assert OPENED in await playground.at("2026-03-29 16:00")
    assert await playground.weeks() == [
        ("2026-03-08", "opened", 1),
        ("2026-03-15", "opened", 0),
        ("2026-03-22", "skipped", 0),
        ("2026-03-29", "opened", 0),
        ("2026-04-05", "pending", 0),
    ]


async def test_restarts_and_two_processes_never_open_a_week_twice(make_harness, db_url) -> None:
    config = with_thread(db_url)
    first = await make_harness(config=config, clock=FakeClock(START))
    second = await make_harness(config=config, clock=FakeClock(START))
    await asyncio.gather(first.hearth.settle(), second.hearth.settle())  # both plan the week
    due = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    first.clock.set(due)
    second.clock.set(due)
    await asyncio.gather(first.hearth.settle(), second.hearth.settle())
    await asyncio.gather(first.hearth.settle(), second.hearth.settle())
    restarted = await make_harness(config=config, clock=FakeClock(due))
    await restarted.hearth.settle()
    posts = [
        text
        for h in (first, second, restarted)
        for text in h.adapter.texts("checkins")
        if "How was your week?" in text
    ]
    assert len(posts) == 1
    assert len(await first.outbox_rows("groupcheckin:")) == 1


async def test_after_a_downtime_an_old_week_is_not_owed(make_harness, db_url) -> None:
    h = await make_harness(config=with_thread(db_url))
    await h.hearth.settle()
    # Down from Saturday to Monday: Sunday's thread is past the catch-up window.
    h.clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    await h.hearth.settle()
    assert h.adapter.texts("checkins") == []
    await jump(h, "2026-03-15 17:00")
    assert len(h.adapter.texts("checkins")) == 1  # a missed week is not an unanswered one


async def test_only_its_own_thread_counts_and_a_cry_for_help_is_met_privately(
    playground: Playground,
) -> None:
    await playground.at("2026-03-08 17:00")
    harness = playground.harness
    members_before = await harness.count("members")
    # Chatter in the channel, and a message in a thread Hearth did not open: left alone.
    assert await playground.play("in #checkins", "just saying hi") == ""
    await harness.hearth.handle(
        MessagePosted(
            "elsewhere-1",
            Member("console", "kim"),
            Place.channel("console", "checkins"),
            "a thread of our own",
            thread="m999",
        )
    )
    assert await harness.count("members") == members_before
    assert (await playground.weeks())[0] == ("2026-03-08", "opened", 0)
    # In the thread, words of a crisis are answered privately, at once; the answer counts.
    shown = await playground.play("in #checkins thread", "honestly I want to end my life")
    assert shown.startswith("[#checkins|only:sam] ")
    assert "Find A Helpline" in shown
    assert "[#checkins] " not in shown and "[#mod-queue]" not in shown
    assert (await playground.weeks())[0] == ("2026-03-08", "opened", 1)


async def test_the_console_form_needs_a_thread_to_answer(playground: Playground) -> None:
    shown = await playground.play("in #checkins thread")
    assert shown == "(console) no thread has been opened in #checkins yet\n"


async def test_the_prompt_is_the_communitys_own_or_in_its_language(make_harness, db_url) -> None:
    due = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    german = await make_harness(config=with_thread(db_url, language="de"))
    await german.hearth.settle()
    await german.advance_to(due)  # a week, stepping through every due time
    assert german.adapter.texts("checkins")[0].startswith("Wie war deine Woche? Ein Wort genügt.")
    own = dataclasses.replace(WEEKLY, text="What was one good moment this week?")
    config = with_thread(db_url, own, name="other")
    theirs = await make_harness(config=config, adapter=RecordingAdapter())
    await theirs.hearth.settle()
    await jump(theirs, "2026-03-08 17:00")
    assert theirs.adapter.texts("checkins")[-1].startswith("What was one good moment this week?")


async def test_a_reload_moves_the_week_and_turning_it_off_forgets_it(make_harness, db_url) -> None:
    h = await make_harness(config=with_thread(db_url))
    await h.hearth.settle()
    later = dataclasses.replace(WEEKLY, weekday="saturday", time="10:00")
    h.hearth.reload(with_thread(db_url, later))
    await jump(h, "2026-03-07 09:00")  # Saturday 10:00 in Berlin
    assert len(h.adapter.texts("checkins")) == 1
    h.hearth.reload(Config(database=db_url, communities=(community(),)))
    await jump(h, "2026-03-08 17:00")  # the Sunday it was
    await jump(h, "2026-03-14 09:00")
    assert len(h.adapter.texts("checkins")) == 1
    assert await h.db.fetchval("SELECT count(*) FROM group_checkins WHERE outcome = 'pending'") == 0


@pytest.mark.sqlite_only  # reads the database files
async def test_a_copy_of_the_database_keeps_a_count_never_who_or_what(
    playground: Playground, db_url: str
) -> None:
    answerer, words = "member-7e11a9", "a distinctive week of quiet walks 4471"
    await playground.at("2026-03-08 17:00")
    await playground.play(f"as {answerer}", "in #checkins thread", words)
    copy = await snapshot(playground.harness.db)
    assert [set(row) for row in copy["group_checkins"]][0] == {
        "community",
        "local_date",
        "due_at",
        "outcome",
        "answers",
    }
    assert [row["answers"] for row in copy["group_checkins"]] == [1, 0]
    data = b"".join(path.read_bytes() for path in sqlite_files(db_url))
    assert platform_ids_in(data, [answerer, words, "quiet walks"]) == []


CONFIG = """
communities:
  - name: example
    platform: console
    peers:
      group_checkin: {settings}
"""


def problems(settings: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config_text(CONFIG.format(settings=settings))
    return [f"{p.key_path}: {p.message}" for p in raised.value.problems]


def test_the_settings_are_read_and_checked_kindly() -> None:
    config = load_config_text(
        CONFIG.format(settings='{channel: checkins, weekday: Sunday, time: "18:30"}')
    )
    settings = config.communities[0].peers.group_checkin
    assert settings == GroupCheckin("checkins", "Sunday", "18:30")
    assert settings.weekday_number == 6
    assert (
        load_config_text(CONFIG.format(settings="null")).communities[0].peers.group_checkin is None
    )
    key = "communities[0].peers.group_checkin"
    assert problems("{weekday: sun}") == [f"{key}.channel: is required"]
    assert problems("{channel: checkins, weekday: sundy}") == [
        f"{key}.weekday: must be a day of the week: mon, tue, wed, thu, fri, sat, sun "
        '(got "sundy"); did you mean "sunday"?'
    ]
    assert problems('{channel: checkins, time: "6pm", timezone: Europe/Berln}') == [
        f'{key}.time: must be a time of day as HH:MM, like "04:00" (got "6pm")',
        f'{key}.timezone: must be an IANA time zone like "Europe/Berlin" (got "Europe/Berln")',
    ]
    assert problems('{channel: checkins, text: "  "}') == [
        f"{key}.text: must not be empty (leave the key out for the default prompt)"
    ]
    assert problems("{channel: checkins, weekdy: sun}") == [
        f'{key}.weekdy: unknown key; did you mean "weekday"?'
    ]


def test_the_peers_example_plays_the_group_checkin(tmp_path: Path) -> None:
    from tests.test_console import ROOT, play

    result = play(tmp_path, (ROOT / "examples" / "peers.txt").read_text(), "2026-03-02T08:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # The 8th unanswered, the 15th rested, the 22nd answered, so the 29th opens again.
    assert out.count(OPENED) == 3
    assert "no thread has been opened" not in out  # `in #checkins thread` found it
    assert "Traceback" not in out + result.stderr
    assert "[#checkins|only:" not in out  # answers are met with silence


async def test_the_privacy_card_says_what_a_group_checkin_keeps(make_harness, db_url) -> None:
    h = await make_harness(config=with_thread(db_url))
    (card,) = await h.command("sam", "privacy")
    assert "Group check-in threads" in card
    assert "never who answered or what they wrote" in card
