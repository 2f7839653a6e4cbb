"""Check-ins in `mydata export`; `mydata delete` needs nothing more here, since every
check-in table cascades with the member's row."""

from __future__ import annotations

from typing import Any

from bot.localtime import from_epoch
from bot.requests import Request
from bot.vault import CHECKIN_NOTE

#: the schedule's days as the export names them (Monday is bit 0, bot/localtime.py)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day_names(mask: int) -> list[str]:
    """A schedule's days bitmask → `["monday", "wednesday"]`, readable in the export."""
    return [name for bit, name in enumerate(WEEKDAYS) if mask & (1 << bit)]


def _when(seconds: int | None) -> str | None:
    return None if seconds is None else from_epoch(seconds).isoformat()


async def export(req: Request) -> dict[str, Any]:
    tx, member_id = req.tx, req.member.id
    checkins = []
    for row in await tx.fetch("SELECT * FROM checkins WHERE member_id = $1 ORDER BY id", member_id):
        note = req.vault.open(CHECKIN_NOTE, row["id"], row["note"]) if row["note"] else None
        checkins.append(
            {
                "community": row["community"],
                "mood": row["mood"],
                "note": note,
                "tags": row["tags"].split(),
                "day": row["local_date"],
            }
        )
    schedules = [
        {
            "community": r["community"],
            "time": r["prompt_time"],
            "days": day_names(r["days"]),
            "next_prompt_at": _when(r["next_prompt_at"]),
            "snoozed_until": _when(r["snooze_until"]),
        }
        for r in await tx.fetch("SELECT * FROM schedules WHERE member_id = $1", member_id)
    ]
    breaks = [
        {
            "community": r["community"],
            "kind": r["kind"],
            "from": r["start_date"],
            "to": r["end_date"],
        }
        for r in await tx.fetch("SELECT * FROM checkin_breaks WHERE member_id = $1", member_id)
    ]
    prompts = [
        {
            "community": r["community"],
            "day": r["local_date"],
            "time": r["prompt_time"],
            "outcome": r["outcome"],
        }
        for r in await tx.fetch("SELECT * FROM prompt_slots WHERE member_id = $1", member_id)
    ]
    # The streak as kept at the last check-in day (bot/features/checkins/streaks.py).
    streaks = [
        {"community": r["community"], "last_day": r["last_day"], "days": r["length"]}
        for r in await tx.fetch("SELECT * FROM checkin_streaks WHERE member_id = $1", member_id)
    ]
    return {
        "checkins": checkins,
        "checkin_streaks": streaks,
        "checkin_schedules": schedules,
        "checkin_pauses_and_skips": breaks,
        "checkin_prompts": prompts,
    }
