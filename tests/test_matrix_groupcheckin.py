"""The weekly group check-in on a real Synapse: Hearth posts the thread's root in the
community's room at its local time, and a member's `m.thread` answer to it counts."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime

import pytest

pytest.importorskip("nio")
pytest.importorskip("synapse")

from bot.config import GroupCheckin, Peers  # noqa: E402
from tests.test_matrix_live import World, _nio_logs_released, synapse, world  # noqa: E402, F401

SUNDAY_EVENING = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)  # 18:00 in Berlin


async def test_the_root_is_posted_and_an_answer_in_its_thread_counts(world: World) -> None:  # noqa: F811
    await world.prepare()
    owner, ann = world.owner, world.ann
    room = await owner.create_room(invite=(world.bot_id, ann.user_id), powers={world.bot_id: 50})
    await ann.join(room)
    weekly = GroupCheckin(room, "sun", "18:00", "Europe/Berlin")
    [community] = world.config.communities
    world.config = dataclasses.replace(
        world.config, communities=(dataclasses.replace(community, peers=Peers(weekly)),)
    )
    bot = await world.start()

    await bot.hearth.settle()  # the week is planned
    await bot.hearth.scheduler.advance_to(SUNDAY_EVENING)
    root = await ann.wait_for(lambda: ann.notice_with(room, world.bot_id, "How was your week?"))
    assert root.source["content"]["msgtype"] == "m.notice"  # a room post: it does not ring

    # Ann answers in the thread (the way Element sends it), and says hello outside it.
    relation = {
        "rel_type": "m.thread",
        "event_id": root.event_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": root.event_id},
    }
    await ann.send(
        room,
        "m.room.message",
        {"msgtype": "m.text", "body": "Tired, but okay.", "m.relates_to": relation},
    )
    await ann.say(room, "hello everyone")

    deadline = time.monotonic() + 15
    answers = None
    while time.monotonic() < deadline:
        answers = await bot.db.fetchval(
            "SELECT answers FROM group_checkins WHERE outcome = 'opened'"
        )
        if answers:
            break
        await asyncio.sleep(0.1)
    assert answers == 1
    await asyncio.sleep(0.5)  # the message outside the thread has had its chance too
    assert await bot.db.fetchval("SELECT answers FROM group_checkins WHERE outcome = 'opened'") == 1
    # Hearth said nothing in the room beyond the root.
    assert [e.event_id for e in ann.notices(room, world.bot_id)] == [root.event_id]
