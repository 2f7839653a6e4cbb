"""Every member in their own language (issue 19): the community's language, the
member's own (`language`, or their app's locale), help, what Hearth sends on its
own, channel posts in the community's language, and crisis care.

Expected words are rendered from the catalogue (`texts.text(id, locale)`), so these
tests hold while the translators are still writing; the `language` command's own
words (bot/texts/locale/*/LC_MESSAGES/language.po) are complete in every locale."""

from __future__ import annotations

import json

import pytest
from conftest import Harness, community

from bot import texts
from bot.config import Config, Sharing
from bot.config_loader import ConfigError, load_config_text
from bot.features.milestones.thresholds import describe
from bot.port import CommandGiven, Member, MessagePosted, Place

MOD_QUEUE = Place.channel("console", "mod-queue")


def dms(h: Harness, user: str, *, own: bool = True) -> list[str]:
    """DMs to `user`; `own=False`: only what Hearth sent on its own (no reply)."""
    return [
        s.message.text
        for s in h.adapter.sent
        if s.place.is_dm and s.place.target == user and (own or s.event is None)
    ]


def channel(h: Harness, name: str) -> list[str]:
    return [m.text + (m.spoiler.text if m.spoiler else "") for m in h.adapter.in_channel(name)]


async def said(h: Harness, user: str, words: str) -> list[str]:
    """Plain words in a DM, not a command: listened to with care."""
    member = Member("console", user)
    before = len(h.adapter.sent)
    await h.hearth.handle(MessagePosted(h.event_id(), member, Place.dm(member), words))
    return [s.message.text for s in h.adapter.sent[before:]]


async def with_locale(h: Harness, user: str, words: str, locale: str | None) -> list[str]:
    """A command from an app that says its language (Discord's interaction locale)."""
    member = Member("console", user)
    before = len(h.adapter.sent)
    await h.hearth.handle(
        CommandGiven(h.event_id(), member, Place.dm(member), words, locale=locale)
    )
    await h.hearth.settle()
    return [s.message.text for s in h.adapter.sent[before:]]


async def stored_language(h: Harness, user: str) -> tuple[str | None, int] | None:
    row = await h.db.fetchrow(
        "SELECT language, language_chosen FROM members WHERE id = $1", await h.member_id(user)
    )
    return None if row is None else (row["language"], row["language_chosen"])


def config_for(db_url: str, **overrides: object) -> Config:
    return Config(database=db_url, communities=(community(**overrides),))


# --- the community's language ---------------------------------------------------------


def test_the_community_language_is_read_and_normalised() -> None:
    base = "communities:\n  - name: example\n    platform: console\n"
    assert load_config_text(base, environ={}).communities[0].language == "en"
    config = load_config_text(base + "    language: pt-BR\n", environ={})
    assert config.communities[0].language == "pt_BR"
    assert load_config_text(base + "    language: es\n", environ={}).communities[0].language == "es"


@pytest.mark.parametrize(
    ("given", "meant"),
    [("español", "es"), ("espanol", "es"), ("fr-CA", "fr"), ("frr", "fr"), ("ptbr", "pt_BR")],
)
def test_an_unknown_community_language_is_a_problem_with_a_hint(given: str, meant: str) -> None:
    text = f"communities:\n  - name: example\n    platform: console\n    language: {given}\n"
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "test.yaml", environ={})
    (problem,) = caught.value.problems
    assert problem.key_path == "communities[0].language" and problem.line == 4
    assert f'did you mean "{meant}"?' in problem.message
    assert "en" in problem.message  # the languages there are


async def test_a_new_member_reads_the_community_language(make_harness, db_url):
    h = await make_harness(config=config_for(db_url, language="fr"))
    (reply,) = await h.command("ana", "language")
    assert reply.startswith(texts.text("language.current_community", "fr", language="Français"))
    assert (await h.command("ana", "help"))[0].startswith(texts.text("help.header", "fr"))


# --- the member's language ------------------------------------------------------------


async def test_language_shows_the_current_one_and_every_choice_in_its_own_name(harness):
    (reply,) = await harness.command("ana", "language")
    assert reply.startswith("I speak English with you, the community's language.")
    for name in ("English", "Español", "Français", "Português (Brasil)"):
        assert name in reply
    assert "`pt_BR`" in reply and "`language default`" in reply


async def test_language_sets_it_answers_in_it_and_keeps_it(harness):
    h = harness
    assert await h.command("ana", "language es") == [
        texts.text("language.set", "es", language="Español")
    ]
    assert await stored_language(h, "ana") == ("es", 1)
    assert (await h.command("ana", "help"))[0].startswith(texts.text("help.header", "es"))
    reply = await h.command("ana", "language")
    assert reply[0].startswith(texts.text("language.current_chosen", "es", language="Español"))
    # others are not touched
    assert (await h.command("bob", "help"))[0].startswith(texts.text("help.header", "en"))


async def test_language_default_goes_back_to_the_community_language(make_harness, db_url):
    h = await make_harness(config=config_for(db_url, language="fr"))
    await h.command("ana", "language pt-br")
    assert await stored_language(h, "ana") == ("pt_BR", 1)
    assert await h.command("ana", "language default") == [
        texts.text("language.default", "fr", language="Français")
    ]
    assert await stored_language(h, "ana") == (None, 0)


@pytest.mark.parametrize(("typed", "meant"), [("espanol", "es"), ("fre", "fr"), ("xq", None)])
async def test_a_typo_gets_did_you_mean_and_changes_nothing(harness, typed, meant):
    (reply,) = await harness.command("ana", f"language {typed}")
    if meant is None:
        assert reply.startswith(f"I don't speak “{typed}” yet. I can speak: ")
        assert "English (`en`)" in reply
    else:
        assert reply == f"I don't know the language “{typed}”. Did you mean `language {meant}`?"
    assert await stored_language(harness, "ana") is None  # refused: not even a row


async def test_a_region_hearth_lacks_is_its_languages(harness):
    assert await harness.command("ana", "language es-MX") == [
        texts.text("language.set", "es", language="Español")
    ]
    await harness.command("ana", "language pt-PT")  # the one Portuguese shipped
    assert await stored_language(harness, "ana") == ("pt_BR", 1)


async def test_the_apps_locale_is_remembered_unless_the_member_chose(harness):
    h = harness
    (reply,) = await with_locale(h, "ana", "language", "pt-BR")
    assert reply.startswith(
        texts.text("language.current_app", "pt_BR", language="Português (Brasil)")
    )
    assert await stored_language(h, "ana") == ("pt_BR", 0)
    await with_locale(h, "ana", "help", "es-ES")  # the app's language changed
    assert await stored_language(h, "ana") == ("es", 0)
    await with_locale(h, "ana", "help", "ja")  # one Hearth does not speak: kept as it was
    assert await stored_language(h, "ana") == ("es", 0)
    # A member's own choice wins over the app's.
    await h.command("ana", "language fr")
    (reply,) = await with_locale(h, "ana", "help", "en-US")
    assert reply.startswith(texts.text("help.header", "fr"))
    assert await stored_language(h, "ana") == ("fr", 1)
    # `language default`: the app's language again where the platform says it.
    (reply,) = await with_locale(h, "ana", "language default", "es-419")
    assert reply == texts.text("language.default", "es", language="Español")
    assert await stored_language(h, "ana") == ("es", 0)


async def test_export_has_the_language_and_delete_removes_it(harness):
    h = harness
    await h.command("ana", "language es")
    await h.command("ana", "mydata export")
    data = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert data["member"]["language"] == "es" and data["member"]["language_chosen"] is True
    await h.command("ana", "mydata delete confirm")
    assert await h.member_id("ana") is None  # the row, language and all, is gone


# --- help in the member's language ----------------------------------------------------


async def test_help_renders_usage_and_summaries_per_request(harness):
    h = harness
    await h.command("ana", "language es")
    (listed,) = await h.command("ana", "help")
    summary = texts.text("checkins.summary", "es")
    assert texts.text("help.line", "es", command="checkin", summary=summary) in listed
    assert texts.text("language.summary", "es") in listed
    # with the words another feature adds under `checkin` (Router.add_subcommand)
    checkin = [texts.text(i, "es") for i in ("checkins.usage", "encouragement.checkin_usage")]
    assert await h.command("ana", "help checkin") == ["\n".join(checkin)]
    assert await h.command("ana", "help language") == [texts.text("language.usage", "es")]
    # `help mod` is every feature's block of `mod` lines, in the moderator's language
    await h.command("mona", "language fr")
    (mod,) = await h.command("mona", "help mod")
    assert texts.text("sharing.mod_usage", "fr") in mod
    assert texts.text("mod.tools_usage", "fr") in mod
    # the English reader sees English
    english = [texts.text(i) for i in ("checkins.usage", "encouragement.checkin_usage")]
    assert await h.command("bob", "help checkin") == ["\n".join(english)]


# --- what Hearth sends on its own -----------------------------------------------------


async def test_a_prompt_is_sent_in_the_members_language(harness):
    h = harness
    await h.command("ana", "language es")
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    await h.advance(hours=2)
    prompts = [m for m in (s.message for s in h.adapter.sent if s.event is None) if m.choices]
    assert [m.text for m in prompts] == [texts.text("checkins.prompt", "es")]
    labels = [c.label for c in prompts[0].choices]
    assert texts.text("checkins.choice_snooze", "es") in labels


async def test_channel_posts_use_the_community_language_and_the_author_hears_in_theirs(
    make_harness, db_url
):
    h = await make_harness(config=config_for(db_url, language="fr"))
    await h.command("bob", "language es")
    await h.command("bob", "share Tres semanas sin beber.")
    await h.hearth.settle()
    (queued,) = channel(h, "mod-queue")
    assert queued.startswith(texts.text("sharing.queue_post", "fr", number=1))
    await h.command("mona", "mod approve 1", place=MOD_QUEUE)  # a moderator reading French
    await h.hearth.settle()
    (post,) = channel(h, "shares")
    assert texts.text("sharing.post_reply_hint", "fr", number=1) in post
    assert texts.text("sharing.approved_author", "es", number=1) in dms(h, "bob", own=False)
    # relays: support, batched, in the author's language
    for supporter in ("carol", "dave"):
        await h.command(supporter, "support 1")
    await h.advance(minutes=20)
    relayed = texts.plural("sharing.support_relayed", 2, "es", number=1)
    assert relayed in dms(h, "bob", own=False)


async def test_a_moderators_rejection_is_told_in_the_authors_language(make_harness, db_url):
    h = await make_harness(config=config_for(db_url, sharing=Sharing(vetting=True)))
    await h.command("bob", "language pt_BR")
    await h.command("bob", "share Hoje foi difícil.")
    await h.command("mona", "language es")
    answers = await h.command("mona", "mod reject 1 Not here, please.", place=MOD_QUEUE)
    assert texts.text("sharing.mod_share_rejected_told", "es", number=1) in answers
    await h.hearth.settle()
    told = texts.text("sharing.rejected_author_note", "pt_BR", number=1, note="Not here, please.")
    assert told in dms(h, "bob", own=False)


async def test_a_milestone_dm_is_in_the_members_language_the_post_in_the_communitys(
    make_harness, db_url
):
    h = await make_harness(config=config_for(db_url, language="es"))
    await h.command("ana", "language fr")
    await h.command("ana", "milestone set sober 2026-02-24")  # 7 days on 3 March
    await h.advance(days=2)
    expected = texts.text(
        "milestones.congratulation", "fr", duration=describe(7, "fr"), name="sober"
    )
    assert any(t.startswith(expected) for t in dms(h, "ana", own=False))


# --- crisis care ----------------------------------------------------------------------


async def test_crisis_care_answers_in_the_language_of_the_words(harness):
    h = harness
    await h.command("ana", "language es")
    replies = await said(h, "ana", "je veux me suicider")  # French words, a Spanish reader
    assert replies[0].startswith(texts.text("safety.care_opening", "fr"))
    # words in a language Hearth does not speak (Italian): the member's own
    await h.command("bob", "language pt_BR")
    replies = await said(h, "bob", "voglio uccidermi")
    assert replies[0].startswith(texts.text("safety.care_opening", "pt_BR"))


async def test_an_unknown_command_is_refused_in_the_members_language(make_harness, db_url):
    h = await make_harness(config=config_for(db_url, language="fr"))
    await h.command("ana", "language es")
    assert await h.command("ana", "chekin 4") == [
        texts.text("core.unknown_command", "es", command="chekin")
    ]
    # before a member ever chose: their app's language, else the community's
    assert await with_locale(h, "bob", "chekin", "pt-BR") == [
        texts.text("core.unknown_command", "pt_BR", command="chekin")
    ]
    assert await h.command("carol", "chekin") == [
        texts.text("core.unknown_command", "fr", command="chekin")
    ]
