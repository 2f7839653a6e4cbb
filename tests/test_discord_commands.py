"""Slash commands through discord.py's real command tree, drawn from what the
core declares: raw INTERACTION_CREATE payloads in, the typed invocations the
core gets and the HTTP discord.py sends out."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re

import discord
import pytest
from discord import app_commands

from adapters.discord import translate
from bot.app import FEATURES, SORRY
from bot.config import DiscordShards, Sharing
from bot.features.safetyplan.commands import STEP_WORDS
from bot.port import ChoicePicked, Event, Invoked
from tests.discord_payloads import (
    APP_ID,
    BOT,
    GENERAL,
    GUILD,
    MOD_ROLE,
    OTHER_GUILD,
    SHARES,
    buttons,
    dm_message,
    press,
    slash,
    submit,
    user,
)
from tests.discord_support import (
    Harness,
    Request,
    discord_config,
    harbour,
    openapi_problems,
    start,
)
from tests.test_architecture import GRATITUDE

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")
NAME = re.compile(r"^[-_\w]{1,32}$")

# Every declared command, with values as Discord types them.
INVOCATIONS = [
    ("help", {}),
    ("help", {"command": "checkin"}),
    ("checkin now", {}),
    ("checkin now", {"mood": "4"}),
    ("checkin now", {"mood": "3", "note": True}),  # opens the form
    (
        "checkin schedule",
        {"time": "09:00", "days": "weekdays", "timezone": "Europe/Berlin"},
    ),
    ("checkin schedule", {"time": "07:30"}),
    ("checkin pause", {"days": 3}),
    ("checkin resume", {}),
    ("checkin skip", {}),
    ("checkin snooze", {}),
    ("checkin quiet", {"hours": "22:00-07:00"}),
    ("checkin history", {"days": 14}),
    ("checkin encouragement", {"state": "on"}),
    ("encourage", {"text": "You got through yesterday. Be gentle with yourself today."}),
    ("checkin stop", {}),
    ("resources", {}),
    ("privacy", {}),
    ("contact", {"answer": "yes"}),
    ("safetyplan show", {}),
    ("safetyplan edit", {"step": "2"}),
    *((f"safetyplan {step}", {}) for step in STEP_WORDS.values()),  # each opens its form
    ("safetyplan clear", {}),
    ("safetyplan remind", {"how": "monthly"}),
    ("mydata export", {}),
    ("mydata delete", {}),
    ("share post", {"content_warning": "grief"}),  # opens the form
    ("share list", {}),
    ("share delete", {"number": 2}),
    ("share confirm", {}),
    ("share cancel", {}),
    ("reply", {"number": 4}),  # opens the form
    ("support", {"number": 4}),
    ("report", {"number": "4.2", "reason": "unkind  words"}),
    ("mod queue", {}),
    ("mod approve", {"number": "4"}),
    ("mod reject", {"number": "4", "reason": "names a person"}),
    ("mod remove", {"number": "4.1"}),
    ("mod block", {"number": 4, "days": 7}),
    ("mod unblock", {"block_id": "B-7KQ2MX"}),
    ("mod stats", {}),
    ("mod reload", {}),
    ("mod log", {"count": 20}),
    ("mod take", {"alert": "a3"}),
    (
        "milestone set",
        {
            "name": "sober",
            "date": "2026-01-03",
            "visibility": "anonymous",
            "timezone": "Europe/Berlin",
        },
    ),
    ("milestone list", {}),
    ("milestone reset", {"name": "sober", "date": "2026-02-01"}),
    ("milestone visibility", {"name": "sober", "visibility": "public"}),
    ("milestone remove", {"name": "sober", "confirm": True}),
    ("celebrate", {"anonymous": True}),  # opens the form
    ("cheer", {"number": 3}),
    ("buddy join", {"tags": "walking, night shifts", "timezone": "Europe/Berlin"}),
    ("buddy status", {}),
    ("buddy accept", {}),
    ("buddy decline", {}),
    ("buddy remind", {"cadence": "twice-weekly"}),
    ("buddy reached", {}),
    ("buddy quiet", {}),
    ("buddy end", {}),
    ("buddy again", {}),
    ("buddy leave", {}),
    ("language", {"code": "es"}),  # late: what follows is answered in Spanish
    ("mydata delete", {"confirm": True}),  # last: it forgets Alice
]


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


def _declared(h: Harness) -> dict[str, object]:
    return {c.qualified_name: c for c in h.hearth.declared("discord").commands}


def _form_opened(requests) -> dict | None:
    """The modal an interaction answered with, if it did (type 9)."""
    if requests and requests[0].json and requests[0].json.get("type") == 9:
        return requests[0].json["data"]
    return None


async def test_every_declared_command_reaches_the_core_as_typed_values(h):
    events = record(h)
    declared = _declared(h)
    offered = {c.qualified_name for c in h.adapter.tree.walk_commands(guild=_guild())}
    assert set(declared) <= offered  # groups are walked too
    assert set(declared) <= {path for path, _ in INVOCATIONS}, "a case for every command"
    checked = 0
    for path, values in INVOCATIONS:
        if path not in declared:
            continue  # declared for when the core has it
        requests = await h.interact(slash(ALICE, path, values, roles=[MOD_ROLE]))
        if (form := _form_opened(requests)) is not None:
            carried = translate.form_invocation(form["custom_id"])
            prefilled = {o.name for o in declared[path].options if o.prefill}
            assert carried.command == tuple(path.split()), path
            assert carried.values == {k: v for k, v in values.items() if k not in prefilled}
            assert not events, "a form opens first; the core gets its words on submit"
            continue
        event = events.pop()
        assert isinstance(event, Invoked) and event.command == tuple(path.split()), path
        assert event.values == values and event.fields == {} and event.community is None
        assert event.private and event.space == str(GUILD) and event.roles == (str(MOD_ROLE),)
        assert event.place.target == str(GENERAL) and event.member.user_id == ALICE["id"]
        checked += 1
    assert checked >= 35


async def test_the_core_takes_every_invocation_as_discord_types_it(h):
    """No typed value the tree lets through makes the core stumble: each is
    answered (a refusal is an answer), never with "something went wrong"."""
    declared = _declared(h)
    for path, values in INVOCATIONS:
        if path not in declared:
            continue
        requests = await h.interact(slash(ALICE, path, values, roles=[MOD_ROLE]))
        if _form_opened(requests) is not None:
            continue
        said = json.dumps([r.json for r in requests], ensure_ascii=False)
        assert requests and SORRY not in said and "Unknown command" not in said, path


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
    assert names == {c.root for c in h.hearth.declared("discord").commands}
    listed = {route.name for route in h.hearth.router.listed}
    assert names == listed, "one slash command per core command"
    assert openapi_problems(sync) == []
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


def test_the_api_check_sees_a_registration_discord_would_refuse():
    too_long = {"name": "thanks", "description": "x" * 101, "type": 1}
    bad_name = {"name": "", "description": "ok", "type": 1}
    path = f"/applications/{APP_ID}/guilds/{GUILD}/commands"
    problems = openapi_problems(Request("PUT", path, {}, [too_long, bad_name]))
    assert len(problems) == 2 and all(p.startswith(f"PUT {path}") for p in problems)
    unknown = Request("PUT", "/nowhere", {}, [])
    assert openapi_problems(unknown) == ["PUT /nowhere: not in Discord's API"]


class CatalogueIds(app_commands.Translator):
    """A stand-in for the languages issue: answers with the catalogue id it is given."""

    async def translate(self, string, locale, context) -> str | None:
        words = string.extras.get("words")
        return f"{locale.value}:{words.id}"[:100] if words is not None else None


async def test_every_shown_string_names_its_catalogue_entry_for_a_translator(h):
    await h.adapter.tree.set_translator(CatalogueIds())
    before = len(h.fake.requests)
    await h.adapter.sync([GUILD])
    (sync,) = [r for r in h.fake.requests[before:] if r.method == "PUT"]

    def described(item: dict) -> list[dict]:
        found = [item]
        for option in item.get("options", []):
            found += described(option)
            found += option.get("choices", [])
        return found

    for item in (d for command in sync.json for d in described(command)):
        localized = item.get("description_localizations") or item.get("name_localizations")
        assert localized and localized["de"].startswith("de:discord."), item
        assert not item.get("name_localizations") or "description" not in item  # a choice
    assert openapi_problems(sync) == []


async def test_global_commands_are_for_dms_only_and_never_moderation(url):
    h = await start(discord_config(url, sync_global=True))
    (global_sync,) = [r for r in h.fake.requests if r.path == f"/applications/{APP_ID}/commands"]
    assert global_sync.method == "PUT"
    assert "mod" not in {c["name"] for c in global_sync.json}
    assert all(c["contexts"] == [1] for c in global_sync.json)  # BOT_DM
    assert openapi_problems(global_sync) == []
    await h.stop()


async def test_a_command_a_feature_declares_becomes_a_slash_command(url):
    """Nothing in the adapter names `thanks`: the test feature declares it."""
    h = await start(discord_config(url), features=(*FEATURES, GRATITUDE))
    (sync,) = [r for r in h.fake.requests if r.method == "PUT"]
    assert sync.path == f"/applications/{APP_ID}/guilds/{GUILD}/commands"
    (thanks,) = [c for c in sync.json if c["name"] == "thanks"]
    assert [o["name"] for o in thanks.get("options", [])] == ["text"]
    assert thanks["description"] and openapi_problems(sync) == []
    answer = answer_of(await h.interact(slash(ALICE, "thanks", {"text": "the sun"})))
    assert answer["content"] == "Thank you for noticing the sun 💛" and answer["flags"] & 64
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
    (event,) = events
    assert isinstance(event, Invoked) and event.community == "lighthouse"
    assert event.command == ("checkin", "history") and event.values == {"days": 7}
    assert event.place.is_dm and event.space is None
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
    info = h.hearth.router.routes["contact"]

    async def slow(req) -> None:
        await asyncio.sleep(0.3)
        await info.handler(req)

    h.hearth.router.routes["contact"] = dataclasses.replace(info, handler=slow)
    requests = await h.interact(slash(ALICE, "contact"))
    callback, follow_up = requests
    assert callback.json == {"type": 5, "data": {"flags": 64}}  # "Hearth is thinking…"
    assert follow_up.method == "POST" and follow_up.path.startswith(f"/webhooks/{APP_ID}/")
    assert follow_up.json["flags"] & 64 and follow_up.json["allowed_mentions"] == {"parse": []}
    assert buttons(follow_up.json) == {
        "Yes, please": "hearth:contact yes",
        "No, thank you": "hearth:contact no",
    }
    # An answer inside the window is not deferred (a wider window: a loaded machine
    # can take longer than 50 ms for any answer).
    h.adapter.defer_after = 2.0
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


SHARE_FORM = 'hearth-form:["share post",{}]'


async def test_share_opens_a_form_and_only_the_form_carries_the_words(h):
    events = record(h)
    opened = await h.interact(slash(BOB, "share post", {"content_warning": "grief"}))
    form = opened[0].json
    assert form["type"] == 9 and form["data"]["custom_id"] == SHARE_FORM
    fields = {c["component"]["custom_id"]: c["component"] for c in form["data"]["components"]}
    assert fields["warning"]["value"] == "grief" and fields["text"]["style"] == 2
    assert openapi_problems(opened[0]) == []
    await h.interact(submit(BOB, SHARE_FORM, {"warning": "grief", "text": "I miss my dad."}))
    (event,) = events
    assert isinstance(event, Invoked) and event.unseen
    assert event.command == ("share", "post") and event.values == {}
    assert event.fields == {"warning": "grief", "text": "I miss my dad."}


async def test_a_shared_warning_becomes_the_shares_content_warning(url):
    h = await start(discord_config(url, harbour(sharing=Sharing(vetting=False))))
    await h.interact(submit(BOB, SHARE_FORM, {"warning": "grief | loss", "text": "I miss him."}))
    await h.flush()
    (post,) = h.fake.posts_to(SHARES)
    assert "CW: grief" in post["content"] and "||I miss him.||" in post["content"]
    await h.stop()


async def test_a_form_from_before_the_typed_port_is_answered_kindly_and_saves_nothing(h, caplog):
    with caplog.at_level(logging.INFO):
        requests = await h.interact(submit(BOB, "hearth-form:share:share", {"text": "my words"}))
    (answer,) = [r for r in requests if r.path.endswith("/callback") and r.json["type"] == 4]
    assert "out of date, so nothing was saved" in answer.json["data"]["content"]
    assert answer.json["data"]["flags"] == 64  # only the member sees it
    assert "my words" not in answer.json["data"]["content"]
    assert any("unknown form" in r.getMessage() for r in caplog.records)
    assert await h.hearth.db.fetchval("SELECT count(*) FROM shares") == 0


async def test_a_mangled_form_submit_is_answered_kindly_even_while_the_form_is_open(h, caplog):
    await h.interact(slash(BOB, "share post", {}))  # the form is open in Bob's client
    mangled = submit(BOB, SHARE_FORM, {})
    mangled["data"]["components"] = [1, None]  # no client sends this; a fuzzer did
    with caplog.at_level(logging.INFO):
        answer = answer_of(await h.interact(mangled))
    assert answer["content"].startswith("What would you like to share?")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await h.hearth.db.fetchval("SELECT count(*) FROM shares") == 0


async def test_a_checkin_note_is_written_in_a_form(h):
    opened = await h.interact(slash(ALICE, "checkin now", {"mood": "3", "note": True}))
    custom_id = opened[0].json["data"]["custom_id"]
    assert custom_id == 'hearth-form:["checkin now",{"mood":"3","note":true}]'
    boxes = [c["component"]["custom_id"] for c in opened[0].json["data"]["components"]]
    assert boxes == ["note"]  # the mood is known: not asked again
    answer = answer_of(await h.interact(submit(ALICE, custom_id, {"note": "long day #work"})))
    assert answer["content"].startswith("Saved") and "#work" in answer["content"]
    row = await h.hearth.db.fetchrow("SELECT mood, tags, note FROM checkins")
    assert (row["mood"], row["tags"]) == (3, "work") and "long day" not in row["note"]


async def test_a_checkin_note_without_a_mood_asks_for_it_in_the_form(h):
    opened = await h.interact(slash(ALICE, "checkin now", {"note": True}))
    data = opened[0].json["data"]
    assert [c["component"]["custom_id"] for c in data["components"]] == ["mood", "note"]
    answer = answer_of(
        await h.interact(submit(ALICE, data["custom_id"], {"mood": "2", "note": "rough day"}))
    )
    assert answer["content"].startswith("Saved")
    assert await h.hearth.db.fetchval("SELECT mood FROM checkins") == 2


async def test_a_picked_community_travels_with_the_form(url):
    second = harbour(name="lighthouse", guild_id=str(OTHER_GUILD))
    h = await start(discord_config(url, harbour(), second, sync_global=True))
    events = record(h)
    opened = await h.interact(
        slash(
            ALICE,
            "celebrate",
            {"anonymous": True, "community": "lighthouse"},
            guild=None,
            channel="7",
        )
    )
    data = opened[0].json["data"]
    assert data["title"] != "" and len(data["custom_id"]) <= 100
    await h.interact(submit(ALICE, data["custom_id"], {"text": "30 days"}, guild=None, channel="7"))
    (event,) = events
    assert event.command == ("celebrate",) and event.values == {"anonymous": True}
    assert event.community == "lighthouse" and event.fields == {"text": "30 days"}
    await h.stop()


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


async def test_events_carry_the_members_display_name(url):
    h = await start(discord_config(url, sync_global=True))
    events = record(h)
    named = {**user(400000000000000009, "kit"), "global_name": "Kit 🌻"}
    await h.interact(slash(named, "resources"))
    await h.interact(slash(named, "resources", guild=None, channel="7"))
    await h.run("MESSAGE_CREATE", dm_message(named, "!help", "700000000000000501"))
    await h.run("MESSAGE_CREATE", dm_message(named, "hello", "700000000000000501"))
    plain = user(400000000000000010, "sam")
    await h.interact(slash(plain, "resources"))
    assert [e.display_name for e in events] == ["Kit 🌻"] * 4 + ["sam"]
    await h.stop()


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


async def test_a_button_whose_command_needs_words_opens_its_form(h):
    events = record(h)
    message = h.fake._message(
        GENERAL,
        {
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 2, "label": "Reply", "custom_id": "hearth:reply 4"}
                    ],
                }
            ]
        },
    )
    (opened,) = await h.interact(press(ALICE, message, "hearth:reply 4"))
    assert opened.json["type"] == 9 and "4" in opened.json["data"]["title"]
    carried = translate.form_invocation(opened.json["data"]["custom_id"])
    assert carried.command == ("reply",) and carried.values == {"number": "4"}
    assert not events and openapi_problems(opened) == []


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
