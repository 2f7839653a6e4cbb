"""Encouragement notes on Discord, through discord.py on the fake transport: a note
written with `/encourage`, approved by a button in the mod queue, delivered as a DM
after a low `/checkin now`, and thanked with the button under it (issue 20)."""

from __future__ import annotations

import json

from tests.discord_payloads import MOD_QUEUE, MOD_ROLE, buttons, press, slash, user
from tests.discord_support import discord_config, openapi_problems, start
from tests.test_discord_e2e import dm_texts, ephemeral, in_channel, said

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")
MONA = user(400000000000000004, "mona")
NOTE = "You got through yesterday. Be gentle with yourself today."


async def test_a_note_is_delivered_as_a_dm_and_thanked_by_button(db_url):
    h = await start(discord_config(db_url))

    # Bob writes a note with the slash command: nobody sees it typed; it waits for review.
    written = await h.interact(slash(BOB, "encourage", {"text": NOTE}))
    assert ephemeral(written) and "with the moderators" in said(written)
    await h.flush()
    (queued,) = in_channel(h, MOD_QUEUE)
    assert NOTE in queued["content"] and "e1" in queued["content"]
    approve = buttons(queued)["Approve note"]
    approved = await h.interact(press(MONA, queued, approve, roles=[MOD_ROLE]))
    assert "is approved" in said(approved)

    # Alice asks for notes, then checks in low: the note comes to her DM, with a button.
    asked = await h.interact(slash(ALICE, "checkin encouragement", {"state": "on"}))
    assert ephemeral(asked) and "checkin encouragement off" in said(asked)
    await h.interact(slash(ALICE, "checkin now", {"mood": "2"}))
    await h.flush()
    assert any("Someone in our community wrote this" in t for t in dm_texts(h, ALICE))
    (note,) = [
        m for m in h.fake.messages.values() if "Someone in our community wrote" in m["content"]
    ]
    assert NOTE in note["content"]
    (thank_you,) = [custom_id for label, custom_id in buttons(note).items() if "Thank you" in label]

    # One tap in the DM; Bob hears of it once the batch closes, without a name.
    tapped = await h.interact(press(ALICE, note, thank_you, guild=None))
    assert "reach the writer" in said(tapped)
    await h.advance(minutes=20)
    (thanked,) = [t for t in dm_texts(h, BOB) if "said thank you" in t]
    assert "reached someone on a hard day" in thanked and "You got through yesterday" in thanked
    assert "alice" not in thanked and ALICE["id"] not in thanked

    # Nothing in the moderators' channel names the writer; every request is valid.
    for request in h.fake.requests:
        if request.path.startswith(f"/channels/{MOD_QUEUE}/"):
            text = json.dumps(request.json, ensure_ascii=False)
            assert BOB["id"] not in text and "bob" not in text
    assert [problem for r in h.fake.requests for problem in openapi_problems(r)] == []
    await h.stop()
