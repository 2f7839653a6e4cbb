"""Crisis alerts on a real Synapse (issue 22, item 4): "I'm on it" is a 🙋 reaction on
the alert, and an alert nobody took is raised again calling the configured
moderators (`m.mentions` and a pill), which rings their phone and nobody else's."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

pytest.importorskip("nio")
pytest.importorskip("synapse")

from bot.config import Moderators  # noqa: E402
from tests import test_matrix_live as live  # noqa: E402
from tests.test_matrix_live import START, World  # noqa: E402

# The live tests' homeserver and community, as fixtures here too.
synapse = live.synapse
world = live.world

CRISIS = "I can't go on, I want to end my life"


async def test_an_alert_is_raised_again_calling_the_moderators_and_taken_by_a_reaction(
    world: World,
) -> None:
    await world.prepare(queue=True)
    mod, ann, hearth_id = world.mod, world.ann, world.bot_id
    (circle,) = world.config.communities
    called = dataclasses.replace(circle, moderators=Moderators(users=(mod.user_id,)))
    world.config = dataclasses.replace(world.config, communities=(called,))
    bot = await world.start()
    dm = await world.dm(ann)
    await ann.say(dm, f"!share {CRISIS}")
    alert = await mod.wait_for(lambda: mod.notice_with(world.queue, hearth_id, "Possible crisis"))
    assert ann.user_id not in json.dumps(alert.source)
    assert "🙋 !mod take a1 — I'm on it" in alert.body.splitlines()
    assert alert.source["content"]["m.mentions"] == {}
    assert not await mod.notifies(world.queue, alert)
    await mod.wait_for(lambda: "🙋" in mod.reactions_on(world.queue, alert.event_id, hearth_id))

    # Nobody took it in 15 minutes: raised again, once, calling the moderator by name.
    await bot.hearth.scheduler.advance_to(START + timedelta(minutes=16))
    again = await mod.wait_for(
        lambda: mod.notice_with(world.queue, hearth_id, "Nobody has taken alert a1")
    )
    content = again.source["content"]
    assert content["m.mentions"] == {"user_ids": [mod.user_id]}
    assert again.body.startswith(f"{mod.user_id} ⏰ Nobody has taken alert a1 (share #1)")
    assert f'<a href="https://matrix.to/#/{mod.user_id}">' in content["formatted_body"]
    assert await mod.notifies(world.queue, again)  # it rings the moderator's phone

    # 🙋 on the alert: the moderator has it, and the queue says so.
    await mod.react(world.queue, alert.event_id, "🙋")
    taken = await mod.wait_for(lambda: mod.notice_with(world.queue, hearth_id, "is on alert a1"))
    assert taken.source["content"]["m.mentions"] == {}
    assert ann.user_id not in json.dumps(taken.source)
    outcome = await bot.db.fetchval("SELECT outcome FROM crisis_alerts WHERE number = 1")
    assert outcome == "late"
    await bot.hearth.scheduler.advance_to(START + timedelta(hours=2))
    await mod.sync()
    assert len([e for e in mod.notices(world.queue, hearth_id) if "Nobody has" in e.body]) == 1
