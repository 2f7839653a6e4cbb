"""What a share or reply must pass before it is posted (SPEC §2): each check
says kindly what is wrong, and nothing is posted."""

from __future__ import annotations

from bot import ratelimits
from bot.blocks import active_block
from bot.requests import Refusal, Request
from bot.safety import care
from bot.safety.screening import has_blocked_term
from bot.safety.screening import identifying_details as identifying_details  # a core service


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
    if has_blocked_term(text, sharing.blocked_terms):
        raise Refusal(
            req.t("sharing.blocked_terms_share" if is_share else "sharing.blocked_terms_reply")
        )
    member = req.event.member
    if await active_block(req.tx, req.vault, req.community.name, member, req.now):
        raise Refusal(req.t("sharing.author_blocked"))
    left = await ratelimits.seconds_left(
        req.tx, req.vault, kind, req.community.name, member, req.now
    )
    if left:
        minutes = max(1, round(left / 60))
        raise Refusal(
            req.plural("sharing.cooldown_share" if is_share else "sharing.cooldown_reply", minutes)
        )
