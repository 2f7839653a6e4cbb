"""Acknowledging interactions in a burst (issue 21): an interaction that arrives
while others wait for the core is deferred at once, before the core is asked
anything, and then answered; one alone is answered directly. Over the fake
transport, no timing asserted (bench/discord_ack.py measures the p99)."""

from __future__ import annotations

from adapters.discord.responder import BACKLOG
from tests.discord_payloads import slash, user
from tests.discord_support import discord_config, openapi_problems, settle, start


async def test_a_burst_is_deferred_at_once_and_every_interaction_answered(db_url):
    h = await start(discord_config(db_url), defer_after=60)  # no timer fires in this test
    burst = [
        slash(user(500000000000000000 + n, f"m{n}"), "checkin now", {"mood": "4"})
        for n in range(3 * BACKLOG)
    ]
    before = len(h.fake.requests)
    for payload in burst:
        h.feed("INTERACTION_CREATE", payload)
    await settle()
    requests = h.fake.requests[before:]

    first = {}
    for r in requests:
        parts = r.path.strip("/").split("/")
        if parts[0] == "interactions":
            first.setdefault(parts[1], r.json["type"])
    assert len(first) == len(burst)  # every one acknowledged
    deferred = [p["id"] for p in burst if first[p["id"]] == 5]
    # the first ones find no backlog and are answered directly; the rest are deferred
    assert [first[p["id"]] for p in burst[:BACKLOG]] == [4] * BACKLOG
    assert len(deferred) == len(burst) - BACKLOG
    followups = [r for r in requests if r.method == "POST" and r.path.startswith("/webhooks/")]
    answered = {r.path.split("/")[3] for r in followups}
    assert answered == {f"token-{i}" for i in deferred}  # each deferred one then answered
    assert all("Saved" in r.json["content"] for r in followups)
    assert not [p for r in requests if (p := openapi_problems(r))]
    assert await h.hearth.db.fetchval("SELECT count(*) FROM checkins") == len(burst)
    await h.stop()


async def test_one_interaction_alone_is_answered_without_a_deferral(db_url):
    h = await start(discord_config(db_url), defer_after=60)
    answer = await h.interact(slash(user(500000000000000001, "ana"), "checkin now", {"mood": "3"}))
    callbacks = [r.json["type"] for r in answer if r.path.endswith("/callback")]
    assert callbacks == [4]
    await h.stop()
