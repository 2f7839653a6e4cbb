"""Fair mornings (issue 21): when more prompts fall due than the send rate can
carry before their catch-up window closes, Hearth says so ahead of time, in
`mod stats` and the log, and the count it gives is the count that is skipped."""

from __future__ import annotations

import dataclasses
import logging

from conftest import START, community

from bot.config import AdapterSettings, Checkins, Config, ConsoleSettings
from bot.mornings import forecast

HOUR = 3600


def test_the_arithmetic_of_a_morning_wave():
    # The figures: at 25 a second a 2-hour window carries 180,000 prompts due at once.
    assert forecast([(0, 100_000)], 25, 2 * HOUR).late == 0
    wave = forecast([(0, 300_000)], 25, 2 * HOUR)
    assert (wave.due, wave.late, wave.first_late_due) == (300_000, 119_999, 0)
    # The same prompts spread over the morning all go in time.
    assert forecast([(n * 60, 2_500) for n in range(120)], 25, 2 * HOUR).late == 0
    # A prompt past its window is skipped and takes no send from those after it.
    assert forecast([(0, 3), (2, 1)], 1, 0).late == 2
    # Unpaced: nothing waits.
    assert forecast([(0, 10**6)], None, 0).late == 0


def _crowded(db_url: str) -> Config:
    """One prompt every 500 s and a 1-hour window: 8 of 12 prompts due together go in time."""
    checkins = dataclasses.replace(Checkins(), catch_up_hours=1)
    return Config(
        database=db_url,
        communities=(community(checkins=checkins),),
        adapters=AdapterSettings(console=ConsoleSettings(sends_per_second=0.002)),
    )


async def test_mod_stats_and_the_log_say_ahead_how_many_would_be_skipped(
    make_harness, db_url, caplog
):
    h = await make_harness(config=_crowded(db_url))
    for n in range(12):
        await h.command(f"m{n}", "checkin schedule 09:00 UTC")
    stats = "\n".join(await h.command("mona", "mod stats"))
    assert "12 prompts are due" in stats and "about 4 would wait longer" in stats
    with caplog.at_level(logging.WARNING, logger="bot.mornings"):
        await h.advance(hours=1)  # the forecast, hourly, at 08:00: still ahead of the wave
    warned = [r.getMessage() for r in caplog.records if r.name == "bot.mornings"]
    assert len(warned) == 1 and "12; at 0.002 sends a second about 4 would wait" in warned[0]
    assert not any(f"m{n}" in warned[0] for n in range(12))  # counts, never who
    h.adapter.clear()
    await h.advance_to(START.replace(hour=12))
    prompted = sum(1 for n in range(12) if h.adapter.prompts(f"m{n}"))
    assert prompted == 12 - 4  # the forecast is what happened


async def test_no_word_of_it_when_the_rate_carries_the_morning(make_harness, db_url):
    h = await make_harness()
    for n in range(12):
        await h.command(f"m{n}", "checkin schedule 09:00 UTC")
    stats = "\n".join(await h.command("mona", "mod stats"))
    assert "prompts are due" not in stats
