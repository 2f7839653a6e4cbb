"""Hearth's core and the Discord adapter together, on a fake Discord at the
transport: a member's week, from the first slash command to a relayed DM, and
buttons that outlive a restart."""

from __future__ import annotations

import json

import pytest

from bot.clock import FakeClock
from bot.config import Sharing
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
    FakeDiscord,
    Harness,
    discord_config,
    harbour,
    openapi_problems,
    start,
)

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")
CAROL = user(400000000000000003, "carol")
MONA = user(400000000000000004, "mona")
SHARE_FORM = 'hearth-form:["share post",{}]'


def said(requests) -> str:
    """The text of every interaction answer among `requests`."""
    bodies = [r.json.get("data", r.json) for r in requests if r.json]
    return "\n".join(b.get("content") or "" for b in bodies)


def ephemeral(requests) -> bool:
    callbacks = [r.json for r in requests if r.path.endswith("/callback")]
    return bool(callbacks) and all(c["data"].get("flags", 0) & 64 for c in callbacks)


def in_channel(h: Harness, channel: int) -> list[dict]:
    return [m for m in h.fake.messages.values() if m["channel_id"] == str(channel)]


def dm_texts(h: Harness, who: dict) -> list[str]:
    return [body["content"] for body in h.fake.dms_to(who["id"])]


async def test_a_week_on_discord(db_url):
    h = await start(discord_config(db_url))

    # Alice opts in to check-ins from the server; only she sees the answer.
    answer = await h.interact(
        slash(
            ALICE,
            "checkin schedule",
            {"time": "09:00", "days": "weekdays", "timezone": "Europe/Berlin"},
        )
    )
    assert ephemeral(answer) and "09:00 (weekdays, Europe/Berlin)" in said(answer)

    # At 09:00 in Berlin the prompt reaches her by DM, with one-tap buttons.
    await h.advance(hours=2)
    (prompt,) = [m for m in h.fake.messages.values() if m["content"].startswith("Time for")]
    choices = buttons(prompt)
    assert len(choices) == 7 and {"Snooze 1h", "Skip today"} <= set(choices)

    # She taps "good" (4) in the DM: stored, answered in the DM itself.
    tapped = await h.interact(press(ALICE, prompt, choices["🙂 good"], guild=None))
    assert "Saved — 🙂 good" in said(tapped) and not ephemeral(tapped)
    assert await h.hearth.db.fetchval("SELECT mood FROM checkins") == 4

    # Bob shares through the private form; it waits for a moderator.
    (form,) = await h.interact(slash(BOB, "share post"))
    custom_id = form.json["data"]["custom_id"]
    shared = await h.interact(submit(BOB, custom_id, {"text": "Three weeks sober today."}))
    assert ephemeral(shared) and "waiting for a moderator" in said(shared)
    await h.flush()
    (queued,) = in_channel(h, MOD_QUEUE)
    assert "Three weeks sober today." in queued["content"]

    # Carol cannot approve it; Mona, who has the moderator role, can.
    refused = await h.interact(press(CAROL, queued, buttons(queued)["Approve"]))
    assert "Only moderators" in said(refused) and not in_channel(h, SHARES)
    approved = await h.interact(press(MONA, queued, buttons(queued)["Approve"], roles=[MOD_ROLE]))
    assert "Share #1 is posted" in said(approved)
    await h.flush()
    (share,) = in_channel(h, SHARES)
    assert share["content"] == (
        "📝 Anonymous share #1\nThree weeks sober today.\n"
        "💬 To reply without your name, DM me `reply 1 YOUR WORDS`."
    )
    assert set(buttons(share)) == {"🤝 Support", "Reply anonymously"}
    assert any("now posted" in t for t in dm_texts(h, BOB))

    # Alice sends support; Bob hears about it once the batch closes.
    supported = await h.interact(press(ALICE, share, buttons(share)["🤝 Support"]))
    assert ephemeral(supported) and "Sent 🤝" in said(supported)
    await h.advance(minutes=20)
    assert "🤝 Someone sent support to your share #1." in dm_texts(h, BOB)

    # Carol replies anonymously through the button's form; Bob gets it by DM.
    (reply_form,) = await h.interact(press(CAROL, share, buttons(share)["Reply anonymously"]))
    assert reply_form.json["type"] == 9
    await h.interact(
        submit(
            CAROL, reply_form.json["data"]["custom_id"], {"text": "It gets easier. Proud of you."}
        )
    )
    await h.advance(minutes=20)  # replies reach the author batched, like support
    relayed = [t for t in dm_texts(h, BOB) if "Someone replied to your share #1" in t]
    assert len(relayed) == 1 and "Proud of you" in relayed[0]

    # Nothing Hearth told Discord links the share to Bob, or the reply to Carol.
    public = [
        r
        for r in h.fake.requests
        if r.path.startswith((f"/channels/{SHARES}/", f"/channels/{MOD_QUEUE}/"))
    ]
    for request in public:
        text = json.dumps(request.json, ensure_ascii=False)
        for who in (BOB, CAROL, ALICE):
            assert who["id"] not in text and who["username"] not in text
    for text in dm_texts(h, BOB):
        assert CAROL["id"] not in text and "carol" not in text and "alice" not in text

    # Every request of the week is one Discord's own API description accepts.
    assert [problem for r in h.fake.requests for problem in openapi_problems(r)] == []
    await h.stop()


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/hearth.db"


async def test_buttons_and_forms_outlive_a_restart(url):
    config = discord_config(url, harbour(sharing=Sharing(vetting=False)))
    first = await start(config)
    await first.interact(submit(BOB, SHARE_FORM, {"text": "A hard week."}))
    await first.flush()
    (share,) = in_channel(first, SHARES)
    (form,) = await first.interact(press(ALICE, share, buttons(share)["Reply anonymously"]))
    await first.stop()  # the process ends with the form still open on Alice's screen

    second = await start(config, clock=FakeClock(first.clock.now()), fake=FakeDiscord())
    supported = await second.interact(press(CAROL, share, buttons(share)["🤝 Support"]))
    assert "Sent 🤝 to the author of share #1" in said(supported)
    replied = await second.interact(
        submit(ALICE, form.json["data"]["custom_id"], {"text": "Thinking of you."})
    )
    assert "Replied anonymously under share #1" in said(replied)
    await second.flush()
    assert any("Thinking of you." in m["content"] for m in in_channel(second, SHARES))
    await second.stop()
