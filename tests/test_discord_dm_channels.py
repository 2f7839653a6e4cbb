"""A member's Discord DM channel is kept in the database (issue 21): sealed in
`core.store`, erased with the member, so a restart asks Discord for no channel
again and each DM prompt is one request; the request that opens a channel is
paced like a send. Over the fake transport (tests/discord_support.py)."""

from __future__ import annotations

import json

from adapters.discord.client import DM_CHANNEL
from bot.port import Member
from tests.discord_payloads import slash, user
from tests.discord_support import FakeDiscord, discord_config, openapi_problems, start

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")
OPEN_DM = "/users/@me/channels"


def dm_posts(requests, fake: FakeDiscord) -> list:
    channels = set(fake.dm_channels.values())
    return [
        r
        for r in requests
        if r.method == "POST"
        and r.path.split("/")[1:2] == ["channels"]
        and r.path.split("/")[2] in channels
    ]


async def schedule(h, who) -> None:
    await h.interact(slash(who, "checkin schedule", {"time": "09:00", "timezone": "UTC"}))


async def test_a_restart_asks_discord_for_no_dm_channel_again(db_url):
    config = discord_config(db_url)
    h = await start(config)
    for who in (ALICE, BOB):
        await schedule(h, who)
    first = await h.advance(hours=2)  # 09:00 UTC: both prompts
    assert len(h.fake.sent("POST", OPEN_DM)) == 2 and len(dm_posts(first, h.fake)) == 2
    assert not [p for r in first if (p := openapi_problems(r))]
    clock = h.clock
    await h.stop()

    # A new process on the same database; Discord still has the same DM channels.
    fake = FakeDiscord()
    fake.dm_channels = dict(h.fake.dm_channels)
    again = await start(config, clock=clock, fake=fake)
    next_day = await again.advance(days=1)
    assert again.fake.sent("POST", OPEN_DM) == []
    prompts = dm_posts(next_day, again.fake)
    assert len(prompts) == 2 and all("Time for" in r.json["content"] for r in prompts)
    await again.stop()


async def test_the_kept_channel_is_sealed_exported_and_erased_with_the_member(db_url):
    h = await start(discord_config(db_url))
    await schedule(h, ALICE)
    await h.advance(hours=2)
    channel = h.fake.dm_channels[ALICE["id"]]
    member = Member("discord", ALICE["id"])
    assert await h.hearth.store.member_state(member, DM_CHANNEL) == channel
    stored = [r["value"] for r in await h.hearth.db.fetch("SELECT value FROM adapter_member_state")]
    assert len(stored) == 1 and channel not in stored[0]  # sealed, not in the clear

    exported = await h.interact(slash(ALICE, "mydata export"))
    (export,) = [f for r in exported for f in r.files.values()]
    assert json.loads(export)["member"]["platform_state"] == {DM_CHANNEL: channel}
    await h.interact(slash(ALICE, "mydata delete"))
    await h.interact(slash(ALICE, "mydata delete", {"confirm": True}))
    assert await h.hearth.db.fetchval("SELECT count(*) FROM adapter_member_state") == 0
    await h.stop()


async def test_opening_a_dm_channel_takes_a_send_token_of_its_own(db_url):
    # One request a second: the channel now, the prompt itself a second later.
    h = await start(discord_config(db_url, sends_per_second=1, send_burst=1))
    await schedule(h, ALICE)
    at_nine = await h.advance(hours=2)
    assert [r.path for r in at_nine] == [OPEN_DM]
    later = await h.advance(seconds=1)
    assert len(dm_posts(later, h.fake)) == 1 and h.fake.sent("POST", OPEN_DM) == at_nine
    await h.stop()
