"""Buddies on a real Synapse (issue 20): two members opt in with `!buddy join`,
each is asked in their encrypted DM and says yes with a ✅ reaction, the pair forms
only then, and a reminder comes at each one's local time with a 👋 to tap.
Reuses the world of tests/test_matrix_live.py (one homeserver per session)."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytest.importorskip("nio")
pytest.importorskip("synapse")

from tests.test_matrix_live import (  # noqa: E402
    START,
    World,
    _nio_logs_released,  # noqa: F401 — autouse, as there
    synapse,  # noqa: F401 — the session's homeserver
    world,  # noqa: F401
)

PROPOSAL = "Someone who also likes walking would like a buddy"


async def test_pairing_consent_by_reaction_and_a_reminder(world: World) -> None:  # noqa: F811
    bot = await world.build()
    ann, bob, hearth_id = world.ann, world.bob, world.bot_id
    ann_dm, bob_dm = await world.dm(ann), await world.dm(bob)
    await ann.say(ann_dm, "!buddy join walking music Europe/Berlin")
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "on the list for a buddy"))
    await bob.say(bob_dm, "!buddy join walking Europe/London")

    proposals = {}
    for person, dm in ((ann, ann_dm), (bob, bob_dm)):
        asked = await person.wait_for(lambda p=person, d=dm: p.notice_with(d, hearth_id, PROPOSAL))
        assert "!buddy accept" in asked.body  # what to type, for clients without reactions
        await person.wait_for(
            lambda p=person, d=dm, e=asked: {"✅", "🙅"} <= p.reactions_on(d, e.event_id, hearth_id)
        )
        proposals[person.user_id] = asked
        # Only the interest they share: no name yet.
        assert ann.user_id not in asked.body and bob.user_id not in asked.body

    await ann.react(ann_dm, proposals[ann.user_id].event_id, "✅")
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "as soon as they've answered"))
    assert await bot.db.fetchval("SELECT status FROM buddy_pairs") == "proposed"
    await bob.react(bob_dm, proposals[bob.user_id].event_id, "✅")
    await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "are buddies now"))
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "are buddies now"))
    assert await bot.db.fetchval("SELECT status FROM buddy_pairs") == "paired"

    # A week on, 18:00 in Berlin is 17:00 UTC: ann's nudge, with 👋 to say she reached out.
    await bot.hearth.scheduler.advance_to(START + timedelta(days=7, hours=10, minutes=1))
    nudge = await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "A gentle nudge"))
    assert nudge.source["content"]["msgtype"] == "m.text"  # her own DM: it may ring
    await ann.wait_for(lambda: "👋" in ann.reactions_on(ann_dm, nudge.event_id, hearth_id))
    assert not bob.notice_with(bob_dm, hearth_id, "A gentle nudge")  # 18:00 in London is later
    await ann.react(ann_dm, nudge.event_id, "👋")
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "Thank you for reaching out"))
