"""The Discord adapter's pure part: the core's forms drawn as modals whose
custom ids carry the invocation, Message → what a Discord message is made of,
and custom ids (no discord.py needed)."""

from __future__ import annotations

import json

import pytest

from adapters.discord import translate
from bot.port import (
    Attachment,
    Choice,
    Command,
    Declarations,
    Field,
    Form,
    Invoked,
    Message,
    Option,
    Spoiler,
    Words,
)

# Declarations shaped like the core's (bot/features): the drawing is the adapter's,
# whatever the core declares.
SHARE_FORM = Form(
    "share",
    Words("discord.form_share_title"),
    (
        Field(
            "warning",
            Words("discord.form_share_warning_label"),
            required=False,
            max_length=200,
            placeholder=Words("discord.form_share_warning_placeholder"),
        ),
        Field("text", Words("discord.form_share_text_label"), long=True),
    ),
)
SHARE = Command(
    ("share", "post"),
    Words("discord.command_share_post"),
    (
        Option(
            "content_warning",
            Words("discord.option_share_post_content_warning"),
            max_length=200,
            prefill="warning",
        ),
    ),
    words="share",
    form=SHARE_FORM,
)
NUMBER = Option("number", Words("discord.option_number_share"), int, required=True, min_value=1)
REPLY = Command(
    ("reply",),
    Words("discord.command_reply"),
    (NUMBER,),
    form=Form(
        "reply",
        Words("discord.form_reply_title"),
        (Field("text", Words("discord.form_reply_text_label"), long=True),),
    ),
)
NOTE = Command(
    ("checkin", "now"),
    Words("discord.command_checkin_now"),
    (
        Option("mood", Words("discord.option_mood"), choices=((Words("discord.days_mon"), "1"),)),
        Option("note", Words("discord.option_checkin_now_note"), bool, opens="note"),
    ),
    words="checkin",
    form=Form(
        "note",
        Words("discord.form_note_title"),
        (
            Field("mood", Words("discord.form_note_mood_label"), max_length=1, unless="mood"),
            Field("note", Words("discord.form_note_label"), long=True),
        ),
    ),
)
WIN = Command(
    ("celebrate",),
    Words("discord.command_celebrate"),
    (Option("anonymous", Words("discord.option_celebrate_anonymous"), bool, flag="anonymous"),),
    form=Form(
        "win",
        Words("discord.form_win_title"),
        (Field("text", Words("discord.form_win_text_label"), long=True),),
        title_if=(("anonymous", Words("discord.form_win_title_anonymous")),),
    ),
)
SUPPORT = Command(("support",), Words("discord.command_support"), (NUMBER,))
DECLARED = Declarations((SHARE, REPLY, NOTE, WIN, SUPPORT), {})


class _Interaction:
    id = 800000000000000001
    guild_id = 100000000000000001
    channel_id = 200000000000000001

    class user:  # noqa: N801 - a discord.Member's shape
        id = 400000000000000001
        _roles = [300000000000000001]


@pytest.mark.parametrize(
    ("command", "values", "community"),
    [
        (SHARE, {}, None),
        (REPLY, {"number": 4}, None),
        (NOTE, {"mood": "3", "note": True}, None),
        (NOTE, {"note": True}, "harbour"),
        (WIN, {"anonymous": True}, "lighthouse"),
    ],
)
def test_a_form_carries_its_invocation_through_the_custom_id(command, values, community):
    custom_id = translate.form_custom_id(command, values, community)
    assert custom_id is not None and custom_id.startswith(translate.FORM_PREFIX)
    assert len(custom_id) <= translate.CUSTOM_ID_MAX
    carried = translate.form_invocation(custom_id)
    assert carried == translate.FormInvocation(command.path, values, community)


def test_the_custom_id_is_compact_and_leaves_prefilled_options_to_their_field():
    assert translate.form_custom_id(REPLY, {"number": 4}) == 'hearth-form:["reply",{"number":4}]'
    shared = translate.form_custom_id(SHARE, {"content_warning": "grief"})
    assert shared == 'hearth-form:["share post",{}]'  # the warning box holds it
    assert translate.form_custom_id(WIN, {"anonymous": False}) == 'hearth-form:["celebrate",{}]'
    assert translate.form_custom_id(REPLY, {"number": "9" * 100}) is None


@pytest.mark.parametrize(
    "custom_id",
    [
        "hearth-form:share:share",  # the words-era id: not an invocation
        "hearth-form:",
        "hearth-form:[]",
        'hearth-form:["", {}]',
        'hearth-form:["reply", {"number": [4]}]',
        'hearth-form:["reply", {"number": 4.5}]',
        'hearth-form:["reply", {}, 7]',
        'hearth-form:{"reply": 4}',
        'hearth:["reply", {}]',
    ],
)
def test_a_custom_id_hearth_did_not_make_is_no_invocation(custom_id):
    assert translate.form_invocation(custom_id) is None


def test_a_modal_draws_the_declared_form_with_what_the_command_already_says():
    share = translate.modal(SHARE, SHARE_FORM, {"content_warning": "grief"})
    assert share.title == "Share anonymously"
    warning, words = share.boxes
    assert (warning.name, warning.default, warning.required) == ("warning", "grief", False)
    assert warning.placeholder and warning.max_length == 200
    assert (words.name, words.long, words.default) == ("text", True, None)
    reply = translate.modal(REPLY, REPLY.form, {"number": 12})
    assert "12" in reply.title
    win = translate.modal(WIN, WIN.form, {"anonymous": True})
    assert win.title != translate.modal(WIN, WIN.form, {}).title


def test_a_note_form_asks_for_a_mood_only_when_the_command_left_it_out():
    with_mood = translate.modal(NOTE, NOTE.form, {"mood": "4", "note": True})
    without = translate.modal(NOTE, NOTE.form, {"note": True})
    assert [b.name for b in with_mood.boxes] == ["note"]
    assert [b.name for b in without.boxes] == ["mood", "note"]


def test_modals_fit_discords_limits():
    long_cw = {"content_warning": "x" * 500}
    for modal in (
        translate.modal(SHARE, SHARE_FORM, long_cw),
        translate.modal(REPLY, REPLY.form, {"number": 12345}),
        translate.modal(NOTE, NOTE.form, {"note": True}, "a-community-name-of-32-characters"),
    ):
        assert len(modal.title) <= translate.TITLE_MAX
        assert len(modal.custom_id) <= translate.CUSTOM_ID_MAX
        for box in modal.boxes:
            assert len(box.label) <= translate.FIELD_LABEL_MAX and box.max_length <= 4000
            assert box.placeholder is None or len(box.placeholder) <= translate.PLACEHOLDER_MAX
            assert box.default is None or len(box.default) <= box.max_length
    assert translate.modal(REPLY, REPLY.form, {"number": "9" * 100}) is None


def test_only_a_button_whose_command_still_needs_words_opens_a_form():
    command, values = DECLARED.form_for_choice("reply 4")
    modal = translate.modal(command, command.form, values)
    assert json.loads(modal.custom_id.removeprefix(translate.FORM_PREFIX)) == [
        "reply",
        {"number": "4"},
    ]
    for pressed in ("support 4", "checkin 4", "mod approve 4", "share confirm"):
        assert DECLARED.form_for_choice(pressed) is None


def test_an_invocation_is_private_and_carries_the_members_roles():
    event = translate.invoked(
        _Interaction(), ("reply",), {"number": 4}, fields={"text": "hi"}, community=None
    )
    assert isinstance(event, Invoked) and event.unseen
    assert (event.command, event.values) == (("reply",), {"number": 4})
    assert event.fields == {"text": "hi"} and event.community is None
    assert event.space == "100000000000000001" and event.roles == ("300000000000000001",)
    assert event.place.target == "200000000000000001" and event.member.platform == "discord"


def test_an_event_carries_the_display_name_or_none():
    class Named(_Interaction):
        class user:  # noqa: N801 - a discord.Member's shape
            id = 400000000000000002
            _roles: list[int] = []
            display_name = "Kit 🌻"

    assert translate.invoked(Named(), ("help",), {}).display_name == "Kit 🌻"
    assert translate.choice_event(Named(), "support 4").display_name == "Kit 🌻"
    assert translate.invoked(_Interaction(), ("help",), {}).display_name is None

    class Blank(Named):
        class user(Named.user):  # noqa: N801
            display_name = "   "

    assert translate.invoked(Blank(), ("help",), {}).display_name is None


def test_a_spoiler_escapes_backslashes_before_pipes():
    rendered = translate.render(Message("📝 Anonymous share #1", spoiler=Spoiler("cw", "so \\")))
    assert rendered.content == "📝 Anonymous share #1\nCW: cw ||so \\\\||"


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
