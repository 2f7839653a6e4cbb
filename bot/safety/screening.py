"""What anonymous words are screened for before anyone else reads them, whichever
feature posts them (a share, a reply, an encouragement note): details that might
identify someone, and the terms a community does not post (SPEC §2)."""

from __future__ import annotations

import re

# The message id that names each kind of detail, and how it is found.
_IDENTIFYING = (
    ("sharing.detail_email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("sharing.detail_phone", re.compile(r"(?<!\w)\+?\d(?:[\s().-]?\d){6,}(?!\w)")),
    (
        "sharing.detail_link",
        re.compile(r"(?i)\bhttps?://|\bwww\.|\b[\w-]+\.(?:com|org|net|io|me|co|de|uk)\b"),
    ),
    ("sharing.detail_mention", re.compile(r"(?<![\w.])@\w|<@[!&]?\d+>")),
)


def identifying_details(text: str) -> list[str]:
    """What in `text` might identify its author or someone else: the message ids
    that name it (`sharing.detail_phone`, …)."""
    return [what for what, pattern in _IDENTIFYING if pattern.search(text)]


def has_blocked_term(text: str, terms: tuple[str, ...]) -> bool:
    """Whether `text` holds one of the community's blocked terms, as a whole word."""
    folded = text.casefold()
    return any(
        re.search(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", folded) for term in terms if term
    )
