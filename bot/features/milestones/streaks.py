"""Check-in streak milestones, celebrated right in the answer to a check-in.

One row per member and community keeps the high-water mark of the current
streak run. A new run (the streak fell back) starts from zero again, so a
fresh 7-day streak is worth celebrating too; within a run each threshold is
celebrated once, and only the highest newly reached one.

The row is sealed (`state`): how the member celebrates, the mark, and the
first day of the run it belongs to, so a copy of the database cannot point at
the row an anonymous streak celebration came from. It is written only when one
of those changes (a new run, a celebration, a new choice), not at every
check-in: a check-in costs one read of it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.events import CheckinSaved
from bot.features.milestones import celebrations
from bot.features.milestones.thresholds import highest_reached
from bot.requests import Request
from bot.texts import plural
from bot.vault import STREAK_STATE

STREAK = "streak"  # the name `milestone visibility streak …` uses
_FRESH = {"visibility": "private", "celebrated_days": 0, "run_start": None}


async def _load(req: Request) -> dict[str, Any] | None:
    sealed = await req.tx.fetchval(
        "SELECT state FROM streak_milestones WHERE member_id = $1 AND community = $2",
        req.member.id,
        req.community.name,
    )
    if sealed is None:
        return None
    return json.loads(req.vault.open(STREAK_STATE, _row_key(req), sealed))


def row_key(member_id: int, community: str) -> str:
    """What a streak row's sealed state is bound to (bot/vault.STREAK_STATE)."""
    return f"{member_id}:{community}"


def _row_key(req: Request) -> str:
    return row_key(req.member.id, req.community.name)


async def _store(req: Request, state: dict[str, Any]) -> None:
    await req.tx.execute(
        "INSERT INTO streak_milestones (member_id, community, state) VALUES ($1, $2, $3) "
        "ON CONFLICT (member_id, community) DO UPDATE SET state = excluded.state",
        req.member.id,
        req.community.name,
        req.vault.seal(STREAK_STATE, _row_key(req), json.dumps(state)),
    )


async def visibility(req: Request) -> str:
    state = await _load(req)
    return state["visibility"] if state else "private"


async def set_visibility(req: Request, choice: str) -> None:
    state = await _load(req) or dict(_FRESH)
    await _store(req, {**state, "visibility": choice})


async def state_of(req: Request) -> dict[str, Any] | None:
    """For the member's export."""
    return await _load(req)


async def on_checkin(req: Request, event: CheckinSaved) -> None:
    """Every check-in (a core event) with the member's streak for its day.

    In a hard moment (a crisis note, a very low mood) nothing is celebrated:
    the mark stays, and the next check-in celebrates what was reached."""
    await celebrations.remember_name(req)
    community = req.community
    day, streak, hard_moment = event.day, event.streak, event.hard_moment
    reached = highest_reached(streak, community.milestones.streaks, yearly=False)
    if not reached:
        return  # nothing to celebrate yet; a mark from an earlier run is reset when read
    stored = await _load(req)
    state = dict(stored or _FRESH)
    visibility_choice, mark = state["visibility"], state["celebrated_days"]
    run_start = (day - timedelta(days=max(streak, 1) - 1)).isoformat()
    # A run that began after the one the mark belongs to: the streak broke, start again.
    # (One that began earlier is the same run, reaching back: a late check-in.)
    if state["run_start"] is None or run_start > state["run_start"]:
        mark, state["run_start"] = 0, run_start
    elif run_start < state["run_start"]:
        state["run_start"] = run_start
    celebrate = reached > mark and not hard_moment
    if celebrate:
        mark = reached
    state["celebrated_days"] = mark
    if state != stored:
        await _store(req, state)
    if not celebrate:
        return
    said = req.plural("milestones.streak_reached", reached)
    if visibility_choice != "private":
        anonymous = visibility_choice == "anonymous"
        lang = community.language  # a channel post: the community's language
        name = None if anonymous else await celebrations.public_name(req.tx, req.vault, req.member)
        if anonymous:
            post = plural("milestones.streak_post_anonymous", reached, lang)
        elif name:
            post = plural("milestones.streak_post_named", reached, lang, name=name)
        else:
            post = plural("milestones.streak_post_unnamed", reached, lang)
        number = await celebrations.post(
            req.tx,
            req.vault,
            community,
            req.member,
            anonymous=anonymous,
            kind="streak",
            text=post,
            now=req.now,
        )
        if number is not None:
            said = f"{said} {celebrations.shared_note(anonymous, req.locale)}"
    req.say(said)
