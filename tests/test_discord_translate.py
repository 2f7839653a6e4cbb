"""The Discord adapter's pure part: slash command → core words, Message →
what a Discord message is made of, forms and custom ids (no discord.py needed)."""

from __future__ import annotations

import pytest

from adapters.discord import commands as spec
from adapters.discord import translate
from bot.config import DEFAULT_MOOD_LABELS
from bot.port import Attachment, Choice, Message, Spoiler

LEAVES = {leaf.qualified_name: leaf for leaf in spec.leaves(DEFAULT_MOOD_LABELS)}

# Every declared command, with what a Matrix or console member would type for it.
INVOCATIONS = [
    ("help", {}, "help"),
    ("help", {"command": "checkin"}, "help checkin"),
    ("checkin now", {}, "checkin"),
    ("checkin now", {"mood": "4"}, "checkin 4"),
    (
        "checkin schedule",
        {"time": "09:00", "days": "weekdays", "timezone": "Europe/Berlin"},
        "checkin schedule 09:00 weekdays Europe/Berlin",
    ),
    ("checkin schedule", {"time": "07:30"}, "checkin schedule 07:30"),
    ("checkin pause", {"days": 3}, "checkin pause 3"),
    ("checkin resume", {}, "checkin resume"),
    ("checkin skip", {}, "checkin skip"),
    ("checkin snooze", {}, "checkin snooze"),
    ("checkin quiet", {"hours": "22:00-07:00"}, "checkin quiet 22:00-07:00"),
    ("checkin history", {"days": 14}, "checkin history 14"),
    ("checkin stop", {}, "checkin stop"),
    ("resources", {}, "resources"),
    ("privacy", {}, "privacy"),
    ("contact", {"answer": "yes"}, "contact yes"),
    ("mydata export", {}, "mydata export"),
    ("mydata delete", {}, "mydata delete"),
    ("mydata delete", {"confirm": True}, "mydata delete confirm"),
    ("share post", {"content_warning": "grief"}, "share"),  # opens the form; see below
    ("share list", {}, "share list"),
    ("share delete", {"number": 2}, "share delete 2"),
    ("share confirm", {}, "share confirm"),
    ("share cancel", {}, "share cancel"),
    ("reply", {"number": 4}, "reply 4"),  # opens the form
    ("support", {"number": 4}, "support 4"),
    ("report", {"number": "4.2", "reason": "unkind  words"}, "report 4.2 unkind words"),
    ("mod queue", {}, "mod queue"),
    ("mod approve", {"number": "4"}, "mod approve 4"),
    ("mod reject", {"number": "4", "reason": "names a person"}, "mod reject 4 names a person"),
    ("mod remove", {"number": "4.1"}, "mod remove 4.1"),
    ("mod block", {"number": 4, "days": 7}, "mod block 4 7"),
    ("mod unblock", {"block_id": "B-7KQ2MX"}, "mod unblock B-7KQ2MX"),
    ("mod stats", {}, "mod stats"),
    ("mod reload", {}, "mod reload"),
    ("mod log", {"count": 20}, "mod log 20"),
    (
        "milestone set",
        {
            "name": "sober",
            "date": "2026-01-03",
            "visibility": "anonymous",
            "timezone": "Europe/Berlin",
        },
        "milestone set sober 2026-01-03 anonymous Europe/Berlin",
    ),
    ("milestone list", {}, "milestone list"),
    (
        "milestone reset",
        {"name": "sober", "date": "2026-02-01"},
        "milestone reset sober 2026-02-01",
    ),
    (
        "milestone visibility",
        {"name": "sober", "visibility": "public"},
        "milestone visibility sober public",
    ),
    ("milestone remove", {"name": "sober", "confirm": True}, "milestone remove sober confirm"),
    ("celebrate", {"anonymous": True}, "celebrate anonymous"),  # opens the form
    ("cheer", {"number": 3}, "cheer 3"),
]


def test_every_declared_command_has_a_translation_case():
    assert {path for path, _, _ in INVOCATIONS} == set(LEAVES)


@pytest.mark.parametrize(("path", "values", "expected"), INVOCATIONS)
def test_a_slash_command_becomes_the_words_a_member_would_type(path, values, expected):
    assert spec.words_for(LEAVES[path], values) == expected


def test_a_community_picked_in_a_dm_follows_the_command_words():
    leaf = LEAVES["checkin history"]
    assert spec.words_for(leaf, {"days": 7}, "harbour") == "checkin history --community harbour 7"


def test_commands_that_take_private_words_open_forms():
    assert spec.form_for(LEAVES["share post"], {}) == spec.SHARE_FORM
    assert spec.form_for(LEAVES["reply"], {"number": 4}) == spec.REPLY_FORM
    assert spec.form_for(LEAVES["celebrate"], {}) == spec.WIN_FORM
    assert spec.form_for(LEAVES["checkin now"], {"mood": "4", "note": True}) == spec.NOTE_FORM
    assert spec.form_for(LEAVES["checkin now"], {"mood": "4"}) is None
    assert spec.form_for(LEAVES["support"], {"number": 4}) is None


@pytest.mark.parametrize(
    ("kind", "head", "values", "expected"),
    [
        (spec.SHARE_FORM, "share", {"text": " Three weeks today. "}, "share Three weeks today."),
        (
            spec.SHARE_FORM,
            "share",
            {"warning": "grief | loss", "text": "I miss him."},
            "share cw grief / loss | I miss him.",
        ),
        (
            spec.SHARE_FORM,
            "share --community harbour",
            {"warning": "", "text": "hi"},
            "share --community harbour hi",
        ),
        (
            spec.REPLY_FORM,
            "reply 4",
            {"text": "Sending love\nfrom here"},
            "reply 4 Sending love\nfrom here",
        ),
        (spec.NOTE_FORM, "checkin 4", {"note": "slept well #sleep"}, "checkin 4 slept well #sleep"),
        (spec.NOTE_FORM, "checkin", {"mood": "2", "note": "rough day"}, "checkin 2 rough day"),
        (spec.WIN_FORM, "celebrate", {"text": "a walk"}, "celebrate a walk"),
        (
            spec.WIN_FORM,
            "celebrate --community harbour anonymous",
            {"text": "30 days"},
            "celebrate --community harbour 30 days anonymous",
        ),
    ],
)
def test_a_submitted_form_becomes_the_command_with_the_members_words(kind, head, values, expected):
    form = translate.form(kind, head)
    assert form is not None and form.custom_id.startswith(translate.FORM_PREFIX)
    assert translate.form_text(form.custom_id, values) == expected


def test_forms_fit_discords_limits_and_ask_for_a_mood_only_when_missing():
    with_mood = translate.form(spec.NOTE_FORM, "checkin 4")
    without = translate.form(spec.NOTE_FORM, "checkin")
    assert [f.name for f in with_mood.fields] == ["note"]
    assert [f.name for f in without.fields] == ["mood", "note"]
    share = translate.form(spec.SHARE_FORM, "share", {"content_warning": "grief"})
    assert share.fields[0].default == "grief"
    for form in (with_mood, without, share, translate.form(spec.REPLY_FORM, "reply 12345")):
        assert len(form.title) <= 45 and len(form.custom_id) <= 100
        assert all(len(f.label) <= 45 and f.max_length <= 4000 for f in form.fields)
    assert translate.form(spec.REPLY_FORM, "reply " + "9" * 100) is None


def test_only_a_reply_button_needs_a_form():
    assert translate.form_for_choice("reply 4").custom_id == "hearth-form:reply:reply 4"
    for command in ("support 4", "checkin 4", "mod approve 4", "share confirm"):
        assert translate.form_for_choice(command) is None


def test_submitted_values_read_labels_and_action_rows():
    components = [
        {"type": 18, "component": {"type": 4, "custom_id": "warning", "value": "grief"}},
        {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "words"}]},
    ]
    assert translate.submitted_values(components) == {"warning": "grief", "text": "words"}


def test_custom_ids_carry_only_the_command():
    assert translate.choice_custom_id("support 4") == "hearth:support 4"
    assert translate.command_from_custom_id("hearth:support 4") == "support 4"
    assert translate.command_from_custom_id("hearth-form:reply:reply 4") is None
    assert translate.choice_custom_id("x" * 100) is None


def test_buttons_render_from_choices_without_doubling_emoji():
    message = Message(
        "📝 Anonymous share #4\nwords",
        choices=(
            Choice("🤝 Support", "support 4", "🤝"),
            Choice("Reply anonymously", "reply 4", "💬"),
            Choice("Approve", "mod approve 4", "✅"),
            Choice("Block author", "mod block 4", "⛔"),
        ),
    )
    buttons = translate.render(message).buttons
    assert [(b.label, b.custom_id, b.emoji) for b in buttons[:2]] == [
        ("🤝 Support", "hearth:support 4", None),
        ("Reply anonymously", "hearth:reply 4", "💬"),
    ]
    assert [b.style for b in buttons] == ["secondary", "secondary", "success", "danger"]


def test_a_spoiler_is_a_content_warning_then_hidden_text_that_cannot_break_out():
    rendered = translate.render(
        Message("📝 Anonymous share #1", spoiler=Spoiler("grief", "I miss || him"))
    )
    assert rendered.content == "📝 Anonymous share #1\nCW: grief ||I miss \\|\\| him||"
    assert rendered.embed is None


def test_text_too_long_for_a_message_goes_into_an_embed():
    body = "word " * 600  # 3000 characters: more than a message holds
    rendered = translate.render(Message(f"📝 Anonymous share #2\n{body}"))
    assert rendered.content == "📝 Anonymous share #2"
    assert rendered.embed == body and not rendered.clipped
    hidden = translate.render(Message("📝 Anonymous share #3", spoiler=Spoiler("cw", body)))
    assert hidden.content == "📝 Anonymous share #3\nCW: cw"
    assert hidden.embed == f"||{body}||"
    huge = translate.render(Message("x" * 5000))
    assert huge.content is None and len(huge.embed) == 4096 and huge.clipped


def test_the_idempotency_key_becomes_a_stable_discord_sized_nonce():
    key = "prompt:12:harbour:2026-03-02:09:00"
    rendered = translate.render(Message("hi", idempotency_key=key))
    assert rendered.nonce == translate.nonce_for(key) and len(rendered.nonce) == 25
    assert translate.nonce_for(key + "x") != rendered.nonce
    assert translate.render(Message("hi")).nonce is None


def test_reply_to_and_attachments_pass_through():
    chart = Attachment("chart.png", b"\x89PNG", "Mood chart")
    rendered = translate.render(Message("history", attachment=chart, reply_to="123"))
    assert rendered.attachment == chart and rendered.reply_to == 123


def test_unreachable_codes_are_exactly_closed_dms_and_no_mutual_guilds():
    assert translate.is_unreachable(50007) and translate.is_unreachable(50278)
    assert not translate.is_unreachable(50013) and not translate.is_unreachable(0)


def test_shard_settings_are_checked_with_the_rest_of_the_config():
    from bot.config_loader import ConfigError, load_config_text

    text = (
        "adapters:\n  discord:\n    enabled: true\n    token: t\n"
        "    shards: {count: 2, ids: [0, 2]}\n"
        "communities:\n  - {name: harbour, platform: discord, guild_id: '1'}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config_text(text)
    (problem,) = caught.value.problems
    assert problem.key_path == "adapters.discord.shards.ids"
    fixed = load_config_text(text.replace("[0, 2]", "[0, 1]"))
    assert fixed.adapters.discord.shards.count == 2 and fixed.adapters.discord.shards.ids == (0, 1)
