"""Slash commands through discord.py's real command tree: raw INTERACTION_CREATE
payloads in, the words the core gets and the HTTP discord.py sends out."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

import discord
import pytest

from adapters.discord import translate
from bot.config import DiscordShards
from bot.port import ChoicePicked, CommandGiven, Event
from tests.discord_payloads import (
    APP_ID,
    BOT,
    GENERAL,
    GUILD,
    MOD_ROLE,
    OTHER_GUILD,
    buttons,
    dm_message,
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
from tests.test_discord_translate import INVOCATIONS

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")
NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
def url(tmp_path) -> str:
    """SQLite only: these tests are about Discord, not the database engine."""
    return f"sqlite:///{tmp_path}/hearth.db"


@pytest.fixture
async def h(url):
    harness = await start(discord_config(url))
    yield harness
    await harness.stop()


def record(h: Harness) -> list[Event]:
    """Stand in for the core: keep each event the adapter hands it."""
    events: list[Event] = []

    async def handle(event: Event) -> None:
        events.append(event)

    h.hearth.handle = handle  # type: ignore[method-assign]
    return events


def answer_of(requests) -> dict:
    """The first interaction answer's message data."""
    return next(r.json["data"] for r in requests if r.path.endswith("/callback"))


async def test_every_command_reaches_the_core_as_the_words_a_member_would_type(h):
    events = record(h)
    offered = {c.qualified_name for c in h.adapter.tree.walk_commands(guild=_guild())}
    checked = 0
    for path, values, expected in INVOCATIONS:
        if path not in offered:
            assert path.startswith("mod ") and path.split()[1] not in h.hearth.mod_commands
            continue  # declared for when the core has it
        requests = await h.interact(slash(ALICE, path, values, roles=[MOD_ROLE]))
        if requests and requests[0].json["type"] == 9:  # a form opened instead
            assert requests[0].json["data"]["custom_id"].endswith(expected)
            continue
        event = events.pop()
        assert isinstance(event, CommandGiven) and event.text == expected, path
        assert event.private and event.space == str(GUILD) and event.roles == (str(MOD_ROLE),)
        assert event.place.target == str(GENERAL) and event.member.user_id == ALICE["id"]
        checked += 1
    assert checked >= 35


def _guild() -> discord.Object:
    return discord.Object(id=GUILD)


async def test_the_synced_commands_respect_discords_limits(h):
    (sync,) = [r for r in h.fake.requests if r.method == "PUT"]
    assert sync.path == f"/applications/{APP_ID}/guilds/{GUILD}/commands"
    commands = sync.json
    assert len(commands) <= 100
    for command in commands:
        _check(command, top=True)
        assert len(_characters(command)) <= 4000, command["name"]
    names = {c["name"] for c in commands}
    listed = {info.name for info in h.hearth.router.listed}
    assert names == listed, "one slash command per core command"
    mod = next(c for c in commands if c["name"] == "mod")
    assert mod["default_member_permissions"] is not None  # hidden from members
    assert next(c for c in commands if c["name"] == "share")["default_member_permissions"] is None


def _check(command: dict, top: bool = False) -> None:
    assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
    assert 1 <= len(command["description"]) <= 100, command["name"]
    options = command.get("options", [])
    assert len(options) <= 25
    required = [o.get("required", False) for o in options if o["type"] > 2]
    assert required == sorted(required, reverse=True), "required options come first"
    for option in options:
        if option["type"] in (1, 2):
            _check(option)
            continue
        assert NAME.match(option["name"]) and 1 <= len(option["description"]) <= 100
        choices = option.get("choices", [])
        assert len(choices) <= 25 and all(1 <= len(c["name"]) <= 100 for c in choices)
        assert not (choices and option.get("autocomplete"))


def _characters(command: dict) -> str:
    parts = [command["name"], command["description"]]
    for option in command.get("options", []):
        parts.append(_characters(option))
        parts += [c["name"] + str(c["value"]) for c in option.get("choices", [])]
    return "".join(parts)


async def test_global_commands_are_for_dms_only_and_never_moderation(url):
    h = await start(discord_config(url, sync_global=True))
    (global_sync,) = [r for r in h.fake.requests if r.path == f"/applications/{APP_ID}/commands"]
    assert global_sync.method == "PUT"
    assert "mod" not in {c["name"] for c in global_sync.json}
    assert all(c["contexts"] == [1] for c in global_sync.json)  # BOT_DM
    await h.stop()


async def test_a_member_in_several_communities_picks_one_in_a_dm(url):
    second = harbour(name="lighthouse", guild_id=str(OTHER_GUILD))
    h = await start(discord_config(url, harbour(), second, sync_global=True))
    events = record(h)
    await h.interact(
        slash(
            ALICE,
            "checkin history",
            {"days": 7, "community": "lighthouse"},
            guild=None,
            channel="700000000000000999",
        )
    )
    assert events[-1].text == "checkin history --community lighthouse 7"
    assert events[-1].place.is_dm and events[-1].space is None
    requests = await h.interact(
        slash(
            ALICE,
            "checkin history",
            {"community": "light"},
            guild=None,
            channel="7",
            focused="community",
        )
    )
    assert answer_of(requests)["choices"] == [{"name": "lighthouse", "value": "lighthouse"}]
    await h.stop()


async def test_replies_are_ephemeral_in_a_server_and_plain_in_a_dm(url):
    h = await start(discord_config(url, sync_global=True))
    in_server = answer_of(await h.interact(slash(ALICE, "resources")))
    assert in_server["flags"] & 64 and "Support, whenever you need it" in in_server["content"]
    in_dm = answer_of(await h.interact(slash(ALICE, "resources", guild=None, channel="7")))
    assert not in_dm.get("flags", 0) & 64
    await h.stop()


async def test_moderator_commands_obey_roles_at_run_time(h):
    refused = answer_of(await h.interact(slash(BOB, "mod queue")))
    assert "Only moderators of harbour" in refused["content"] and refused["flags"] & 64
    allowed = answer_of(await h.interact(slash(BOB, "mod queue", roles=[MOD_ROLE])))
    assert "The queue is empty" in allowed["content"]


async def test_a_slow_answer_is_deferred_within_the_window_then_followed_up(url):
    h = await start(discord_config(url), defer_after=0.05)
    info = h.hearth.router.commands["contact"]

    async def slow(req) -> None:
        await asyncio.sleep(0.3)
        await info.handler(req)

    h.hearth.router.commands["contact"] = dataclasses.replace(info, handler=slow)
    requests = await h.interact(slash(ALICE, "contact"))
    callback, follow_up = requests
    assert callback.json == {"type": 5, "data": {"flags": 64}}  # "Hearth is thinking…"
    assert follow_up.method == "POST" and follow_up.path.startswith(f"/webhooks/{APP_ID}/")
    assert follow_up.json["flags"] & 64 and follow_up.json["allowed_mentions"] == {"parse": []}
    assert buttons(follow_up.json) == {
        "Yes, please": "hearth:contact yes",
        "No, thank you": "hearth:contact no",
    }
    fast = await h.interact(slash(ALICE, "privacy"))
    assert [r.json["type"] for r in fast] == [4]  # answered at once: no defer
    await h.stop()


async def test_an_interaction_the_core_leaves_unanswered_is_closed(h):
    record(h)  # the core says nothing
    requests = await h.interact(slash(ALICE, "privacy"))
    assert [(r.method, r.json and r.json["type"]) for r in requests] == [
        ("POST", 5),
        ("DELETE", None),
    ]


async def test_share_opens_a_form_and_only_the_form_carries_the_words(h):
    events = record(h)
    opened = await h.interact(slash(BOB, "share post", {"content_warning": "grief"}))
    form = opened[0].json
    assert form["type"] == 9 and form["data"]["custom_id"] == "hearth-form:share:share"
    fields = {c["component"]["custom_id"]: c["component"] for c in form["data"]["components"]}
    assert fields["warning"]["value"] == "grief" and fields["text"]["style"] == 2
    await h.interact(
        submit(BOB, "hearth-form:share:share", {"warning": "grief", "text": "I miss my dad."})
    )
    (event,) = events
    assert isinstance(event, CommandGiven) and event.unseen
    assert event.text == "share cw grief | I miss my dad."


async def test_a_mangled_form_submit_is_answered_kindly_even_while_the_form_is_open(h, caplog):
    await h.interact(slash(BOB, "share post", {}))  # the form is open in Bob's client
    mangled = submit(BOB, "hearth-form:share:share", {})
    mangled["data"]["components"] = [1, None]  # no client sends this; a fuzzer did
    with caplog.at_level(logging.INFO):
        answer = answer_of(await h.interact(mangled))
    assert answer["content"].startswith("What would you like to share?")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await h.hearth.db.fetchval("SELECT count(*) FROM shares") == 0


async def test_a_checkin_note_is_written_in_a_form(h):
    opened = await h.interact(slash(ALICE, "checkin now", {"mood": "3", "note": True}))
    assert opened[0].json["data"]["custom_id"] == "hearth-form:note:checkin 3"
    answer = answer_of(
        await h.interact(submit(ALICE, "hearth-form:note:checkin 3", {"note": "long day #work"}))
    )
    assert answer["content"].startswith("Saved") and "#work" in answer["content"]
    row = await h.hearth.db.fetchrow("SELECT mood, tags, note FROM checkins")
    assert (row["mood"], row["tags"]) == (3, "work") and "long day" not in row["note"]


async def test_autocomplete_suggests_zones_and_only_the_members_own_counters(h):
    await h.interact(slash(ALICE, "milestone set", {"name": "sober", "date": "2026-01-03"}))
    await h.interact(slash(BOB, "milestone set", {"name": "smokefree", "date": "2026-01-03"}))
    zones = answer_of(
        await h.interact(
            slash(
                ALICE, "checkin schedule", {"time": "09:00", "timezone": "berl"}, focused="timezone"
            )
        )
    )
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in zones["choices"]
    mine = answer_of(
        await h.interact(slash(ALICE, "milestone reset", {"name": ""}, focused="name"))
    )
    assert mine["choices"] == [{"name": "sober", "value": "sober"}]
    commands = answer_of(
        await h.interact(slash(ALICE, "help", {"command": "che"}, focused="command"))
    )
    assert [c["value"] for c in commands["choices"]] == ["checkin", "cheer"]


async def test_a_dm_typed_to_the_bot_reaches_the_core(h):
    events = record(h)
    await h.run("MESSAGE_CREATE", dm_message(ALICE, "4", "700000000000000500"))
    await h.run("MESSAGE_CREATE", dm_message(ALICE, "!checkin history 7", "700000000000000500"))
    await h.run("MESSAGE_CREATE", dm_message(BOT, "Time for your check-in", "700000000000000500"))
    kinds = [(type(e).__name__, getattr(e, "text", None)) for e in events]
    assert kinds == [("MessagePosted", "4"), ("CommandGiven", "checkin history 7")]
    assert all(e.place.is_dm and e.member.user_id == ALICE["id"] for e in events)


async def test_a_button_becomes_the_choice_it_stands_for(h):
    events = record(h)
    message = h.fake._message(
        GENERAL,
        {
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 2,
                            "style": 2,
                            "label": "🤝 Support",
                            "custom_id": "hearth:support 4",
                        }
                    ],
                }
            ]
        },
    )
    await h.interact(press(ALICE, message, "hearth:support 4"))
    (event,) = events
    assert isinstance(event, ChoicePicked) and event.command == "support 4" and event.private
    assert translate.command_from_custom_id("hearth:support 4") == "support 4"


async def test_minimal_intents_and_only_shard_0_syncs_commands(url):
    h = await start(discord_config(url, shards=DiscordShards(count=2, ids=(1,))), connect=False)
    client = h.adapter.client
    assert isinstance(client, discord.AutoShardedClient)
    assert (client.shard_count, client.shard_ids) == (2, [1])
    assert not [r for r in h.fake.requests if r.method == "PUT"]  # shard 0's process does it
    intents = client.intents
    assert intents.guilds and intents.dm_messages
    assert not (intents.message_content or intents.members or intents.presences)
    await h.stop()
