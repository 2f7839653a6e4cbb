"""Options several features' commands share: the number of a share or a held
item, a count of days. Limits live beside the handlers that hold them."""

from __future__ import annotations

from bot.port import SUGGEST_TIMEZONE, Option, Words

#: a reply or held item is named with a prefix (`r12`, `c3`), so it is a word
REFERENCE_MAX_LENGTH = 12


def number(description: str) -> Option:
    """The number of a share or celebration (`support 4`)."""
    return Option("number", Words(description), int, required=True, min_value=1)


def reference(description: str) -> Option:
    """A share, reply or held item by its reference (`4`, `r12`, `c3`)."""
    return Option("number", Words(description), str, required=True, max_length=REFERENCE_MAX_LENGTH)


def days(description: str, most: int, *, name: str = "days") -> Option:
    return Option(name, Words(description), int, min_value=1, max_value=most)


#: a member's IANA time zone (`Europe/Berlin`), suggested as they type
TIMEZONE = Option(
    "timezone",
    Words("discord.option_timezone"),
    str,
    suggest=SUGGEST_TIMEZONE,
    max_length=64,
)
