"""Milestones and celebrations in `mydata export` and `mydata delete`.

Counters, runs, streak marks and named celebrations cascade with the member's
row. Anonymous celebrations and cheers hold only pseudonyms, so they are
found by recomputing the member's pseudonyms for each community.
"""

from __future__ import annotations

from typing import Any

from bot import outbox
from bot.anonymity import author_key
from bot.commands import Request
from bot.features.milestones.celebrations import cheer_key
from bot.localtime import from_epoch
from bot.port import Place


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
    await req.tx.execute("UPDATE outbox SET member_id = NULL WHERE idempotency_key = $1", key)
    place = Place.channel(community.platform, community.channels.celebrations)
    await outbox.enqueue_delete(req.tx, req.vault, f"takedown:{key}", place, key, req.now)


async def export(req: Request) -> dict[str, Any]:
    tx, member = req.tx, req.member
    counters = []
    for row in await tx.fetch(
        "SELECT * FROM milestone_counters WHERE member_id = $1 ORDER BY id", member.id
    ):
        runs = await tx.fetch(
            "SELECT * FROM milestone_runs WHERE counter_id = $1 ORDER BY attempt", row["id"]
        )
        counters.append(
            {
                "community": row["community"],
                "name": row["name"],
                "since": row["start_date"],
                "visibility": row["visibility"],
                "attempt": row["attempt"],
                "celebrated_up_to_days": row["celebrated_days"],
                "earlier_runs": [
                    {"from": r["start_date"], "to": r["end_date"], "days": r["days"]} for r in runs
                ],
            }
        )
    streaks = [
        {
            "community": r["community"],
            "visibility": r["visibility"],
            "celebrated_up_to_days": r["celebrated_days"],
        }
        for r in await tx.fetch("SELECT * FROM streak_milestones WHERE member_id = $1", member.id)
    ]
    celebrations = []
    cheered = []
    for community in await _communities(req):
        for row in await tx.fetch(
            "SELECT * FROM celebrations WHERE community = $1 AND (member_id = $2 "
            "OR author_key = $3) ORDER BY number",
            community,
            member.id,
            author_key(req.vault, community, member.member),
        ):
            celebrations.append(
                {
                    "community": community,
                    "number": row["number"],
                    "kind": row["kind"],
                    "anonymous": row["member_id"] is None,
                    "posted_at": from_epoch(row["posted_at"]).isoformat(),
                }
            )
        for row in await tx.fetch(
            "SELECT number FROM celebration_cheers JOIN celebrations "
            "ON celebrations.id = celebration_cheers.celebration_id "
            "WHERE community = $1 AND cheerer_key = $2 ORDER BY number",
            community,
            cheer_key(req.vault, community, member.member),
        ):
            cheered.append({"community": community, "number": row["number"]})
    return {
        "counters": counters,
        "checkin_streak_milestones": streaks,
        "celebrations": celebrations,
        "cheers_given": cheered,
    }


async def erase(req: Request) -> None:
    """Take the member's celebration posts down, then remove what cascading from
    the member's row cannot reach: rows under their pseudonyms."""
    for row in await req.tx.fetch(
        "SELECT community, number FROM celebrations WHERE member_id = $1", req.member.id
    ):
        await _take_down(req, row["community"], row["number"])
    for community in await _communities(req):
        for row in await req.tx.fetch(
            "SELECT number FROM celebrations WHERE community = $1 AND author_key = $2",
            community,
            author_key(req.vault, community, req.member.member),
        ):
            await _take_down(req, community, row["number"])
        await req.tx.execute(
            "DELETE FROM celebration_cheers WHERE cheerer_key = $1",
            cheer_key(req.vault, community, req.member.member),
        )
        await req.tx.execute(
            "DELETE FROM celebrations WHERE community = $1 AND author_key = $2",
            community,
            author_key(req.vault, community, req.member.member),
        )
