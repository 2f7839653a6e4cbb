"""Discord's 429 slows Hearth down (issue 21): the adapter passes every "too many
requests" to the core, which holds back the sends of every process for as long
as Retry-After asks (bot/pacing.py); waiting is no failed attempt. Over the
fake transport, discord.py's own rate-limit handling running above it."""

from __future__ import annotations

from datetime import timedelta

from tests.discord_payloads import slash, user
from tests.discord_support import discord_config, start

ALICE = user(400000000000000001, "alice")
CHANNEL = "700000000000000777"  # Alice's DM channel, as Discord knows it


async def prompted(db_url, retry_after: float):
    """Alice due a prompt at 09:00, her DM channel's next message answered 429."""
    h = await start(discord_config(db_url))
    h.fake.dm_channels[ALICE["id"]] = CHANNEL
    await h.interact(slash(ALICE, "checkin schedule", {"time": "09:00", "timezone": "UTC"}))
    h.fake.rate_limits[f"/channels/{CHANNEL}/messages"] = [retry_after]
    return h


def messages(requests) -> list:
    return [r for r in requests if r.method == "POST" and r.path.endswith("/messages")]


async def test_a_long_429_holds_the_sends_back_for_its_retry_after(db_url):
    h = await prompted(db_url, 60.0)  # beyond what discord.py waits out inside a send
    refused = await h.advance(hours=2)
    assert len(messages(refused)) == 1  # asked once, answered 429
    assert messages(await h.advance(seconds=59)) == []  # nothing while Discord asks to wait
    sent = messages(await h.advance(seconds=2))
    assert len(sent) == 1 and "Time for" in sent[0].json["content"]
    row = await h.hearth.db.fetchrow("SELECT status, attempts FROM outbox")
    assert (row["status"], row["attempts"]) == ("sent", 0)  # waiting was no failure
    await h.stop()


async def test_a_short_429_discord_py_retries_still_holds_the_next_sends(db_url):
    h = await prompted(db_url, 0.01)  # discord.py waits this out and sends again
    answered = await h.advance(hours=2)
    assert len(messages(answered)) == 2  # the 429, then the prompt
    hold = await h.hearth.outbox.pacing.ready_at("discord")
    assert hold is not None and hold >= h.clock.now() + timedelta(seconds=0.01)
    await h.stop()
