"""Text written to break what Hearth posts: a spoiler escaped by a trailing backslash,
direction overrides that turn words around, percent-encoded Matrix pills, a NUL byte
(item 25). Each is either made harmless or refused kindly, changing nothing."""

from __future__ import annotations

import dataclasses
import re

import pytest

from adapters.discord.translate import render
from bot.app import SORRY
from bot.config import Config, Sharing
from bot.port import Invoked, Member, Message, MessagePosted, Place, Spoiler
from bot.safety.mentions import ZERO_WIDTH_SPACE, neutralise_mentions, strip_bidi_controls
from tests.conftest import community

NUL_REFUSED = (
    "Your message has a hidden character in it (a NUL byte or a broken symbol) "
    "that I can't keep, so nothing was saved. Could you type it again?"
)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


# --- Discord spoilers -------------------------------------------------------------------


def _spoiler_closes(content: str) -> bool:
    """Whether the last `||` is a real closing marker: not escaped by an odd run of `\\`."""
    body = content[: content.rindex("||")]
    run = len(body) - len(body.rstrip("\\"))
    return run % 2 == 0


@pytest.mark.parametrize(
    "hidden",
    ["a trailing backslash \\", "two \\\\", "\\", "pipes \\|| and \\|", "|| early end ||"],
)
def test_a_trailing_backslash_cannot_escape_a_discord_spoiler(hidden):
    rendered = render(Message("Anonymous share #1", spoiler=Spoiler("cw \\", hidden)))
    content = rendered.content
    assert content is not None and content.endswith("||")
    assert _spoiler_closes(content)
    opened = content.index(" ||", content.index("CW")) + 3
    inside = content[opened:-2]
    # Unescaped, the words are the member's own, and no bare `||` is left inside.
    assert re.sub(r"\\(.)", r"\1", inside) == hidden
    assert "||" not in re.sub(r"\\.", "", inside)


def test_a_long_spoiler_in_an_embed_still_closes():
    rendered = render(Message("Anonymous share #2", spoiler=Spoiler("cw", "x" * 3000 + "\\")))
    assert rendered.embed is not None and rendered.embed.endswith("||")
    assert _spoiler_closes(rendered.embed)


# --- direction controls and Matrix pills --------------------------------------------------


def test_direction_overrides_and_isolates_are_removed():
    text = f"look at this {BIDI}gnp.exe and \u2067that\u2069"
    assert neutralise_mentions(text) == "look at this gnp.exe and that"
    assert strip_bidi_controls("\u202eabc") == "abc"
    # marks real text needs stay: right-to-left mark, zero width joiner in emoji
    assert neutralise_mentions("שלום\u200f 👩\u200d👩\u200d👧") == "שלום\u200f 👩\u200d👩\u200d👧"


@pytest.mark.parametrize(
    "link",
    [
        "https://matrix.to/#/%40mona:example.org",
        "https://matrix.to/#/%40mona%3Aexample.org",
        "https://MATRIX.TO/#/%21room:example.org",
        "https://matrix.to/#/%23general:example.org",
        "https://matrix.to/#/%2Bgroup:example.org",
        "https://matrix.to/#/%2bgroup:example.org",
    ],
)
def test_percent_encoded_matrix_pills_are_neutralised_like_plain_ones(link):
    out = neutralise_mentions(f"see {link}")
    assert "matrix.to/#/" + ZERO_WIDTH_SPACE in out.lower()
    assert out.replace(ZERO_WIDTH_SPACE, "") == f"see {link}"


def test_an_ordinary_matrix_to_link_to_a_page_is_left_alone():
    assert neutralise_mentions("matrix.to/#/%20") == "matrix.to/#/%20"


async def test_a_posted_share_carries_no_direction_controls(make_harness, db_url):
    settings = dataclasses.replace(Sharing(), vetting=False)
    h = await make_harness(
        config=Config(database=db_url, communities=(community(sharing=settings),))
    )
    await h.command("bob", f"share cw sad{BIDI} | Evenings \u202eare hard\u202c today.")
    await h.hearth.settle()
    (post,) = h.adapter.in_channel("shares")
    assert post.spoiler is not None
    assert post.spoiler.text == "Evenings are hard today."
    assert post.spoiler.warning == "sad"
    assert not any(ch in post.text + post.spoiler.text + post.spoiler.warning for ch in BIDI)


# --- a NUL byte ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "share Evenings are\x00 hard.",
        "checkin 4 a note\x00 with a NUL",
        "milestone set sober\x00 2026-01-03",
        "report 1 spam\x00",
        "checkin schedule 09:00 daily Europe/Berlin\x00",
        "help\x00",
        "share half an emoji \ud83d",
        "checkin 3 \udfff",
    ],
)
async def test_a_nul_byte_is_refused_kindly_and_changes_nothing(harness, command):
    assert await harness.command("ana", command) == [NUL_REFUSED]
    for table in ("members", "checkins", "shares", "schedules"):
        assert await harness.count(table) == 0, table


async def test_a_nul_in_a_plain_dm_or_a_typed_value_is_refused_the_same(harness):
    member = Member("console", "ana")
    await harness.hearth.handle(MessagePosted("p1", member, Place.dm(member), "hi\x00"))
    invoked = Invoked(
        "i1", member, Place.dm(member), ("checkin", "now"), {"mood": 4, "note": "ok\x00"}
    )
    await harness.hearth.handle(invoked)
    form = Invoked("i2", member, Place.dm(member), ("share", "post"), {}, {"text": "words\x00"})
    await harness.hearth.handle(form)
    texts = harness.adapter.texts()
    assert texts == [NUL_REFUSED] * 3 and SORRY not in texts
    assert await harness.count("members") == 0
    assert await harness.count("processed_events") == 0  # a fixed message may be sent again


async def test_plain_channel_text_with_a_nul_is_not_answered(harness):
    member = Member("console", "ana")
    channel = Place.channel("console", "shares")
    await harness.hearth.handle(MessagePosted("p1", member, channel, "a\x00b"))
    assert harness.adapter.texts() == []
