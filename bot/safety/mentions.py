"""Neutralising mentions in anything Hearth posts for a member.

An anonymous post must never ping @everyone, a role or a member, on any
platform. Adapters also send with mentions disabled (Discord
`allowed_mentions`, Matrix empty `m.mentions`); this is the textual half,
so the words still read naturally but no platform parses them as a ping.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"

# @everyone/@here/@room and user-ish handles (@name, @name:server.org).
_AT_WORDS = re.compile(r"@(?=[\w.\-]|everyone|here|room)", re.IGNORECASE)
# Discord's raw forms: <@123>, <@!123>, <@&123> (roles), <#123> (channels).
_DISCORD_RAW = re.compile(r"<(@[!&]?|#)(\d+)>")
# Matrix pills are links to matrix.to; clients turn such links into mentions, also
# when the sigil is percent-encoded (`matrix.to/#/%40mona:example.org`).
_MATRIX_PILL = re.compile(r"(matrix\.to/#/)(?=[@!#+]|%(?:40|21|23|2b))", re.IGNORECASE)
# Direction overrides, embeddings and isolates: invisible, they turn the rest of a
# post around ("…gnp.exe" reads as "exe.png…") or hide words inside others.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text)


def neutralise_mentions(text: str) -> str:
    """`@everyone` → `@\u200beveryone`, `<@123>` → `<@\u200b123>`: shown, never pinging.
    Direction overrides and isolates are removed (`strip_bidi_controls`)."""
    text = strip_bidi_controls(text)
    text = _DISCORD_RAW.sub(lambda m: f"<{m.group(1)}{ZERO_WIDTH_SPACE}{m.group(2)}>", text)
    text = _MATRIX_PILL.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, text)
    return _AT_WORDS.sub("@" + ZERO_WIDTH_SPACE, text)
