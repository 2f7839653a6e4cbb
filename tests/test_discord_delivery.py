"""What Hearth posts on Discord, through the real outbox and discord.py's HTTP
client: nonces, mentions, DMs that cannot be delivered, threads, take-downs, files."""

from __future__ import annotations

import json

import pytest

from adapters.discord import DiscordAdapter, translate
from bot.app import UNREACHABLE_NOTICE
from bot.config import Sharing
from bot.port import DeliveryError, Member, Message, Place
from tests.conftest import lookup, outbox_rows
from tests.discord_payloads import (
    MOD_QUEUE,
    MOD_ROLE,
    SHARES,
    buttons,
    press,
    slash,
    submit,
    user,
)
from tests.discord_support import (
    Harness,
    discord_config,
    harbour,
    start,
)

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")
MONA = user(400000000000000003, "mona")
SHARE_FORM = 'hearth-form:["share post",{}]'
NO_MENTIONS = {"parse": []}


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/hearth.db"


@pytest.fixture
async def h(url):
    harness = await start(discord_config(url))
    yield harness
    await harness.stop()


async def schedule(h: Harness, who: dict) -> None:
    await h.interact(slash(who, "checkin schedule", {"time": "09:00", "timezone": "Europe/Berlin"}))


def posted(h: Harness, channel: int) -> list[dict]:
    return [m for m in h.fake.messages.values() if m["channel_id"] == str(channel)]


def texts(requests) -> list[str]:
    return [(r.json.get("data") or r.json).get("content") or "" for r in requests if r.json]


async def unreachable(h: Harness, who: dict) -> bool:
    row = await h.hearth.db.fetchrow(
        "SELECT unreachable_at FROM members WHERE lookup = $1", lookup(who["id"], "discord")
    )
    return row["unreachable_at"] is not None


async def test_every_post_carries_its_outbox_key_as_nonce_and_mentions_no_one(h):
    await schedule(h, ALICE)
    await h.interact(submit(BOB, SHARE_FORM, {"text": "Three weeks sober today."}))
    await h.flush()
    (queued,) = posted(h, MOD_QUEUE)
    await h.interact(press(MONA, queued, buttons(queued)["Approve"], roles=[MOD_ROLE]))
    await h.advance(hours=2)  # the prompt, the share, the DM to its author
    rows = await outbox_rows(h.hearth.db, h.hearth.vault)
    # `handled:…` rows react to a queue post (bot/features/sharing/posts.py): no message
    keys = [r["key"] for r in rows if not str(r["key"]).startswith("handled:")]
    posts = [r for r in h.fake.sent("POST", "/channels/") if r.path.endswith("/messages")]
    assert len(posts) == len(keys) == 4
    assert {p.json["nonce"] for p in posts} == {translate.nonce_for(k) for k in keys}
    for post in posts:
        assert post.json["enforce_nonce"] is True and post.json["allowed_mentions"] == NO_MENTIONS
    answers = [r.json.get("data", r.json) for r in h.fake.answers() if r.json]
    said = [a for a in answers if "content" in a]
    assert said and all(a["allowed_mentions"] == NO_MENTIONS for a in said)


async def test_a_retried_send_carries_the_same_nonce(url):
    h = await start(discord_config(url, harbour(sharing=Sharing(vetting=False))))
    h.fake.failures[f"/channels/{SHARES}/messages"] = [(403, 50013)]  # permissions, then fixed
    await h.interact(submit(BOB, SHARE_FORM, {"text": "A hard week."}))
    await h.flush()
    await h.advance(minutes=5)
    first, second = h.fake.sent("POST", f"/channels/{SHARES}/messages")
    assert first.json["nonce"] == second.json["nonce"] and len(posted(h, SHARES)) == 1
    await h.stop()


@pytest.mark.parametrize("code", [50007, 50278])
async def test_closed_dms_mark_the_member_unreachable_after_one_request(h, code):
    await schedule(h, ALICE)
    await h.advance(hours=2)
    assert len(h.fake.dms_to(ALICE["id"])) == 1  # Monday's prompt arrived
    dm = h.fake.dm_channels[ALICE["id"]]
    h.fake.closed_dms[ALICE["id"]] = code  # then she closed her DMs (or left the server)
    tuesday = await h.advance(days=1)
    assert [(r.method, r.path) for r in tuesday] == [("POST", f"/channels/{dm}/messages")]
    assert await unreachable(h, ALICE)
    assert await h.advance(days=3) == []  # no retry, no more prompts
    told = texts(await h.interact(slash(ALICE, "checkin history")))
    assert any(UNREACHABLE_NOTICE in t for t in told)
    again = texts(await h.interact(slash(ALICE, "checkin history")))
    assert not any(UNREACHABLE_NOTICE in t for t in again)  # told once


async def test_no_mutual_guilds_stops_at_opening_the_dm(h):
    h.fake.no_dm_channel[BOB["id"]] = 50278
    await schedule(h, BOB)
    requests = await h.advance(hours=2)
    assert [(r.method, r.path) for r in requests] == [("POST", "/users/@me/channels")]
    assert await unreachable(h, BOB)


async def test_a_reply_is_threaded_under_its_share_and_a_take_down_deletes_both(url):
    h = await start(discord_config(url, harbour(sharing=Sharing(vetting=False))))
    await h.interact(submit(BOB, SHARE_FORM, {"text": "Evenings are hard."}))
    await h.flush()
    (share,) = posted(h, SHARES)
    (form,) = await h.interact(press(ALICE, share, buttons(share)["Reply anonymously"]))
    reply_form = form.json["data"]["custom_id"]
    await h.interact(submit(ALICE, reply_form, {"text": "They were for me too."}))
    await h.flush()
    reply = h.fake.sent("POST", f"/channels/{SHARES}/messages")[-1].json
    assert reply["message_reference"]["message_id"] == int(share["id"])
    assert reply["allowed_mentions"] == NO_MENTIONS  # no ping for the replied-to post
    reply_id = [m["id"] for m in posted(h, SHARES)][-1]
    await h.interact(slash(MONA, "mod remove", {"number": "1"}, roles=[MOD_ROLE]))
    deleted = {r.path for r in await h.flush() if r.method == "DELETE"}
    assert deleted == {
        f"/channels/{SHARES}/messages/{share['id']}",
        f"/channels/{SHARES}/messages/{reply_id}",
    }
    await h.stop()


async def test_an_export_asked_for_in_a_server_goes_by_dm_never_into_the_channel(h):
    """SPEC §2: `mydata export` is answered by DM. In a server, the ephemeral answer
    only says where it went; the file itself is uploaded to the member's DM."""
    requests = await h.interact(slash(ALICE, "mydata export"))
    (upload,) = [r for r in requests if r.files]
    dm = h.fake.dm_channels[str(ALICE["id"])]
    assert upload.path == f"/channels/{dm}/messages"
    exported = json.loads(upload.files["hearth-mydata.json"])
    assert exported["member"]["user_id"] == str(ALICE["id"])
    answers = [r for r in requests if r.path.startswith(("/interactions/", "/webhooks/"))]
    assert answers and not any(r.files for r in answers)
    (said,) = [(r.json.get("data") or r.json) for r in answers]
    assert said["flags"] & 64 and "sent your data to our DM" in said["content"]


async def test_an_export_asked_for_in_a_dm_is_the_answer_itself(url):
    h = await start(discord_config(url, sync_global=True))
    requests = await h.interact(slash(ALICE, "mydata export", guild=None, channel="7"))
    (answer,) = [r for r in requests if r.files]
    assert answer.path.startswith("/interactions/")
    assert json.loads(answer.files["hearth-mydata.json"])["member"]["user_id"] == str(ALICE["id"])
    await h.stop()


async def test_an_export_that_cannot_reach_the_dm_says_so_and_posts_nothing(h):
    h.fake.no_dm_channel[str(ALICE["id"])] = 50007
    requests = await h.interact(slash(ALICE, "mydata export"))
    assert not any(r.files for r in requests)
    assert "couldn't send your data by DM" in " ".join(texts(requests))


async def test_nothing_is_sent_before_login(url):
    adapter = DiscordAdapter(discord_config(url))
    with pytest.raises(DeliveryError):
        await adapter.send(Place.dm(Member("discord", "1")), Message("hello"))
    await adapter.close()
