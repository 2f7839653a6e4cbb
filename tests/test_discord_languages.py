"""The member's language on Discord: slash commands registered with their
descriptions and choice labels in every shipped language (names stay the same
English words), the interaction's locale carried to the core, and the adapter's
own words (forms) drawn in it. Real discord.py, the fake Discord's HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord import translate
from adapters.discord.tree import CatalogueTranslator
from bot.features.checkins.moods import mood_labels
from bot.port import LOCALES, ChoicePicked, CommandGiven, Invoked, Words
from bot.texts import day_short, text
from tests.discord_payloads import APP_ID, GENERAL, GUILD, dm_message, press, slash, submit, user
from tests.discord_support import Harness, Request, discord_config, openapi_problems, start

ALICE = user(400000000000000001, "alice")
BOB = user(400000000000000002, "bob")

#: Discord's locale → the catalogue Hearth reads it in (the issue's mapping)
LOCALISED = {"de": "de", "es-ES": "es", "es-419": "es", "fr": "fr", "pt-BR": "pt_BR"}
#: Discord locales Hearth ships no catalogue for, or English itself: never localised
UNLOCALISED = ("en-US", "en-GB", "it", "ja", "nl", "zh-CN", "sv-SE")
DESCRIPTION_MAX = 100


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/hearth.db"


@pytest.fixture
async def h(url):
    harness = await start(discord_config(url))
    yield harness
    await harness.stop()


def _clip(words: str) -> str:
    return words if len(words) <= DESCRIPTION_MAX else words[: DESCRIPTION_MAX - 1] + "…"


def _in(payload: dict[str, Any], locale: str | None) -> dict[str, Any]:
    """An interaction payload as a member whose app is set to `locale` sends it."""
    if locale is None:
        payload.pop("locale", None)
    else:
        payload["locale"] = locale
    return payload


def _registration(h: Harness) -> Request:
    (sync,) = [r for r in h.fake.requests if r.method == "PUT"]
    assert sync.path == f"/applications/{APP_ID}/guilds/{GUILD}/commands"
    return sync


def _drawn(h: Harness, sync: Request) -> list[tuple[dict[str, Any], Words, str]]:
    """Each registered item with the declared `Words` it was drawn from and its
    field (`description`, or a choice's `name`), found by the declarations alone."""
    declared = h.hearth.declared("discord")
    top = {c["name"]: c for c in sync.json}

    def at(path: tuple[str, ...]) -> dict[str, Any]:
        item = top[path[0]]
        for name in path[1:]:
            item = next(o for o in item["options"] if o["name"] == name)
        return item

    found: list[tuple[dict[str, Any], Words, str]] = []
    groups = {c.path[:n] for c in declared.commands for n in range(1, len(c.path))}
    for path in sorted(groups):
        group = declared.groups.get(" ".join(path)) or declared.groups.get(path[-1])
        if group is not None:
            found.append((at(path), group.description, "description"))
    for command in declared.commands:
        item = at(command.path)
        found.append((item, command.description, "description"))
        for option in command.options:
            registered = next(o for o in item.get("options", []) if o["name"] == option.name)
            found.append((registered, option.description, "description"))
            for label, value in option.choices:
                choice = next(c for c in registered["choices"] if str(c["value"]) == str(value))
                found.append((choice, label, "name"))
    return found


# --- 1. the registration ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("discord_locale", "expected"),
    [*LOCALISED.items(), ("pt", "pt_BR"), ("ES-es", "es"), ("en-US", "en"), ("en-GB", "en")]
    + [(unshipped, None) for unshipped in ("it", "ja", "zh-CN", "sv-SE", "", None)],
)
def test_discord_locales_map_to_the_shipped_catalogues(discord_locale, expected):
    if expected is not None and expected not in LOCALES:
        pytest.fail(f"no {expected} catalogue shipped yet (bot.texts.LOCALES: {LOCALES})")
    assert translate.shipped_locale(discord_locale) == expected


@pytest.mark.parametrize(("discord_locale", "catalogue"), LOCALISED.items())
async def test_the_registration_carries_each_shipped_languages_descriptions_and_choices(
    h, discord_locale, catalogue
):
    assert catalogue in LOCALES, f"no {catalogue} catalogue shipped yet ({LOCALES})"
    sync = _registration(h)
    drawn = _drawn(h, sync)
    localised = 0
    for item, words, field in drawn:
        english = _clip(words("en"))
        assert item[field] == english, item
        shown = item.get(f"{field}_localizations") or {}
        wanted = _clip(words(catalogue))
        if wanted == english:  # not translated (yet), or the same words: Discord shows English
            assert discord_locale not in shown, (words.id, item)
        else:
            assert shown[discord_locale] == wanted, (words.id, item)
            localised += 1
    # Commands, options and choices alike, nearly all of them translated.
    kinds = {field for item, _, field in drawn if (item.get(f"{field}_localizations") or {})}
    assert kinds == {"description", "name"}
    assert localised >= 0.8 * len(drawn), f"{localised} of {len(drawn)} localised"
    assert openapi_problems(sync) == []


async def test_names_are_never_localised_and_nothing_exceeds_discords_limits(h):
    sync = _registration(h)

    def walk(item: dict[str, Any], choice: bool = False):
        yield item, choice
        for option in item.get("options", []):
            yield from walk(option)
        for c in item.get("choices", []):
            yield c, True

    for command in sync.json:
        for item, is_choice in walk(command):
            if not is_choice:  # what members type: the same word in every language
                assert not item.get("name_localizations"), item["name"]
            for field in ("name_localizations", "description_localizations"):
                shown = item.get(field) or {}
                assert not set(shown) & set(UNLOCALISED), (item["name"], shown)
                assert set(shown) <= set(LOCALISED)
                assert all(1 <= len(words) <= DESCRIPTION_MAX for words in shown.values())
    assert openapi_problems(sync) == []


class _Long(Words):
    """A translation longer than Discord shows (a description holds 100 characters)."""

    def __call__(self, locale: str = "en", /, **more: object) -> str:
        return "Short" if locale == "en" else "é" * 150


async def test_the_translator_clips_to_discords_limit_and_never_names_a_command():
    translator = CatalogueTranslator()
    long = app_commands.locale_str("Short", words=_Long("discord.option_mood"))
    description = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.parameter_description, None
    )
    said = await translator.translate(long, discord.Locale.french, description)
    assert said == "é" * 99 + "…"
    name = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name, None
    )
    assert await translator.translate(long, discord.Locale.french, name) is None
    assert await translator.translate(long, discord.Locale.italian, description) is None
    assert await translator.translate(long, discord.Locale.american_english, description) is None
    plain = app_commands.locale_str("no catalogue words")
    assert await translator.translate(plain, discord.Locale.french, description) is None


# --- 2. the interaction's locale ------------------------------------------------------------


def record(h: Harness) -> list:
    events: list = []

    async def handle(event) -> None:
        events.append(event)

    h.hearth.handle = handle  # type: ignore[method-assign]
    return events


async def test_every_event_from_an_interaction_carries_its_locale_and_a_typed_dm_none(url):
    h = await start(discord_config(url, sync_global=True))  # slash commands in DMs too
    events = record(h)
    await h.interact(_in(slash(ALICE, "checkin now", {"mood": "4"}), "de"))
    await h.interact(_in(slash(ALICE, "resources", guild=None, channel="7"), "pt-BR"))
    button = {"type": 2, "style": 2, "label": "Support", "custom_id": "hearth:support 4"}
    message = h.fake._message(GENERAL, {"components": [{"type": 1, "components": [button]}]})
    await h.interact(_in(press(ALICE, message, "hearth:support 4"), "es-419"))
    custom_id = 'hearth-form:["share post",{}]'
    await h.interact(_in(submit(ALICE, custom_id, {"warning": "", "text": "hi"}), "fr"))
    await h.interact(_in(slash(ALICE, "privacy"), None))  # Discord always says; if not, none
    await h.run("MESSAGE_CREATE", dm_message(ALICE, "!checkin 4", "700000000000000500"))
    await h.run("MESSAGE_CREATE", dm_message(ALICE, "4", "700000000000000500"))
    kinds = [type(e) for e in events]
    assert kinds[:4] == [Invoked, Invoked, ChoicePicked, Invoked] and kinds[5] is CommandGiven
    assert [e.locale for e in events] == ["de", "pt-BR", "es-419", "fr", "en-US", None, None]
    await h.stop()


@pytest.mark.parametrize(("discord_locale", "catalogue"), [("de", "de"), ("es-ES", "es")])
async def test_a_checkin_and_a_later_prompt_are_in_the_interactions_language(
    h, discord_locale, catalogue
):
    assert catalogue in LOCALES, f"no {catalogue} catalogue shipped yet ({LOCALES})"
    english, theirs = text("checkins.prompt", "en"), text("checkins.prompt", catalogue)
    assert theirs != english, f"checkins.prompt not translated to {catalogue} yet"
    answer = await h.interact(_in(slash(ALICE, "checkin now", {"mood": "4"}), discord_locale))
    (saved,) = [r.json["data"]["content"] for r in answer if r.path.endswith("/callback")]
    label = mood_labels(h.hearth.config.communities[0], catalogue)[3]
    day = day_short(date(2026, 3, 2), catalogue)
    assert saved.startswith(text("checkins.saved", catalogue, mood=label, day=day)), saved

    schedule = {"time": "09:00", "timezone": "Europe/Berlin"}
    await h.interact(_in(slash(ALICE, "checkin schedule", schedule), discord_locale))
    await h.advance(hours=1, minutes=1)  # 09:01 in Berlin: the prompt is due
    (prompt,) = h.fake.dms_to(ALICE["id"])
    assert prompt["content"].startswith(theirs), prompt["content"]
    labels = [b["label"] for row in prompt["components"] for b in row["components"]]
    assert text("checkins.choice_snooze", catalogue) in labels


# --- 4. the adapter's own words: forms ------------------------------------------------------------


@pytest.mark.parametrize(("discord_locale", "catalogue"), [("fr", "fr"), ("en-US", "en")])
async def test_a_form_is_drawn_in_the_interactions_language(h, discord_locale, catalogue):
    form = h.hearth.declared("discord").find(("checkin", "now")).form
    (opened,) = await h.interact(_in(slash(ALICE, "checkin now", {"note": True}), discord_locale))
    data = opened.json["data"]
    assert opened.json["type"] == 9 and openapi_problems(opened) == []
    assert data["title"] == translate._clip(form.title_for({"note": True}, catalogue), 45)
    labels = [c["label"] for c in data["components"]]
    wanted = [translate._clip(f.label(catalogue), 45) for f in form.fields]
    assert labels == wanted
    if catalogue != "en":
        assert labels != [translate._clip(f.label("en"), 45) for f in form.fields]


async def test_a_form_for_an_unshipped_language_and_an_expired_form_are_kind_in_turn(h):
    (opened,) = await h.interact(_in(slash(ALICE, "checkin now", {"note": True}), "ja"))
    form = h.hearth.declared("discord").find(("checkin", "now")).form
    assert opened.json["data"]["title"] == translate._clip(form.title_for({}, "en"), 45)
    requests = await h.interact(_in(submit(BOB, "hearth-form:share:share", {"text": "x"}), "es-ES"))
    (answer,) = [r for r in requests if r.path.endswith("/callback")]
    assert answer.json["data"]["content"] == text("discord.form_expired", "es")
    assert text("discord.form_expired", "es") != text("discord.form_expired", "en")
