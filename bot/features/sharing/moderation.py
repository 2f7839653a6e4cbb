"""`mod …`: moderators vet, remove and block without ever learning who wrote
what. Every action is logged with the moderator who took it, never an author."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from bot import audit
from bot.anonymity import seal_member
from bot.feature import Wiring
from bot.features.sharing import posts, store
from bot.features.sharing.handlers import (
    publish_reply,
    status_word,
    take_down_reply,
    take_down_share,
)
from bot.localtime import day_floor, epoch
from bot.moderators import HeldKind
from bot.port import Message
from bot.requests import Args, Refusal, Request, preview
from bot.safety import care
from bot.texts import plural, text
from bot.vault import BLOCKED_IDENTITY, REPLY_BODY, REPORT_REASON, SHARE_BODY

BLOCK_MAX_DAYS = 3650
REASON_MAX_LENGTH = 300  # a moderator's note to the author
# Block ids are short and random, so they say nothing about whom they block.
_BLOCK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def add_to(wiring: Wiring) -> None:
    """Add the queue's subcommands to `mod`. The other features' held items
    (`wiring.held`) are reviewed in the same queue, with the same words."""
    held = wiring.held

    async def queue_all(req: Request, args: Args) -> None:
        await queue(req, args, held)

    async def approve_any(req: Request, args: Args) -> None:
        kind, number = _held_reference(args.word(0), held)
        await (kind.approve(req, number) if kind else approve(req, args))

    async def reject_any(req: Request, args: Args) -> None:
        kind, number = _held_reference(args.word(0), held)
        await (
            kind.reject(req, number, args.after(1)[:REASON_MAX_LENGTH])
            if kind
            else reject(req, args)
        )

    wiring.mod_commands.update(
        queue=queue_all,
        approve=approve_any,
        reject=reject_any,
        remove=remove,
        block=block,
        unblock=unblock,
    )
    wiring.mod_usage.append("sharing.mod_usage")  # an id: `help mod` renders it


async def log_action(req: Request, action: str, number: int | None, detail: str = "") -> None:
    await audit.record(
        req.tx, req.vault, req.community.name, req.member.member, action, number, detail, req.now
    )


async def _target(
    req: Request, word: str | None, verb: str
) -> tuple[store.Share, store.Reply | None]:
    reference = store.parse_reference(word)
    if reference is None:
        raise Refusal(req.t("sharing.mod_which", verb=verb))
    number, reply_number = reference
    share = await store.find_share(req.tx, req.vault, req.community.name, number)
    if share is None:
        raise Refusal(req.t("sharing.mod_no_share", number=number))
    if reply_number is None:
        return share, None
    found = await store.find_reply(req.tx, req.vault, share, reply_number)
    if found is None:
        raise Refusal(req.t("sharing.mod_no_reply", label=f"{number}.{reply_number}"))
    return share, found


def _held_reference(word: str | None, held: Sequence[HeldKind]) -> tuple[HeldKind | None, int]:
    """`c7` → (the celebrations' HeldKind, 7); anything else is a share's reference."""
    for kind in held:
        rest = (word or "").lower().removeprefix(kind.prefix)
        if rest != (word or "").lower() and rest.isdecimal() and rest.isascii():
            return kind, int(rest)
    return None, 0


async def queue(req: Request, args: Args, held: Sequence[HeldKind] = ()) -> None:
    name = req.community.name
    pending = await req.tx.fetch(
        "SELECT id, number, status, crisis, details, body FROM shares WHERE community = $1 "
        "AND status IN ('pending', 'held') ORDER BY number",
        name,
    )
    held_replies = await req.tx.fetch(
        "SELECT r.id, r.body, s.number, r.number AS reply FROM share_replies r "
        "JOIN shares s ON s.id = r.share_id WHERE s.community = $1 AND r.status = 'held' "
        "ORDER BY s.number, r.number",
        name,
    )
    # Only what is still up: a report on a share or reply since taken down has left.
    reports = await req.tx.fetch(
        "SELECT r.id, r.reason, r.reply_number, s.id AS share_id, s.number, s.body, "
        "p.id AS reply_id, p.body AS reply_body FROM share_reports r "
        "JOIN shares s ON s.id = r.share_id "
        "LEFT JOIN share_replies p ON p.share_id = s.id AND p.number = r.reply_number "
        "WHERE r.community = $1 AND r.status = 'open' AND s.status = 'published' "
        "AND (r.reply_number IS NULL OR p.status = 'published') ORDER BY r.id",
        name,
    )
    lines = []
    for row in pending:
        if row["crisis"]:
            line = "sharing.queue_share_held"
        elif row["details"]:
            line = "sharing.queue_share_details"
        else:
            line = "sharing.queue_share_pending"
        words = preview(req.vault.open(SHARE_BODY, row["id"], row["body"])) if row["body"] else ""
        lines.append(req.t(line, number=row["number"], words=words))
    for row in held_replies:
        label = f"{row['number']}.{row['reply']}"
        words = preview(req.vault.open(REPLY_BODY, row["id"], row["body"])) if row["body"] else ""
        lines.append(req.t("sharing.queue_reply_held", label=label, words=words))
    for row in reports:
        target = f"{row['number']}" + (f".{row['reply_number']}" if row["reply_number"] else "")
        reason = req.vault.open(REPORT_REASON, row["id"], row["reason"]) if row["reason"] else ""
        if row["reply_number"]:
            sealed, field, key = row["reply_body"], REPLY_BODY, row["reply_id"]
        else:
            sealed, field, key = row["body"], SHARE_BODY, row["share_id"]
        words = req.vault.open(field, key, sealed) if sealed else ""
        lines.append(
            req.t(
                "sharing.queue_report",
                reference=target,
                reason=preview(reason),
                words=preview(words),
            )
        )
    for kind in held:
        lines += await kind.pending(req)
    if not lines:
        req.say(req.t("sharing.queue_empty"))
        return
    req.say("\n".join([req.t("sharing.queue_heading"), *lines]))


async def approve(req: Request, args: Args) -> None:
    share, reply = await _target(req, args.word(0), "approve")
    if reply is not None:
        if reply.status != "held":
            raise Refusal(req.t("sharing.mod_reply_not_held", label=reply.label))
        await store.set_reply_status(req.tx, reply.id, "published")
        await publish_reply(
            req.tx,
            req.vault,
            req.community,
            share,
            reply,
            req.now,
        )
        await log_action(req, "approve", share.number, f"reply {reply.label}")
        await _mark_handled(req, f"reply:{reply.label}", APPROVED)
        req.say(req.t("sharing.mod_reply_posted", label=reply.label))
        return
    _require_waiting(req, share)
    await store.set_status(req.tx, share.id, "published")
    await posts.post_share(req.tx, req.vault, req.community, share, req.now)
    author = share.author(req.vault, req.now)
    locale = await posts.author_locale(req.tx, req.vault, author, req.community)
    await posts.tell_author(
        req.tx,
        req.vault,
        author,
        f"decision:{share.id}:published",
        text("sharing.approved_author", locale, number=share.number),  # the author's language
        req.now,
    )
    await log_action(req, "approve", share.number)
    await _mark_handled(req, f"share:{share.number}", APPROVED)
    req.say(req.t("sharing.mod_share_posted", number=share.number))


def _require_waiting(req: Request, share: store.Share) -> None:
    if share.status not in ("pending", "held"):
        status = status_word(req, share.status)
        raise Refusal(req.t("sharing.mod_share_not_waiting", number=share.number, status=status))


async def reject(req: Request, args: Args) -> None:
    share, reply = await _target(req, args.word(0), "reject")
    reason = as_sentence(args.after(1)[:REASON_MAX_LENGTH])
    if reply is not None:
        if reply.status != "held":
            raise Refusal(req.t("sharing.mod_reply_not_held", label=reply.label))
        author = reply.author(req.vault, req.now)
        locale = await posts.author_locale(req.tx, req.vault, author, req.community)
        # A reply is held only when it sounded like a crisis: answered with care.
        await posts.tell_author(
            req.tx,
            req.vault,
            author,
            f"decision:reply:{reply.id}",
            await care.declined_with_care(
                req,
                author,
                text("sharing.what_reply", locale, label=reply.label),
                reason,
                locale=locale,
            ),
            req.now,
        )
        # The link stays (until it expires): a block after the reject still reaches them.
        await store.set_reply_status(req.tx, reply.id, "rejected", erase=True, keep_link=True)
        await log_action(req, "reject", share.number, f"reply {reply.label}")
        await _mark_handled(req, f"reply:{reply.label}", REJECTED)
        told = "sharing.mod_reply_rejected_told" if author else "sharing.mod_reply_rejected"
        req.say(req.t(told, label=reply.label))
        return
    _require_waiting(req, share)
    author = share.author(req.vault, req.now)
    # The link stays (until it expires): a block after the reject still reaches them.
    await store.set_status(req.tx, share.id, "rejected", erase=True, keep_link=True)
    locale = await posts.author_locale(req.tx, req.vault, author, req.community)
    if share.crisis:
        what = text("sharing.what_share", locale, label=share.number)
        words = await care.declined_with_care(req, author, what, reason, locale=locale)
    elif reason:
        words = Message(
            text("sharing.rejected_author_note", locale, number=share.number, note=reason)
        )
    else:
        words = Message(text("sharing.rejected_author", locale, number=share.number))
    key = f"decision:{share.id}:rejected"
    await posts.tell_author(req.tx, req.vault, author, key, words, req.now)
    await log_action(req, "reject", share.number, reason)
    await _mark_handled(req, f"share:{share.number}", REJECTED)
    if not author:
        told = "sharing.mod_share_rejected"
    elif share.crisis:
        told = "sharing.mod_share_rejected_told_care"
    else:
        told = "sharing.mod_share_rejected_told"
    req.say(req.t(told, number=share.number))


async def remove(req: Request, args: Args) -> None:
    share, reply = await _target(req, args.word(0), "remove")
    reason = as_sentence(args.after(1)[:REASON_MAX_LENGTH])
    if reply is not None:
        if reply.status != "published":
            raise Refusal(req.t("sharing.mod_reply_not_posted", label=reply.label))
        author = reply.author(req.vault, req.now)
        await take_down_reply(req, reply)
        locale = await posts.author_locale(req.tx, req.vault, author, req.community)
        if reason:
            words = text(
                "sharing.removed_reply_author_note", locale, label=reply.label, note=reason
            )
        else:
            words = text("sharing.removed_reply_author", locale, label=reply.label)
        await posts.tell_author(
            req.tx, req.vault, author, f"decision:reply:{reply.id}:removed", words, req.now
        )
        await log_action(req, "remove", share.number, f"reply {reply.label}")
        told = "sharing.mod_reply_removed_told" if author else "sharing.mod_reply_removed"
        req.say(req.t(told, label=reply.label))
        return
    if share.status != "published":
        status = status_word(req, share.status)
        raise Refusal(req.t("sharing.mod_share_not_posted", number=share.number, status=status))
    author = share.author(req.vault, req.now)
    # The link stays (until it expires): `mod block` after a removal still works.
    await take_down_share(req, share, "removed", keep_link=True)
    locale = await posts.author_locale(req.tx, req.vault, author, req.community)
    if reason:
        words = text("sharing.removed_author_note", locale, number=share.number, note=reason)
    else:
        words = text("sharing.removed_author", locale, number=share.number)
    await posts.tell_author(
        req.tx, req.vault, author, f"decision:{share.id}:removed", words, req.now
    )
    await log_action(req, "remove", share.number, reason)
    told = "sharing.mod_share_removed_told" if author else "sharing.mod_share_removed"
    req.say(req.t(told, number=share.number))


# Not the ✅/❌ offered as choices on the same post: a mark a moderator can tell apart.
APPROVED, REJECTED = "☑️", "✖️"


async def _mark_handled(req: Request, reference: str, emoji: str) -> None:
    """Mark the queue's post of an item as decided (a reaction on it), so moderators
    reading the channel see what is done. The crisis alert and the vetting post both."""
    community = req.community
    keys = [f"alert:{community.name}:{reference}"]  # care.alert_moderators' key
    kind, _, label = reference.partition(":")
    if kind == "share":
        keys.append(posts.queue_key(community.name, label))
    for key in keys:
        await posts.mark_handled(req.tx, req.vault, community, key, emoji, req.now)


def as_sentence(note: str) -> str:
    """A moderator's note as a sentence in a longer message: it ends with a full stop."""
    note = " ".join(note.split())
    if note and note[-1] not in ".!?…。":
        note += "."
    return note


async def block(req: Request, args: Args) -> None:
    """Block the author of share N (or of reply N.M) from sharing and replying here.

    The answer is the same whether or not they were blocked already — a second
    block is simply another row — so blocking never tells a moderator that two
    items have one author."""
    share, reply = await _target(req, args.word(0), "block")
    days_word = args.word(1)
    if days_word is None:
        until = None
    elif days_word.isdecimal() and 1 <= int(days_word) <= BLOCK_MAX_DAYS:
        until = req.now + timedelta(days=int(days_word))
    else:
        raise Refusal(req.t("sharing.mod_block_days", most=BLOCK_MAX_DAYS))
    item = reply or share
    label = reply.label if reply else share.number
    author = item.author(req.vault, req.now)
    if author is None:
        unlinked = (
            "sharing.mod_block_unlinked_reply" if reply else "sharing.mod_block_unlinked_share"
        )
        raise Refusal(req.t(unlinked, label=label, days=req.community.sharing.link_days))
    code = "B-" + "".join(secrets.choice(_BLOCK_ALPHABET) for _ in range(6))
    block_id = await req.tx.fetchval(
        "INSERT INTO share_blocks (code, community, identity, until, created_at) "
        "VALUES ($1, $2, '', $3, $4) RETURNING id",
        code,
        req.community.name,
        until and epoch(until),
        day_floor(req.now, req.community.zone),
    )
    await req.tx.execute(
        "UPDATE share_blocks SET identity = $1 WHERE id = $2",
        seal_member(req.vault, BLOCKED_IDENTITY, block_id, author),
        block_id,
    )
    locale = await posts.author_locale(req.tx, req.vault, author, req.community)
    if until:
        told = plural(
            "sharing.blocked_author_days", int(days_word), locale, community=req.community.name
        )
    else:
        told = text("sharing.blocked_author", locale, community=req.community.name)
    await posts.tell_author(req.tx, req.vault, author, f"block:{code}", told, req.now)
    await log_action(
        req, "block", share.number, code if reply is None else f"{code} reply {reply.label}"
    )
    if until:
        done = "sharing.mod_blocked_reply_days" if reply else "sharing.mod_blocked_share_days"
        req.say(req.plural(done, int(days_word), label=label, code=code))  # type: ignore[arg-type]
        return
    done = "sharing.mod_blocked_reply" if reply else "sharing.mod_blocked_share"
    req.say(req.t(done, label=label, code=code))


async def unblock(req: Request, args: Args) -> None:
    code = (args.words[0] if args.words else "").upper()
    lifted = await req.tx.execute(
        "UPDATE share_blocks SET lifted_at = $1 WHERE code = $2 AND community = $3 "
        "AND lifted_at IS NULL",
        epoch(req.now),
        code,
        req.community.name,
    )
    if lifted != 1:
        no_block = "sharing.mod_no_block" if code else "sharing.mod_no_block_given"
        raise Refusal(req.t(no_block, code=code))
    await log_action(req, "unblock", None, code)
    req.say(req.t("sharing.mod_unblocked", code=code))
