"""`help`: every command a member can use, grouped; `mod` for moderators only; a plain
`help` in a DM is help. And the community a moderator means in a DM (item 15)."""

from __future__ import annotations

import dataclasses

from bot.config import Config
from bot.port import Member, MessagePosted, Place
from tests.conftest import community

MEMBER_COMMANDS = (
    "checkin",
    "milestone",
    "celebrate",
    "cheer",
    "resources",
    "contact",
    "privacy",
    "mydata",
    "share",
    "reply",
    "support",
    "report",
    "help",
)


def listed(card: str) -> list[str]:
    return [
        line.split("`")[1] for line in card.splitlines() if line.startswith("`") and " — " in line
    ]


async def test_help_lists_every_member_command_grouped_sharing_before_data_rights(harness):
    (card,) = await harness.command("ana", "help")
    names = listed(card)
    assert set(MEMBER_COMMANDS) <= set(names)
    routed = {route.name for route in harness.hearth.router.listed} - {"mod"}
    assert routed <= set(names), "every command a member can use is listed"
    assert names.index("share") < names.index("mydata") < names.index("help")
    assert names.index("checkin") < names.index("share")
    assert card.index("Sharing, anonymously") < card.index("Your data and settings")
    assert "`mod`" not in card and "For moderators" not in card
    assert card.splitlines()[-1] == "`help COMMAND` tells more about one."


async def test_mod_is_listed_only_for_moderators(harness):
    (mona,) = await harness.command("mona", "help")
    assert "For moderators" in mona and "`mod` — " in mona
    assert listed(mona)[-1] == "mod"
    channel = Place.channel("console", "shares")
    (in_channel,) = await harness.command("mona", "help", place=channel)
    assert "`mod` — " in in_channel
    (ana,) = await harness.command("ana", "help", place=channel)
    assert "`mod`" not in ana


async def test_help_mod_is_for_moderators_and_help_of_nothing_is_kind(harness):
    assert await harness.command("ana", "help mod") == [
        "`mod` is for moderators. `help` lists everything you can use."
    ]
    (detail,) = await harness.command("mona", "help mod")
    assert "mod queue" in detail
    assert await harness.command("ana", "help plaintext") == [
        "There's no `plaintext` command. `help` lists them all."
    ]


async def test_help_checkin_lists_snooze(harness):
    (detail,) = await harness.command("ana", "help checkin")
    assert "checkin snooze" in detail


async def said(harness, words: str, user: str = "ana") -> list[str]:
    member = Member("console", user)
    before = len(harness.adapter.sent)
    await harness.hearth.handle(MessagePosted(harness.event_id(), member, Place.dm(member), words))
    return [s.message.text for s in harness.adapter.sent[before:]]


async def test_a_plain_help_in_a_dm_is_answered_with_help(harness):
    (card,) = await harness.command("ana", "help")
    assert await said(harness, "help") == [card]
    assert await said(harness, "Help?") == [card]
    (detail,) = await harness.command("ana", "help milestone")
    assert await said(harness, "help milestone") == [detail]


async def test_words_that_only_start_with_help_are_listened_to_as_words(harness):
    (answer,) = await said(harness, "help me understand this")
    assert answer.startswith("I'm a bot")
    crisis = await said(harness, "help i want to die")
    assert "emergency number" in " ".join(crisis)


def two_communities(db_url: str, **second: object) -> Config:
    other = dataclasses.replace(community(name="other"), **second)  # type: ignore[arg-type]
    return Config(database=db_url, communities=(community(), other))


async def test_with_two_communities_help_in_a_dm_needs_no_community(make_harness, db_url):
    h = await make_harness(config=two_communities(db_url))
    (card,) = await h.command("ana", "help")
    assert "`share`" in card and "--community" not in card
    (mona,) = await h.command("mona", "help")
    assert "`mod` — " in mona  # mona moderates "example"


async def test_a_moderator_of_one_community_is_not_asked_which(make_harness, db_url):
    from bot.config import Moderators

    h = await make_harness(config=two_communities(db_url, moderators=Moderators(users=("sam",))))
    (queue,) = await h.command("mona", "mod queue")
    assert "--community" not in queue and "queue is empty" in queue
    (queue,) = await h.command("sam", "mod queue")
    assert "--community" not in queue and "queue is empty" in queue
    # someone who moderates neither still hears which communities there are
    (asked,) = await h.command("ana", "mod queue")
    assert "--community" in asked


async def test_a_moderator_of_both_still_picks_one(make_harness, db_url):
    from bot.config import Moderators

    h = await make_harness(config=two_communities(db_url, moderators=Moderators(users=("mona",))))
    (asked,) = await h.command("mona", "mod queue")
    assert "--community" in asked
    (queue,) = await h.command("mona", "mod queue --community other")
    assert "queue is empty" in queue
