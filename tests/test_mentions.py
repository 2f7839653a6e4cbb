"""Mentions in posted text never ping anyone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.safety.mentions import ZERO_WIDTH_SPACE, neutralise_mentions


@pytest.mark.parametrize(
    "text",
    [
        "@everyone look",
        "hey @here",
        "@room",
        "@EveryOne",
        "thanks @mona!",
        "<@1234567890>",
        "<@!1234567890>",
        "<@&998877>",
        "see <#5566>",
        "@hearth:example.org",
        "https://matrix.to/#/@carol:example.org",
    ],
)
def test_mentions_are_broken(text):
    out = neutralise_mentions(text)
    assert out != text
    assert out.replace(ZERO_WIDTH_SPACE, "") == text


def test_ordinary_text_is_untouched():
    text = "I reached 30 days today. Email me? No: a@ sign alone is fine"
    assert neutralise_mentions("I reached 30 days today.") == "I reached 30 days today."
    assert "@" in neutralise_mentions(text)


@given(st.text())
def test_no_raw_mention_survives(text):
    out = neutralise_mentions(text)
    for ping in ("@everyone", "@here", "@room"):
        assert ping not in out.lower()
    import re

    assert not re.search(r"<@[!&]?\d", out)
