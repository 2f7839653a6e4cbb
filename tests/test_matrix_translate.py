"""Matrix events ⇄ the core, on payloads saved from Synapse 1.163 (room version 12)."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("nio")

from nio import Event as NioEvent  # noqa: E402

from adapters.matrix import translate  # noqa: E402
from adapters.matrix.translate import CREATOR_POWER, Where  # noqa: E402
from bot.port import (  # noqa: E402
    Attachment,
    Choice,
    CommandGiven,
    Member,
    Message,
    MessagePosted,
    Place,
    ReactionAdded,
    Spoiler,
)

DM = "!WN-ZeCXVYlB98fkx98B0-B2CSrtPePgf8OTfxNGuAr0"
SHARES = "!1M9xnD7M3CDR8fcTLLX6yW9Gqu5lv60jPatQCYnHC4E"
ANN = "@ann:hearth.test"
TEXT = {
    "type": "m.room.message",
    "sender": ANN,
    "content": {"msgtype": "m.text", "body": "!checkin 4 slept well"},
    "origin_server_ts": 1772434800000,
    "unsigned": {"age": 51, "membership": "join"},
    "event_id": "$SschZ11NURsrS_9UoOOEzpbEgS4SmZt_nHYHS5q3P5s",
}
REACTION = {
    "type": "m.reaction",
    "sender": ANN,
    "content": {
        "m.relates_to": {
            "rel_type": "m.annotation",
            "event_id": "$prompt",
            "key": "3️⃣",
        }
    },
    "origin_server_ts": 1772434860000,
    "unsigned": {"age": 12, "membership": "join"},
    "event_id": "$3Hm0dv4VL-MYbS7SNv5HNLH3Dg1FcSp0z25yeE6DJ0g",
}
CREATE = {
    "type": "m.room.create",
    "sender": "@owner:hearth.test",
    "state_key": "",
    "content": {"room_version": "12", "additional_creators": ["@co:hearth.test"]},
    "origin_server_ts": 1772434000000,
    "event_id": "$1M9xnD7M3CDR8fcTLLX6yW9Gqu5lv60jPatQCYnHC4E",
}


def parsed(payload: dict, **content: object) -> NioEvent:
    event = copy.deepcopy(payload)
    event["content"].update(content)
    return NioEvent.parse_event(event)


# --- inbound -------------------------------------------------------------------------


def test_a_dm_command_is_the_words_after_the_bang() -> None:
    event = translate.inbound(parsed(TEXT), Where(DM, dm_with=ANN, power_levels={"circle": 0}))
    assert event == CommandGiven(
        TEXT["event_id"],
        Member("matrix", ANN),
        Place.dm(Member("matrix", ANN)),
        "checkin 4 slept well",
        power_levels={"circle": 0},
    )
    assert event.unseen


def test_a_number_typed_in_a_dm_is_a_message_for_the_core() -> None:
    event = translate.inbound(parsed(TEXT, body="3"), Where(DM, dm_with=ANN))
    assert isinstance(event, MessagePosted) and event.text == "3"


def test_in_a_room_commands_count_and_chatter_is_left_alone() -> None:
    command = translate.inbound(parsed(TEXT), Where(SHARES, power_levels={"circle": 50}))
    assert isinstance(command, CommandGiven)
    assert command.place == Place.channel("matrix", SHARES) and not command.unseen
    assert command.power_levels == {"circle": 50}
    assert translate.inbound(parsed(TEXT, body="hello all"), Where(SHARES)) is None


def test_a_reply_quoting_the_prompt_is_read_without_the_quote() -> None:
    body = "> <@hearth:hearth.test> Time for your check-in 🌱\n\n!checkin 3 better now"
    relation = {"m.in_reply_to": {"event_id": "$prompt"}}
    event = translate.inbound(parsed(TEXT, body=body, **{"m.relates_to": relation}), Where(DM, ANN))
    assert isinstance(event, CommandGiven) and event.text == "checkin 3 better now"


def test_an_edit_is_not_a_second_command() -> None:
    relation = {"rel_type": "m.replace", "event_id": TEXT["event_id"]}
    edit = parsed(TEXT, body="* !checkin 5", **{"m.relates_to": relation})
    assert translate.inbound(edit, Where(DM, ANN)) is None


def test_a_notice_from_another_bot_is_ignored() -> None:
    assert translate.inbound(parsed(TEXT, msgtype="m.notice"), Where(DM, ANN)) is None


def test_a_reaction_names_the_message_and_the_emoji() -> None:
    event = translate.inbound(parsed(REACTION), Where(DM, ANN))
    assert isinstance(event, ReactionAdded)
    assert (event.event_id, event.message_id, event.emoji) == (REACTION["event_id"], "$prompt", "3️⃣")


def test_a_keycap_without_its_selector_still_matches_the_choice() -> None:
    relation = {"rel_type": "m.annotation", "event_id": "$prompt", "key": "3\u20e3"}
    event = translate.inbound(parsed(REACTION, **{"m.relates_to": relation}), Where(DM, ANN))
    assert event.emoji == "3️⃣"


# Which commands typed in a room are taken down is the core's to say now: see
# tests/test_private_commands.py; how the adapter takes one down, test_matrix_client.py.


# --- power levels --------------------------------------------------------------------


def test_creators_of_a_version_12_room_outrank_every_power_level() -> None:
    creators = translate.creators_of(CREATE)
    assert creators == {"@owner:hearth.test", "@co:hearth.test"}
    users = {"@mod:hearth.test": 50, "@owner:hearth.test": 100}
    assert translate.power_level("@co:hearth.test", users, 0, "12", creators) == CREATOR_POWER
    assert CREATOR_POWER > 2**53 - 1  # above the largest level a room may hold
    assert translate.power_level("@mod:hearth.test", users, 0, "12", creators) == 50
    assert translate.power_level(ANN, users, 0, "12", creators) == 0


def test_before_version_12_a_creator_has_only_their_power_level() -> None:
    owner = "@owner:hearth.test"
    assert translate.power_level(owner, {owner: 100}, 0, "11", {owner}) == 100
    assert translate.creators_outrank("org.matrix.hydra.11")


# --- outbound --------------------------------------------------------------------------


def test_hearth_speaks_in_notices_that_mention_nobody() -> None:
    content = translate.message_content(Message("Hi <b>@room</b>\nsecond line"))
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert content["body"] == "Hi <b>@room</b>\nsecond line"
    assert content["formatted_body"] == "Hi &lt;b&gt;@room&lt;/b&gt;<br>second line"
    assert "m.relates_to" not in content


def test_a_content_warning_is_a_matrix_spoiler() -> None:
    message = Message("📝 Anonymous share #2", spoiler=Spoiler('grief "loss"', "My dog <died>"))
    content = translate.message_content(message)
    assert (
        '<span data-mx-spoiler="grief &quot;loss&quot;">My dog &lt;died&gt;</span>'
        in (content["formatted_body"])
    )
    assert content["body"].endswith('CW: grief "loss"\n||My dog <died>||')


def test_a_reply_is_threaded_under_the_share() -> None:
    content = translate.message_content(Message("↳ Anonymous reply #1.1", reply_to="$share"))
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$share",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$share"},
    }


def test_choices_say_what_to_type() -> None:
    choices = (Choice("🙂 good", "checkin 4", "4️⃣"), Choice("Skip today", "checkin skip"))
    body = translate.message_content(Message("How are you?", choices=choices))["body"]
    assert body.splitlines()[-3:] == [
        "React below, or send:",
        "4️⃣ !checkin 4 — 🙂 good",
        "• !checkin skip — Skip today",
    ]


def test_a_reaction_is_an_annotation() -> None:
    assert translate.reaction_content("$prompt", "3️⃣") == {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": "$prompt", "key": "3️⃣"}
    }


def test_a_chart_is_an_image_and_an_export_a_file() -> None:
    chart = Attachment("checkin-history.png", b"\x89PNG", "Mood chart, 30 days")
    keys = {"key": {"k": "secret"}, "iv": "iv", "hashes": {"sha256": "h"}, "v": "v2"}
    image = translate.attachment_content(chart, "mxc://hearth.test/abc", keys)
    assert image["msgtype"] == "m.image" and image["body"] == "Mood chart, 30 days"
    assert image["file"]["url"] == "mxc://hearth.test/abc" and image["file"]["iv"] == "iv"
    assert "url" not in image and image["info"] == {"mimetype": "image/png", "size": 4}
    export = translate.attachment_content(Attachment("data.json", b"{}"), "mxc://h/x", None)
    assert export["msgtype"] == "m.file" and export["url"] == "mxc://h/x"


# --- as a Matrix client renders it ------------------------------------------------------

HINTS = translate.Hints(frozenset({"reply", "help", "checkin", "mydata"}), "!")


def test_a_hint_names_the_prefix_a_matrix_member_types() -> None:
    message = Message("Reply with `reply 1 your words`, or `/help`. Not `hearth config check`.")
    content = translate.message_content(message, HINTS)
    assert content["body"] == (
        "Reply with `!reply 1 your words`, or `!help`. Not `hearth config check`."
    )
    assert content["formatted_body"] == (
        "Reply with <code>!reply 1 your words</code>, or <code>!help</code>. "
        "Not <code>hearth config check</code>."
    )
    again = translate.message_content(Message("`!checkin 4` or `checkin`"), HINTS)["body"]
    assert again == "`!checkin 4` or `!checkin`"  # never twice


def test_formatted_body_is_html_a_client_renders() -> None:
    text = "Your data:\n• `mydata export` <all> of it\n- & more\nThat's it."
    content = translate.message_content(Message(text), HINTS)
    assert "`" not in content["formatted_body"]
    assert content["formatted_body"] == (
        "Your data:<ul><li><code>!mydata export</code> &lt;all&gt; of it</li>"
        "<li>&amp; more</li></ul>That's it."
    )
    assert content["body"] == text.replace("`mydata", "`!mydata")
    lone = translate.message_content(Message("a ` b\n\nc"), HINTS)["formatted_body"]
    assert lone == "a ` b<br><br>c"  # an unpaired backtick is only a backtick


def test_a_choice_shows_its_emoji_once() -> None:
    choices = (
        Choice("🤝 Support", "support 1", "🤝"),
        Choice("❤ Thanks", "thanks 1", "❤️"),
        Choice("Reply anonymously", "reply 1"),
    )
    content = translate.message_content(Message("📝 Anonymous share #1", choices=choices))
    assert content["body"].splitlines()[-3:] == [
        "🤝 !support 1 — Support",
        "❤️ !thanks 1 — Thanks",
        "• !reply 1 — Reply anonymously",
    ]
    assert content["formatted_body"].endswith(
        "🤝 <code>!support 1</code> — Support<br>❤️ <code>!thanks 1</code> — Thanks<br>"
        "• <code>!reply 1</code> — Reply anonymously"
    )


def test_what_goes_to_a_members_dm_notifies_and_room_posts_stay_notices() -> None:
    assert translate.message_content(Message("Time to check in"), notify=True)["msgtype"] == (
        "m.text"
    )
    assert translate.message_content(Message("📝 Anonymous share #1"))["msgtype"] == "m.notice"


def test_a_charts_event_carries_its_alt_text_and_size() -> None:
    chart = Attachment("mood.png", b"\x89PNG", "Mood over 30 days: mostly 4", 800, 400)
    image = translate.attachment_content(chart, "mxc://hearth.test/abc", None)
    assert image["body"] == "Mood over 30 days: mostly 4"
    assert image["info"] == {"mimetype": "image/png", "size": 4, "w": 800, "h": 400}
    plain = translate.attachment_content(Attachment("mood.png", b"\x89PNG"), "mxc://h/x", None)
    assert plain["body"] == "mood.png" and "w" not in plain["info"]


def test_an_event_carries_the_senders_display_name() -> None:
    where = Where(DM, dm_with=ANN, display_name="Ann")
    assert translate.inbound(parsed(TEXT), where).display_name == "Ann"
    assert translate.inbound(parsed(REACTION), where).display_name == "Ann"
    assert translate.inbound(parsed(TEXT), Where(DM, dm_with=ANN)).display_name is None
