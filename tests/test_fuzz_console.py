"""Fuzzing the console playground's input: any line, or any script of lines,
is either acted on or answered with a `(console)` note. Nothing ends the
session, and every line printed keeps the `[PLACE] TEXT` shape (continuations
indented), however odd the text in it.

`clock` lines stay within a day of the virtual clock: the scheduler stops at
every hour it passes (housekeeping runs hourly), so a fuzzed jump of
centuries would only measure patience. A jump past the calendar is fuzzed.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.console import ConsoleAdapter, ConsoleError, ConsoleSession, parse_clock
from bot.console_ledger import ConsoleLedger
from tests.conftest import START
from tests.test_fuzz_commands import FUZZ, WORDS, World, run

NOTE = "(console) "
Playground = tuple[ConsoleSession, asyncio.AbstractEventLoop, io.StringIO]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Playground]:
    """A playground on the command fuzzer's world: shares, schedules and counters."""
    loop = asyncio.new_event_loop()
    hearth_world = loop.run_until_complete(World.open(f"sqlite:///{tmp_path}/hearth.db"))
    out = io.StringIO()
    console = ConsoleAdapter(out, tmp_path / "console")
    vault = hearth_world.hearth.vault
    console.remember_deliveries(
        ConsoleLedger(hearth_world.hearth.db, lambda key: vault.lookup("console", key))
    )
    hearth_world.hearth.adapters["console"] = console  # the outbox sends through it too
    yield ConsoleSession(hearth_world.hearth, console, hearth_world.clock, "ana"), loop, out
    loop.run_until_complete(hearth_world.close())
    loop.close()


clock_lines = st.one_of(
    st.builds(lambda h, m: f"clock +{h}h{m}m", st.integers(0, 3), st.integers(0, 59)),
    st.just("clock +1d"),
    st.builds(lambda d: f"clock +{d}d", st.integers(10**7, 10**12)),  # past year 9999
    st.builds(lambda text: f"clock {text}", st.text(max_size=30)),
    st.sampled_from(("clock 0001-01-01 00:00+01:00", "clock 2026-03-01 00:00", "clock +")),
)
lines = st.one_of(
    st.text(max_size=200),
    clock_lines,
    st.builds(lambda name: f"as {name}", st.text(max_size=70)),
    st.sampled_from(("as ana", "as mona", "as bob", "in dm", "in #shares", "in #mod-queue")),
    st.builds(lambda place: f"in {place}", st.text(max_size=30)),
    st.builds(
        lambda prefix, words: prefix + " ".join(words),
        st.sampled_from(("/", "!", "/share ", "!checkin ", "/mod ", "/milestone ")),
        st.lists(st.sampled_from(WORDS) | st.text(max_size=20), max_size=5),
    ),
)


async def script(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


@FUZZ
@given(items=st.lists(lines, min_size=1, max_size=6))
def test_any_script_runs_to_its_end(session, items: list[str]) -> None:
    console_session, loop, out = session
    out.seek(0)
    out.truncate()
    run(loop, console_session.run(script(items)))  # only ConsoleError is caught inside
    for printed in out.getvalue().splitlines():
        assert printed.startswith(("[", "  ", NOTE)), printed


@FUZZ
@given(line=lines)
def test_any_line_is_acted_on_or_refused_with_a_note(session, line: str) -> None:
    console_session, loop, _ = session
    try:
        run(loop, console_session.feed(line.strip()))
    except ConsoleError as refused:
        assert str(refused)


def test_a_clock_line_past_the_calendar_is_a_note_not_a_crash() -> None:
    for text in ("+99999999999d", "0001-01-01 00:00+01:00", "9999-12-31 23:59-01:00"):
        with pytest.raises(ConsoleError, match="outside the calendar"):
            parse_clock(text, START)
    assert parse_clock("+1d", START) == START + timedelta(days=1)
