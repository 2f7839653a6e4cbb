"""The moderators' audit log (`mod log`): who took which action, when, on which
share number. It never holds or shows the author of anything anonymous, and
it is purged after `moderation.log_days` (bot/housekeeping.py).

The moderator is sealed (shown to fellow moderators, never readable from a
copy of the database) and found for their own export by a keyed hash."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.anonymity import open_member, seal_member
from bot.commands import Args, Refusal, Request
from bot.localtime import epoch, from_epoch
from bot.port import Member
from bot.storage import Transaction
from bot.vault import MODERATOR_IDENTITY, Vault

LOG_DEFAULT = 20
LOG_MAX = 100
#: who a reload by signal is recorded as: the operator, who holds the file
OPERATOR = "(operator)"
OPERATOR_MEMBER = Member("operator", OPERATOR)
DETAIL_SHOWN = 80  # characters of a note shown in the log


def moderator_key(vault: Vault, moderator: Member | None) -> str:
    who = ("operator",) if moderator is None else (moderator.platform, moderator.user_id)
    return vault.lookup("moderator", *who)


async def record(
    tx: Transaction,
    vault: Vault,
    community: str,
    moderator: Member | None,
    action: str,
    share_number: int | None,
    detail: str,
    now: datetime,
) -> None:
    """Write one entry; `detail` is a block id, a reply label, a moderator's note or
    the key paths a reload changed — never anything about an author. `moderator`
    None is the operator (a reload by signal)."""
    entry_id = await tx.fetchval(
        "INSERT INTO moderation_log (community, moderator, moderator_key, action, "
        "share_number, detail, created_at) VALUES ($1, '', $2, $3, $4, $5, $6) RETURNING id",
        community,
        moderator_key(vault, moderator),
        action,
        share_number,
        detail or None,
        epoch(now),
    )
    await tx.execute(
        "UPDATE moderation_log SET moderator = $1 WHERE id = $2",
        seal_member(vault, MODERATOR_IDENTITY, entry_id, moderator or OPERATOR_MEMBER),
        entry_id,
    )


async def show_log(req: Request, args: Args) -> None:
    word = args.word(0)
    if word is None:
        count = LOG_DEFAULT
    elif word.isdecimal() and 1 <= int(word) <= LOG_MAX:
        count = int(word)
    else:
        raise Refusal(
            f"`mod log N`: how many entries, from 1 to {LOG_MAX} ({LOG_DEFAULT} if left out)."
        )
    community = req.community
    rows = await req.tx.fetch(
        "SELECT id, moderator, action, share_number, detail, created_at FROM moderation_log "
        "WHERE community = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        community.name,
        count,
    )
    days = community.moderation.log_days
    if not rows:
        req.say(f"No moderator actions in {community.name} in the last {days} days.")
        return
    zone_name = req.member.timezone or community.checkins.default_timezone
    zone = req.member.zone(community.checkins.default_timezone)
    lines = [
        f"The last {len(rows)} moderator action{'s' if len(rows) != 1 else ''} in "
        f"{community.name}, newest first (times in {zone_name}; kept {days} days):"
    ]
    for row in rows:
        when = from_epoch(row["created_at"]).astimezone(zone).strftime("%a %d %b %H:%M")
        moderator = open_member(req.vault, MODERATOR_IDENTITY, row["id"], row["moderator"])
        name = moderator.user_id if moderator else "(unknown)"
        lines.append(f"• {when} — {name} {_describe(row)}")
    req.say("\n".join(lines))


def _describe(row: Any) -> str:
    action, number, detail = row["action"], row["share_number"], row["detail"] or ""
    target = f"share #{number}"
    if detail.startswith("reply ") and action in ("approve", "reject", "remove"):
        target, detail = f"reply #{detail[len('reply ') :]}", ""
    note = f" — “{_short(detail)}”" if detail else ""
    if action == "approve":
        return f"approved {target}"
    if action == "reject":
        return f"rejected {target}{note}"
    if action == "remove":
        return f"took down {target}"
    if action == "block":
        return f"blocked the author of {target} ({detail})"
    if action == "unblock":
        return f"lifted block {detail}"
    if action == "reload":
        return "reloaded the configuration" + (f": {_short(detail)}" if detail else "")
    return f"{action} {target if number is not None else ''}{note}".rstrip()


def _short(text: str) -> str:
    return text if len(text) <= DETAIL_SHOWN else text[: DETAIL_SHOWN - 1] + "…"


async def export(
    tx: Transaction, vault: Vault, moderator: Member, communities: Iterable[str]
) -> list[dict[str, Any]]:
    """A moderator's own entries, for `mydata export`. `mydata delete` leaves them:
    moderators stay accountable for what they did (the privacy card says so)."""
    names = set(communities)
    rows = await tx.fetch(
        "SELECT community, action, share_number, detail, created_at FROM moderation_log "
        "WHERE moderator_key = $1 ORDER BY id",
        moderator_key(vault, moderator),
    )
    return [
        {
            "community": row["community"],
            "action": row["action"],
            "share_number": row["share_number"],
            "detail": row["detail"],
            "at": from_epoch(row["created_at"]).isoformat(),
        }
        for row in rows
        if row["community"] in names
    ]
