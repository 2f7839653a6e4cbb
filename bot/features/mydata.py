"""`mydata export` and `mydata delete`: a member's data rights (SPEC §2)."""

from __future__ import annotations

import json
from typing import Any

from bot import outbox
from bot.commands import Refusal, Request, Router
from bot.features.milestones import rights as milestone_rights
from bot.features.moderation_tools import audit as moderation_audit
from bot.features.sharing import erasure as sharing_erasure
from bot.localtime import from_epoch
from bot.port import Attachment, Choice, Message
from bot.vault import CHECKIN_NOTE

USAGE = (
    "mydata export — everything Hearth holds about you, as a file\n"
    "mydata delete — erase it all (asks you to confirm first)"
)


def register(router: Router) -> None:
    router.add("mydata", mydata, USAGE, "export or delete your data")


async def mydata(req: Request) -> None:
    action = req.args.word(0)
    if action == "export":
        await export(req)
    elif action == "delete":
        await delete(req, confirmed=req.args.word(1) == "confirm")
    else:
        raise Refusal("Use `mydata export` or `mydata delete`.")


def _when(seconds: int | None) -> str | None:
    return None if seconds is None else from_epoch(seconds).isoformat()


def _day(seconds: int | None) -> str | None:
    """A time kept only to the day (bot/localtime.day_floor)."""
    return None if seconds is None else from_epoch(seconds).date().isoformat()


async def collect(req: Request) -> dict[str, Any]:
    """Everything stored about this member, decrypted for them, and nothing about anyone else."""
    tx, member_id = req.tx, req.member.id
    member = await tx.fetchrow("SELECT * FROM members WHERE id = $1", member_id)
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
            "days": r["days"],
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
    messages = [
        {"status": status, "queued_on": _day(created_at), "text": text}
        for status, created_at, text in await outbox.messages_to(tx, req.vault, member_id)
    ]
    care = [
        r["local_date"]
        for r in await tx.fetch(
            "SELECT local_date FROM care_notices WHERE member_id = $1", member_id
        )
    ]
    contact = [
        _when(r["requested_at"])
        for r in await tx.fetch(
            "SELECT requested_at FROM contact_requests WHERE member_id = $1", member_id
        )
    ]
    return {
        "exported_at": req.now.isoformat(),
        "member": {
            "platform": member["platform"],
            "user_id": req.member.user_id,
            "timezone": member["timezone"],
            "quiet_hours": f"{member['quiet_start']}-{member['quiet_end']}"
            if member["quiet_start"]
            else None,
            "unreachable_since": _day(member["unreachable_at"]),
        },
        "checkins": checkins,
        "checkin_schedules": schedules,
        "checkin_pauses_and_skips": breaks,
        "checkin_prompts": prompts,
        "messages_to_you": messages,
        "support_notes_sent_on": care,
        "moderator_contact_requests": contact,
        **await sharing_erasure.export(req),
        "milestones_and_celebrations": await milestone_rights.export(req),
        # Kept after `mydata delete`: a moderator stays accountable for what they did.
        "your_moderator_actions": await moderation_audit.export(
            tx,
            req.vault,
            req.member.member,
            (c.name for c in req.config.communities_on(member["platform"])),
        ),
    }


async def export(req: Request) -> None:
    data = json.dumps(await collect(req), ensure_ascii=False, indent=2).encode("utf-8")
    count = len(data)
    req.say(
        f"Here is everything Hearth holds about you ({count:,} bytes of JSON). "
        "Keep it somewhere safe: it includes your private notes.",
        attachment=Attachment("hearth-mydata.json", data, "your Hearth data"),
    )


async def delete(req: Request, *, confirmed: bool) -> None:
    if not confirmed:
        req.replies.append(
            Message(
                "This erases everything Hearth holds about you: check-ins and notes, reminders, "
                "milestones, history. It cannot be undone. `mydata export` first if you'd like "
                "a copy.",
                choices=(Choice("Yes, delete everything", "mydata delete confirm", "🗑️"),),
            )
        )
        return
    # Every table that refers to a member does so with ON DELETE CASCADE.
    await sharing_erasure.erase(req)
    await milestone_rights.erase(req)
    # Relays to their anonymous posts name them only inside the sealed body.
    await outbox.erase_dms_to(req.tx, req.vault, req.member.dm)
    await req.tx.execute("DELETE FROM members WHERE id = $1", req.member.id)
    req.erased = True
    req.say(
        "Done. Everything Hearth held about you is erased. If you come back, you start "
        "fresh. Take good care 💛"
    )
