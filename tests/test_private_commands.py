"""Commands whose words could tell who wrote something anonymous are not for a
room's eyes: typed in one, the core asks the platform to take them down
(`Adapter.withdraw`) and answers by DM. The core decides which commands those
are, for every platform; the Matrix adapter only carries it out (redaction,
tests/test_matrix_client.py)."""

from __future__ import annotations

import pytest

from bot.port import CommandGiven, Event, Member, Place
from tests.conftest import RecordingAdapter


class WithdrawingAdapter(RecordingAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.withdrawn: list[Event] = []

    async def withdraw(self, event: Event) -> None:
        self.withdrawn.append(event)


@pytest.mark.parametrize(
    ("text", "anonymous"),
    [
        ("share I had a hard week", True),
        ("share cw grief | my dog died", True),
        ("Reply 3 you are not alone", True),
        ("celebrate 90 days sober anonymous", True),
        ("celebrate 90 days sober", False),
        ("checkin 4", False),
        ("support 3", False),
    ],
)
async def test_which_room_commands_are_taken_down(make_harness, text: str, anonymous: bool):
    adapter = WithdrawingAdapter()
    h = await make_harness(adapter=adapter)
    member = Member("console", "ann")
    typed = CommandGiven("e-room", member, Place.channel("console", "shares"), text)
    await h.hearth.handle(typed)
    await h.hearth.settle()
    assert adapter.withdrawn == ([typed] if anonymous else [])


async def test_nothing_is_taken_down_where_only_the_member_saw_it(make_harness):
    adapter = WithdrawingAdapter()
    h = await make_harness(adapter=adapter)
    member = Member("console", "ann")
    await h.hearth.handle(CommandGiven("e-dm", member, Place.dm(member), "share I had a hard week"))
    await h.hearth.settle()
    assert adapter.withdrawn == []
