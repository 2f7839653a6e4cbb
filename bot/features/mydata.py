"""`mydata export` and `mydata delete`: a member's data rights (SPEC §2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot import adapter_store, audit, members, outbox, slot_counts
from bot.direct import DirectReply
from bot.feature import Feature, Wiring
from bot.localtime import from_epoch
from bot.port import Attachment, Choice, Command, Group, Message, Option, Words
from bot.requests import Refusal, Request, Router

USAGE = "mydata.usage"  # catalogue ids: `help` renders them


def register(router: Router, wiring: Wiring) -> None:
    parts = wiring.data_parts

    async def mydata(req: Request) -> None:
        action = req.args.word(0)
        if action == "export":
            await export(req, parts)
        elif action == "delete":
            await delete(req, parts, confirmed=req.args.word(1) == "confirm")
        else:
            raise Refusal(req.t("mydata.unknown_action"))

    router.add("mydata", mydata, USAGE, "mydata.summary")


COMMANDS = (
    Command(("mydata", "export"), Words("discord.command_mydata_export")),
    Command(
        ("mydata", "delete"),
        Words("discord.command_mydata_delete"),
        (Option("confirm", Words("discord.option_mydata_delete_confirm"), bool, flag="confirm"),),
    ),
)

FEATURE = Feature(
    "mydata",
    handlers=register,
    commands=lambda config: COMMANDS,
    groups=(Group("mydata", Words("discord.group_mydata")),),
)


def _day(seconds: int | None) -> str | None:
    """A time kept only to the day (bot/localtime.day_floor)."""
    return None if seconds is None else from_epoch(seconds).date().isoformat()


async def collect(req: Request, parts: Sequence[Feature]) -> dict[str, Any]:
    """Everything stored about this member, decrypted for them, and nothing about anyone
    else: the member's own row and messages here, each feature's part from the feature."""
    tx, member_id = req.tx, req.member.id
    member = await tx.fetchrow("SELECT * FROM members WHERE id = $1", member_id)
    data: dict[str, Any] = {
        "exported_at": req.now.isoformat(),
        "member": {
            "platform": member["platform"],
            "user_id": req.member.user_id,
            "timezone": member["timezone"],
            "quiet_hours": f"{member['quiet_start']}-{member['quiet_end']}"
            if member["quiet_start"]
            else None,
            "unreachable_since": _day(member["unreachable_at"]),
            # the language Hearth speaks to them (None: the community's), and whether
            # they chose it (`language`) or their app's locale said it
            "language": member["language"],
            "language_chosen": bool(member["language_chosen"]),
            # the last name the platform showed others, kept for named celebrations
            "display_name": await members.display_name(tx, req.vault, member_id),
            # what the platform's adapter keeps for them: their DM room or channel
            "platform_state": await adapter_store.member_values(tx, req.vault, member_id),
        },
        "messages_to_you": [
            {"status": status, "queued_on": _day(created_at), "text": text}
            for status, created_at, text in await outbox.messages_to(tx, req.vault, member_id)
        ],
    }
    for feature in parts:
        if feature.export is not None:
            data.update(await feature.export(req))
    # Kept after `mydata delete`: a moderator stays accountable for what they did.
    data["your_moderator_actions"] = await audit.export(
        tx,
        req.vault,
        req.member.member,
        (c.name for c in req.config.communities_on(member["platform"])),
    )
    return data


async def export(req: Request, parts: Sequence[Feature]) -> None:
    data = json.dumps(await collect(req, parts), ensure_ascii=False, indent=2).encode("utf-8")
    # By DM (SPEC §2), wherever it was asked for: a file in a channel, even one only
    # the member sees, is a file on a screen others may be looking at.
    req.replies.append(
        DirectReply(
            req.plural("mydata.exported", len(data)),
            attachment=Attachment("hearth-mydata.json", data, req.t("mydata.export_description")),
            instead=req.t("mydata.sent_by_dm"),
            undelivered=req.t("mydata.dm_failed"),
        )
    )


async def delete(req: Request, parts: Sequence[Feature], *, confirmed: bool) -> None:
    if not confirmed:
        req.replies.append(
            Message(
                req.t("mydata.delete_warning"),
                choices=(Choice(req.t("mydata.delete_choice"), "mydata delete confirm", "🗑️"),),
            )
        )
        return
    # Every table that refers to a member does so with ON DELETE CASCADE; what holds
    # only a token of theirs, each feature erases itself.
    for feature in parts:
        if feature.erase is not None:
            await feature.erase(req)
    # Relays to their anonymous posts name them only inside the sealed body.
    await outbox.erase_dms_to(req.tx, req.vault, req.member.dm)
    # Their prompts leave the delivery counts with them (bot/slot_counts.py).
    await slot_counts.leave(req.tx, "s.member_id = $1", req.member.id)
    await req.tx.execute("DELETE FROM members WHERE id = $1", req.member.id)
    req.erased = True
    req.say(req.t("mydata.deleted"))
