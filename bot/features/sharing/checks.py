"""What a share or reply must pass before it is posted (SPEC §2): each check
says kindly what is wrong, and nothing is posted."""

from __future__ import annotations

import re

from bot import ratelimits
from bot.commands import Refusal, Request
from bot.features.sharing import store
from bot.safety import care

_IDENTIFYING = (
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("a phone number", re.compile(r"(?<!\w)\+?\d(?:[\s().-]?\d){6,}(?!\w)")),
    ("a link", re.compile(r"(?i)\bhttps?://|\bwww\.|\b[\w-]+\.(?:com|org|net|io|me|co|de|uk)\b")),
    ("a mention of someone", re.compile(r"(?<![\w.])@\w|<@[!&]?\d+>")),
)


def identifying_details(text: str) -> list[str]:
    """What in `text` might identify its author or someone else."""
    return [what for what, pattern in _IDENTIFYING if pattern.search(text)]


def _blocked_term(text: str, terms: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(
        re.search(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", folded) for term in terms if term
    )


def require_unseen(req: Request, what: str) -> None:
    """Anonymous words are only taken where nobody watched them being typed."""
    if not req.event.unseen:
        raise Refusal(
            f"To keep you anonymous, please send your {what} to me in a direct message "
            "(on Discord, use the slash command: nobody sees what you type there)."
        )


async def check_length(req: Request, kind: str, text: str, crisis: object) -> None:
    """Refuse what is too long; words that sounded like a crisis still get resources."""
    limit = req.community.sharing.max_length
    noun = "share" if kind == "share" else "reply"
    if len(text) > limit:
        raise Refusal(
            f"That {noun} is {len(text)} characters; the limit here is {limit}. "
            "Nothing was posted — could you shorten it a little?",
            also=(await care.care_message(req),) if crisis else (),
        )


async def check_posting_rules(req: Request, kind: str, text: str) -> None:
    """Refuse what this community does not post: blocked terms, a blocked author,
    too soon after the last one. (A possible crisis skips these: it is held for
    moderators whatever they say, so nobody in crisis is turned away.)"""
    sharing = req.community.sharing
    noun = "share" if kind == "share" else "reply"
    if _blocked_term(text, sharing.blocked_terms):
        raise Refusal(
            f"Your {noun} contains words this community has asked not to be posted, so it "
            "wasn't. You're welcome to rephrase it."
        )
    member = req.event.member
    if await store.active_block(req.tx, req.vault, req.community.name, member, req.now):
        raise Refusal(
            "A moderator has paused your sharing in this community, so this wasn't posted. "
            "Everything else — check-ins, support, resources — still works."
        )
    left = await ratelimits.seconds_left(
        req.tx, req.vault, kind, req.community.name, member, req.now
    )
    if left:
        minutes = max(1, round(left / 60))
        raise Refusal(
            f"You can post another {noun} in about {minutes} minute{'s' if minutes != 1 else ''}. "
            "Nothing was posted; take your time."
        )
