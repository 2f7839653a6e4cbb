"""`mod log`: the last moderator actions, newest first, with who took them (bot/audit.py
keeps the log; nothing in it names the author of anything anonymous)."""

from __future__ import annotations

from typing import Any

from bot.anonymity import open_member
from bot.commands import Args, Refusal, Request
from bot.localtime import from_epoch
from bot.vault import MODERATOR_IDENTITY

LOG_DEFAULT = 20
LOG_MAX = 100
DETAIL_SHOWN = 80  # characters of a note shown in the log


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
