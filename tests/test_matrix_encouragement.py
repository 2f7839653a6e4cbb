"""Encouragement notes on a real Synapse (issue 20): a note written by DM, approved by
a moderator's ✅ reaction in the queue room, delivered in an encrypted DM after a low
check-in, and thanked with a 💛 reaction that reaches the writer without a name.
One test: the homeserver is slow."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

pytest.importorskip("nio")
pytest.importorskip("synapse")

from tests.test_matrix_live import START, World, synapse, world  # noqa: E402, F401

NOTE = "You got through yesterday. Be gentle with yourself today."


async def test_a_note_is_delivered_and_thanked_by_reaction(world: World) -> None:  # noqa: F811
    bot = await world.build(queue=True)
    ann, bob, mod, hearth_id = world.ann, world.bob, world.mod, world.bot_id
    ann_dm, bob_dm = await world.dm(ann), await world.dm(bob)

    await ann.say(ann_dm, f"!encourage {NOTE}")
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "with the moderators"))
    queued = await mod.wait_for(lambda: mod.notice_with(world.queue, hearth_id, "note e1"))
    assert ann.user_id not in json.dumps(queued.source) and NOTE in queued.body
    await mod.wait_for(lambda: "✅" in mod.reactions_on(world.queue, queued.event_id, hearth_id))
    await mod.react(world.queue, queued.event_id, "✅")
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "was approved"))

    await bob.say(bob_dm, "!checkin encouragement on")
    await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "!checkin encouragement off"))
    await bob.say(bob_dm, "!checkin 2")
    note = await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "for a day like today"))
    assert NOTE in note.body and ann.user_id not in json.dumps(note.source)
    await bob.wait_for(lambda: "💛" in bob.reactions_on(bob_dm, note.event_id, hearth_id))
    await bob.react(bob_dm, note.event_id, "💛")
    await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "reach the writer"))

    await bot.hearth.scheduler.advance_to(START + timedelta(minutes=16))  # the batch closes
    thanked = await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "said thank you"))
    assert bob.user_id not in json.dumps(thanked.source) and "You got through" in thanked.body
