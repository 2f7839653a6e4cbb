"""What a share or reply must pass before it is posted (SPEC §2): each check
says kindly what is wrong, and nothing is posted."""

from __future__ import annotations

import re

from bot import ratelimits
from bot.features.sharing import store
from bot.requests import Refusal, Request
from bot.safety import care

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


def _blocked_term(text: str, terms: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(
        re.search(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", folded) for term in terms if term
    )


async def check_length(req: Request, kind: str, text: str, crisis: object) -> None:
    """Refuse what is too long; words that sounded like a crisis still get resources."""
    limit = req.community.sharing.max_length
    if len(text) > limit:
        raise Refusal(
            req.t(
                "sharing.too_long_share" if kind == "share" else "sharing.too_long_reply",
                length=len(text),
                limit=limit,
            ),
            also=(await care.care_message(req, getattr(crisis, "language", None)),)
            if crisis
            else (),
        )


async def check_posting_rules(req: Request, kind: str, text: str) -> None:
    """Refuse what this community does not post: blocked terms, a blocked author,
    too soon after the last one. (A possible crisis skips these: it is held for
    moderators whatever they say, so nobody in crisis is turned away.)"""
    sharing = req.community.sharing
    is_share = kind == "share"
    if _blocked_term(text, sharing.blocked_terms):
        raise Refusal(
            req.t("sharing.blocked_terms_share" if is_share else "sharing.blocked_terms_reply")
        )
    member = req.event.member
    if await store.active_block(req.tx, req.vault, req.community.name, member, req.now):
        raise Refusal(req.t("sharing.author_blocked"))
    left = await ratelimits.seconds_left(
        req.tx, req.vault, kind, req.community.name, member, req.now
    )
    if left:
        minutes = max(1, round(left / 60))
        raise Refusal(
            req.plural("sharing.cooldown_share" if is_share else "sharing.cooldown_reply", minutes)
        )
