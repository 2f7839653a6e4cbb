"""The buddies' part of `mydata export` and `mydata delete`."""

from __future__ import annotations

from typing import Any

from bot.features.buddies import flow, store
from bot.localtime import from_epoch
from bot.requests import Request


def _day(seconds: int | None) -> str | None:
    return None if seconds is None else from_epoch(seconds).date().isoformat()


async def export(req: Request) -> dict[str, Any]:
    """What the member chose and how it stands; of a buddy, nothing but that there is
    one (their name is theirs)."""
    found = []
    for membership in await store.memberships_of(req.tx, req.vault, req.member.id):
        pair = await store.open_pair(req.tx, req.vault, req.member.id, membership.community)
        found.append(
            {
                "community": membership.community,
                "interests": list(membership.tags),
                "state": membership.state,
                "joined_on": _day(membership.joined_on),
                "pairing": None
                if pair is None
                else {
                    "status": pair.status,
                    "you_accepted": pair.accepted_by(req.member.id),
                    "interest_shared": pair.tag,
                    "reminders": pair.cadence,
                    "formed_on": _day(pair.formed_on),
                    "you_said_they_went_quiet": pair.quiet_asker == req.member.id,
                },
                "next_reminder_at": membership.next_reminder_at.isoformat()
                if membership.next_reminder_at
                else None,
                "reminders_this_week": membership.budget_used,
                "last_reached_out_on": _day(membership.reached_on),
            }
        )
    return {
        "buddies": found,
        # Whom you were paired with is kept only as a code only that person's own
        # secret makes: here, how many.
        "buddies_met_before": await store.met_count(req.tx, req.member.id),
    }


async def erase(req: Request) -> None:
    """End every pairing gently (the other is told, without reasons) before the
    rows go with the member's (ON DELETE CASCADE)."""
    for membership in await store.memberships_of(req.tx, req.vault, req.member.id):
        community = req.config.community(membership.community)
        pair = await store.open_pair(req.tx, req.vault, req.member.id, membership.community)
        if community is None or pair is None:
            continue
        told = "buddies.ended_for_you" if pair.status == store.PAIRED else "buddies.fell_through"
        await flow.end(
            req.tx, req.vault, community, pair, req.now, by=req.member, told=told, leaving=True
        )
