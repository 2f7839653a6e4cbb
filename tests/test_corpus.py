"""The bad-input corpus (tests/corpus/bad_inputs/): every command, date, time
zone, odd or over-long text and control character in it is refused with the
message it names, and leaves the database exactly as it was; every config file
in it is refused with the problem it names; every console line with its note.

A corpus entry is `input` (the words after the prefix) with `expect` (a part of
the answer that only this mistake gets), and optionally `who` (default ana;
mona moderates) and `place` (default dm; or a channel). `{x*2001}` in an input
stands for 2001 times "x". Config entries have `yaml` instead, console entries
`line`. Add an entry when a member finds a new way to get something wrong.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.console import ConsoleError, ConsoleSession
from bot.app import SORRY
from bot.config import Config, Sharing
from bot.config_loader import ConfigError, load_config_text
from bot.port import Place
from tests.conftest import Harness, community
from tests.test_fuzz_commands import HISTORY, digest

CORPUS = Path(__file__).resolve().parent / "corpus" / "bad_inputs"
REPEAT = re.compile(r"\{(.)\*(\d+)\}")


def entries(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(file:index, entry) for every entry of one kind, across the corpus files."""
    found = []
    for path in sorted(CORPUS.glob("*.yaml")):
        for index, entry in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if kind in entry:
                found.append((f"{path.stem}:{index + 1}", entry))
    return found


def expand(text: str) -> str:
    return REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)


COMMANDS = entries("input")
CONFIGS = entries("yaml")
LINES = entries("line")


def test_the_corpus_holds_over_a_hundred_bad_inputs_each_with_its_message():
    assert len(COMMANDS) + len(CONFIGS) + len(LINES) >= 100
    for _, entry in COMMANDS + CONFIGS + LINES:
        assert isinstance(entry.get("expect"), str) and entry["expect"].strip(), entry


def where(place: str) -> Place | None:
    return None if place == "dm" else Place.channel("console", place)


@pytest.fixture
async def world(make_harness, db_url: str) -> Harness:
    """The fuzzers' community history: shares pending and published, a reply, a
    celebration, a schedule, a counter, a block and a report."""
    config = Config(
        database=db_url,
        communities=(community(sharing=Sharing(vetting=True, cooldown_minutes=1)),),
    )
    h = await make_harness(config=config)
    for who, place, text in HISTORY:
        answer = await h.command(who, text, place=where(place))
        assert answer and SORRY not in answer, (text, answer)
        await h.advance(minutes=11)
    return h


async def test_every_bad_command_is_refused_kindly_and_changes_nothing(world: Harness):
    before = await digest(world.db)
    wrong = []
    for name, entry in COMMANDS:
        who, place = entry.get("who", "ana"), where(entry.get("place", "dm"))
        told = await world.command(who, expand(entry["input"]), place=place)
        shown = "\n".join(told)
        if entry["expect"] not in shown or SORRY in shown:
            wrong.append(f"{name} {entry['input'][:50]!r}: wants {entry['expect']!r}, got {told}")
        elif await digest(world.db) != before:
            wrong.append(f"{name} {entry['input'][:50]!r} changed the database: {told}")
            before = await digest(world.db)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("name", "entry"), CONFIGS, ids=[name for name, _ in CONFIGS])
def test_every_bad_config_file_is_refused_with_its_problem(name: str, entry: dict[str, Any]):
    with pytest.raises(ConfigError) as refused:
        load_config_text(entry["yaml"], "bad.yaml", environ={})
    problems = [str(problem) for problem in refused.value.problems]
    assert any(entry["expect"] in problem for problem in problems), problems


async def test_every_bad_console_line_gets_a_note_and_changes_nothing(world: Harness):
    session = ConsoleSession(world.hearth, world.adapter, world.clock, "ana")  # type: ignore[arg-type]
    before = await digest(world.db)
    for name, entry in LINES:
        with pytest.raises(ConsoleError) as refused:
            await session.feed(entry["line"])
        assert entry["expect"] in str(refused.value), name
    assert await digest(world.db) == before


async def test_a_no_break_space_or_a_line_break_after_the_command_is_a_space(harness: Harness):
    # Found by the corpus: `checkin\u00a04` (a phone's no-break space) was "an unknown
    # command `checkin 4`", which looks exactly like what the member meant.
    assert (await harness.command("ana", "checkin\u00a04"))[0].startswith("Saved")
    assert (await harness.command("ana", "checkin\n5 #multi"))[0].startswith("Saved")
