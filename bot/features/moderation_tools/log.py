"""`mod log`: the last moderator actions, newest first, with who took them (bot/audit.py
keeps the log; nothing in it names the author of anything anonymous)."""

from __future__ import annotations

from typing import Any

from bot.anonymity import open_member
from bot.localtime import format_hhmm, from_epoch
from bot.requests import Args, Refusal, Request
from bot.texts import ENGLISH, day_short, text
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
        raise Refusal(req.t("mod.log_count_refusal", most=LOG_MAX, default=LOG_DEFAULT))
    community = req.community
    rows = await req.tx.fetch(
        "SELECT id, moderator, action, share_number, detail, created_at FROM moderation_log "
        "WHERE community = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        community.name,
        count,
    )
    days = community.moderation.log_days
    if not rows:
        req.say(req.t("mod.log_empty", community=community.name, days=days))
        return
    zone_name = req.member.timezone or community.checkins.default_timezone
    zone = req.member.zone(community.checkins.default_timezone)
    lines = [
        req.plural("mod.log_header", len(rows), community=community.name, zone=zone_name, days=days)
    ]
    for row in rows:
        when = from_epoch(row["created_at"]).astimezone(zone)
        moderator = open_member(req.vault, MODERATOR_IDENTITY, row["id"], row["moderator"])
        name = moderator.user_id if moderator else req.t("mod.log_unknown_moderator")
        entry = req.t(
            "mod.log_entry",
            day=day_short(when.date(), req.locale),
            time=format_hhmm(when.time()),
            moderator=name,
            action=_describe(row, req.locale),
        )
        lines.append(entry)
    req.say("\n".join(lines))


def _describe(row: Any, locale: str = ENGLISH) -> str:
    action, number, detail = row["action"], row["share_number"], row["detail"] or ""
    target = text("mod.log_share", locale, number=number)
    if detail.startswith("reply ") and action in ("approve", "reject", "remove"):
        target = text("mod.log_reply", locale, number=detail[len("reply ") :])
        detail = ""
    if action == "approve":
        return text("mod.log_approved", locale, target=target)
    if action == "reject" and detail:
        return text("mod.log_rejected_note", locale, target=target, note=_short(detail))
    if action == "reject":
        return text("mod.log_rejected", locale, target=target)
    if action == "remove":
        return text("mod.log_removed", locale, target=target)
    if action == "block":
        return text("mod.log_blocked", locale, target=target, block=detail)
    if action == "unblock":
        return text("mod.log_unblocked", locale, block=detail)
    if action == "take":  # a crisis alert (bot/safety/alerts.py): "a3", or "a3 late"
        alert, _, late = detail.partition(" ")
        return text("alerts.log_taken_late" if late else "alerts.log_taken", locale, alert=alert)
    if action == "reload" and detail:
        return text("mod.log_reloaded_detail", locale, detail=_short(detail))
    if action == "reload":
        return text("mod.log_reloaded", locale)
    # An action this version does not know (a newer one's): its own word, as stored.
    note = f" — “{_short(detail)}”" if detail else ""
    return f"{action} {target if number is not None else ''}{note}".rstrip()


def _short(text: str) -> str:
    return text if len(text) <= DETAIL_SHOWN else text[: DETAIL_SHOWN - 1] + "…"
