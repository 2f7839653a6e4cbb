"""Milestones and celebrations in `mydata export` and `mydata delete`.

Counters, runs, streak marks and named celebrations cascade with the member's
row. Anonymous celebrations and cheers hold only owner tokens (bot/anonymity.py),
so they are found by recomputing the member's tokens in each community.
"""

from __future__ import annotations

import json
from typing import Any

from bot import outbox
from bot.anonymity import own_tokens, target_token
from bot.features.milestones import counters as counter_store
from bot.features.milestones import streaks as streak_store
from bot.localtime import from_epoch
from bot.port import Place
from bot.requests import Request
from bot.vault import CELEBRATION_BODY, CELEBRATION_KIND, STREAK_STATE


async def _communities(req: Request) -> list[str]:
    """Every community with celebrations, whether or not it is still configured."""
    rows = await req.tx.fetch("SELECT DISTINCT community FROM celebrations ORDER BY community")
    return [r["community"] for r in rows]


async def _take_down(req: Request, community_name: str, number: int) -> None:
    community = req.config.community(community_name)
    if community is None or not community.channels.celebrations:
        return
    key = f"celebration:{community_name}:{number}"
    # Keep the post's outbox row past the member's deletion: the take-down needs its id.
    await outbox.forget_member(req.tx, req.vault, key)
    place = Place.channel(community.platform, community.channels.celebrations)
    await outbox.enqueue_delete(req.tx, req.vault, f"takedown:{key}", place, key, req.now)


async def export(req: Request) -> dict[str, Any]:
    tx, member = req.tx, req.member
    counters = []
    rows = await tx.fetch(
        "SELECT DISTINCT community FROM milestone_counters WHERE member_id = $1", member.id
    )
    for community_row in rows:
        for counter in await counter_store.of_member(
            tx, req.vault, member.id, community_row["community"]
        ):
            counters.append(
                {
                    "community": counter.community,
                    "name": counter.name,
                    "since": counter.start.isoformat(),
                    "visibility": counter.visibility,
                    "attempt": counter.attempt,
                    "celebrated_up_to_days": counter.celebrated_days,
                    "earlier_runs": [
                        {"from": r.start.isoformat(), "to": r.end.isoformat(), "days": r.days}
                        for r in counter.runs
                    ],
                }
            )
    streaks = []
    for row in await tx.fetch(
        "SELECT member_id, community, state FROM streak_milestones WHERE member_id = $1",
        member.id,
    ):
        state = json.loads(
            req.vault.open(
                STREAK_STATE, streak_store.row_key(row["member_id"], row["community"]), row["state"]
            )
        )
        streaks.append(
            {
                "community": row["community"],
                "visibility": state["visibility"],
                "celebrated_up_to_days": state["celebrated_days"],
            }
        )
    celebrations = []
    cheered = []
    for community in await _communities(req):
        for row in await _celebrations_of(req, community):
            celebrations.append(
                {
                    "community": community,
                    "number": row["number"],
                    "kind": req.vault.open(CELEBRATION_KIND, row["id"], row["kind"]),
                    "anonymous": row["member_id"] is None,
                    # held (waiting for a moderator), posted or rejected
                    "status": row["status"],
                    "words_while_held": req.vault.open(CELEBRATION_BODY, row["id"], row["body"])
                    if row["body"]
                    else None,
                    "posted_on": _local_day(req, community, row["posted_at"]),
                }
            )
        for row in await _cheers_of(req, community):
            cheered.append({"community": community, "number": row["number"]})
    return {
        "counters": counters,
        "checkin_streak_milestones": streaks,
        "celebrations": celebrations,
        "cheers_given": cheered,
    }


def _local_day(req: Request, community_name: str, seconds: int) -> str:
    """A day kept as the community's midnight (bot/localtime.day_floor), as a date."""
    community = req.config.community(community_name)
    moment = from_epoch(seconds)
    return (moment.astimezone(community.zone) if community else moment).date().isoformat()


async def _celebrations_of(req: Request, community: str) -> list[Any]:
    """The member's celebrations in `community`: named, and anonymous by token."""
    named = await req.tx.fetch(
        "SELECT * FROM celebrations WHERE community = $1 AND member_id = $2",
        community,
        req.member.id,
    )
    anonymous = []
    for token in await own_tokens(
        req.tx, "celebrations", req.member.secret, "celebration", community
    ):
        anonymous += await req.tx.fetch("SELECT * FROM celebrations WHERE owner = $1", token)
    return sorted([*named, *anonymous], key=lambda row: row["number"])


async def _cheers_of(req: Request, community: str) -> list[Any]:
    rows = await req.tx.fetch(
        "SELECT c.id, c.number, h.cheerer_key FROM celebration_cheers h "
        "JOIN celebrations c ON c.id = h.celebration_id WHERE c.community = $1 ORDER BY c.number",
        community,
    )
    secret = req.member.secret
    return [r for r in rows if r["cheerer_key"] == target_token(secret, "cheer", r["id"])]


async def erase(req: Request) -> None:
    """Take the member's celebration posts down, then remove what cascading from
    the member's row cannot reach: rows under their tokens."""
    for row in await req.tx.fetch(
        "SELECT community, number FROM celebrations WHERE member_id = $1 AND status = 'posted'",
        req.member.id,
    ):
        await _take_down(req, row["community"], row["number"])
    for community in await _communities(req):
        for row in await _celebrations_of(req, community):
            if row["member_id"] is None:
                if row["status"] == "posted":
                    await _take_down(req, community, row["number"])
                await req.tx.execute("DELETE FROM celebrations WHERE id = $1", row["id"])
        for row in await _cheers_of(req, community):
            await req.tx.execute(
                "DELETE FROM celebration_cheers WHERE celebration_id = $1 AND cheerer_key = $2",
                row["id"],
                row["cheerer_key"],
            )
