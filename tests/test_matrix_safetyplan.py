"""A safety plan written on Matrix against a real Synapse: guided in the member's
encrypted DM, one step at a time (a plain message answers the step asked, `skip` or
a reaction leaves it), and shown back with what a Matrix member types."""

from __future__ import annotations

import pytest

pytest.importorskip("nio")
pytest.importorskip("synapse")

from tests.test_matrix_live import (  # noqa: E402
    World,
    _nio_logs_released,  # noqa: F401 - the autouse fixture, here too
    synapse,  # noqa: F401 - the session's homeserver
    world,  # noqa: F401, F811 - the fixture the test takes
)

SIGNS = "I stop answering Ana and sleep all day"
HELPERS = "Sister Ana 0151 2345678"


async def test_a_plan_is_written_by_guided_messages_in_the_dm(world: World) -> None:  # noqa: F811
    bot = await world.build()
    ann, me = world.ann, world.bot_id
    dm = await world.dm(ann)

    await ann.say(dm, "!safetyplan edit")
    first = await ann.wait_for(lambda: ann.notice_with(dm, me, "Step 1 of 6"))
    assert "My warning signs" in first.body
    assert "`skip` leaves this step as it is" in first.body  # a word, not a command
    await ann.say(dm, SIGNS)  # a plain message answers the step asked
    await ann.wait_for(lambda: ann.notice_with(dm, me, "Step 2 of 6"))
    await ann.say(dm, "skip")
    third = await ann.wait_for(lambda: ann.notice_with(dm, me, "Step 3 of 6"))
    # The same by a reaction: the choices are drawn as reactions on the question.
    await ann.wait_for(lambda: "⏭️" in ann.reactions_on(dm, third.event_id, me))
    await ann.react(dm, third.event_id, "⏭️")
    await ann.wait_for(lambda: ann.notice_with(dm, me, "Step 4 of 6"))
    await ann.say(dm, HELPERS)
    await ann.wait_for(lambda: ann.notice_with(dm, me, "Step 5 of 6"))
    await ann.say(dm, "cancel")
    await ann.wait_for(lambda: ann.notice_with(dm, me, "Stopped here"))

    await ann.say(dm, "!safetyplan")
    shown = await ann.wait_for(lambda: ann.notice_with(dm, me, "Your safety plan, in your own"))
    assert SIGNS in shown.body and HELPERS in shown.body
    assert "`!safetyplan edit 2`" in shown.body  # what a Matrix member types
    assert await bot.db.fetchval("SELECT count(*) FROM safety_plans WHERE steps IS NOT NULL") == 1
