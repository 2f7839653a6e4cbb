"""`mod …`: moderators vet, remove and block without ever learning who wrote
what. Every action is logged with the moderator who took it, never an author."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from bot import audit
from bot.anonymity import seal_member
from bot.commands import Args, Refusal, Request, preview
from bot.feature import Wiring
from bot.features.sharing import posts, store
from bot.features.sharing.commands import publish_reply, take_down_reply, take_down_share
from bot.localtime import day_floor, epoch
from bot.moderators import HeldKind
from bot.port import Message
from bot.safety import care
from bot.vault import BLOCKED_IDENTITY, REPLY_BODY, REPORT_REASON, SHARE_BODY

USAGE = (
    "mod queue — everything waiting for review: shares, held replies and celebrations, reports\n"
    "mod approve N / mod reject N [REASON] — publish or refuse a pending share (N.M: a reply, "
    "cN: a held celebration)\n"
    "mod remove N — take down a share (N.M: a reply)\n"
    "mod block N [DAYS] — stop the unknown author of share #N from sharing here\n"
    "mod unblock BLOCK_ID — lift a block"
)
BLOCK_MAX_DAYS = 3650
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
        await (kind.reject(req, number, args.after(1)[:300]) if kind else reject(req, args))

    wiring.mod_commands.update(
        queue=queue_all,
        approve=approve_any,
        reject=reject_any,
        remove=remove,
        block=block,
        unblock=unblock,
    )
    wiring.mod_usage.append(USAGE)


async def log_action(req: Request, action: str, number: int | None, detail: str = "") -> None:
    await audit.record(
        req.tx, req.vault, req.community.name, req.member.member, action, number, detail, req.now
    )


async def _target(
    req: Request, word: str | None, verb: str
) -> tuple[store.Share, store.Reply | None]:
    reference = store.parse_reference(word)
    if reference is None:
        raise Refusal(f"Which one? `mod {verb} N` (or N.M for a reply).")
    number, reply_number = reference
    share = await store.find_share(req.tx, req.vault, req.community.name, number)
    if share is None:
        raise Refusal(f"There's no share #{number}.")
    if reply_number is None:
        return share, None
    found = await store.find_reply(req.tx, req.vault, share, reply_number)
    if found is None:
        raise Refusal(f"There's no reply #{number}.{reply_number}.")
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
        "SELECT id, number, status, crisis, body FROM shares WHERE community = $1 "
        "AND status IN ('pending', 'held') ORDER BY number",
        name,
    )
    held_replies = await req.tx.fetch(
        "SELECT r.id, r.body, s.number, r.number AS reply FROM share_replies r "
        "JOIN shares s ON s.id = r.share_id WHERE s.community = $1 AND r.status = 'held' "
        "ORDER BY s.number, r.number",
        name,
    )
    reports = await req.tx.fetch(
        "SELECT r.id, r.reason, r.reply_number, s.number FROM share_reports r "
        "JOIN shares s ON s.id = r.share_id WHERE r.community = $1 AND r.status = 'open' "
        "ORDER BY r.id",
        name,
    )
    lines = []
    for row in pending:
        why = "held ⚠️ possible crisis" if row["crisis"] else "waiting for review"
        words = preview(req.vault.open(SHARE_BODY, row["id"], row["body"])) if row["body"] else ""
        lines.append(f"Share #{row['number']} — {why}: {words}{_choices(str(row['number']))}")
    for row in held_replies:
        label = f"{row['number']}.{row['reply']}"
        words = preview(req.vault.open(REPLY_BODY, row["id"], row["body"])) if row["body"] else ""
        lines.append(f"Reply #{label} — held ⚠️ possible crisis: {words}{_choices(label)}")
    for row in reports:
        target = f"#{row['number']}" + (f".{row['reply_number']}" if row["reply_number"] else "")
        reason = req.vault.open(REPORT_REASON, row["id"], row["reason"]) if row["reason"] else ""
        lines.append(f"Report on {target}: {reason}")
    for kind in held:
        lines += await kind.pending(req)
    req.say("\n".join(["The queue:", *lines]) if lines else "The queue is empty. 🌿")


def _choices(reference: str) -> str:
    return f" (`mod approve {reference}` / `mod reject {reference}`)"


async def approve(req: Request, args: Args) -> None:
    share, reply = await _target(req, args.word(0), "approve")
    if reply is not None:
        if reply.status != "held":
            raise Refusal(f"Reply #{reply.label} isn't waiting for review.")
        await store.set_reply_status(req.tx, reply.id, "published")
        await publish_reply(
            req.tx,
            req.vault,
            req.community,
            share,
            reply,
            req.now,
            to_author=share.author(req.vault, req.now) != reply.author(req.vault, req.now),
        )
        await log_action(req, "approve", share.number, f"reply {reply.label}")
        req.say(f"Reply #{reply.label} is posted.")
        return
    if share.status not in ("pending", "held"):
        raise Refusal(f"Share #{share.number} isn't waiting for review (it is {share.status}).")
    await store.set_status(req.tx, share.id, "published")
    await posts.post_share(req.tx, req.vault, req.community, share, req.now)
    await posts.tell_author(
        req.tx,
        req.vault,
        share.author(req.vault, req.now),
        f"decision:{share.id}:published",
        f"Your share #{share.number} is now posted. Thank you for sharing 💛",
        req.now,
    )
    await log_action(req, "approve", share.number)
    req.say(f"Share #{share.number} is posted.")


async def reject(req: Request, args: Args) -> None:
    share, reply = await _target(req, args.word(0), "reject")
    reason = args.after(1)[:300]
    because = f" The moderator's note: {reason}" if reason else ""
    if reply is not None:
        if reply.status != "held":
            raise Refusal(f"Reply #{reply.label} isn't waiting for review.")
        author = reply.author(req.vault, req.now)
        # A reply is held only when it sounded like a crisis: answered with care.
        await posts.tell_author(
            req.tx,
            req.vault,
            author,
            f"decision:reply:{reply.id}",
            await care.declined_with_care(req, author, f"reply #{reply.label}", reason),
            req.now,
        )
        await store.set_reply_status(req.tx, reply.id, "rejected", erase=True)
        await log_action(req, "reject", share.number, f"reply {reply.label}")
        req.say(
            f"Reply #{reply.label} won't be posted"
            + (" and its author has been told, with care." if author else ".")
        )
        return
    if share.status not in ("pending", "held"):
        raise Refusal(f"Share #{share.number} isn't waiting for review (it is {share.status}).")
    author = share.author(req.vault, req.now)
    await store.set_status(req.tx, share.id, "rejected", erase=True)
    if share.crisis:
        words = await care.declined_with_care(req, author, f"share #{share.number}", reason)
    else:
        words = Message(
            f"A moderator decided not to post your share #{share.number}.{because} "
            "You're still welcome here — `resources` is always there if you need it."
        )
    key = f"decision:{share.id}:rejected"
    await posts.tell_author(req.tx, req.vault, author, key, words, req.now)
    await log_action(req, "reject", share.number, reason)
    told = (
        " and its author has been told, with care."
        if share.crisis
        else " and its author has been told."
    )
    req.say(f"Share #{share.number} won't be posted" + (told if author else "."))


async def remove(req: Request, args: Args) -> None:
    share, reply = await _target(req, args.word(0), "remove")
    if reply is not None:
        if reply.status != "published":
            raise Refusal(f"Reply #{reply.label} isn't posted.")
        await take_down_reply(req, reply)
        await _close_reports(req, share, reply.number)
        await log_action(req, "remove", share.number, f"reply {reply.label}")
        req.say(f"Reply #{reply.label} is taken down.")
        return
    if share.status != "published":
        raise Refusal(f"Share #{share.number} isn't posted (it is {share.status}).")
    author = share.author(req.vault, req.now)
    await take_down_share(req, share, "removed")
    await posts.tell_author(
        req.tx,
        req.vault,
        author,
        f"decision:{share.id}:removed",
        f"A moderator took down your share #{share.number}.",
        req.now,
    )
    await _close_reports(req, share, None)
    await log_action(req, "remove", share.number)
    req.say(f"Share #{share.number} is taken down.")


async def _close_reports(req: Request, share: store.Share, reply_number: int | None) -> None:
    await req.tx.execute(
        "UPDATE share_reports SET status = 'closed' WHERE share_id = $1 "
        "AND reply_number IS NOT DISTINCT FROM $2",
        share.id,
        reply_number,
    )


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
        raise Refusal(f"Block for a number of days from 1 to {BLOCK_MAX_DAYS}, or leave it out.")
    item = reply or share
    label = f"reply #{reply.label}" if reply else f"share #{share.number}"
    author = item.author(req.vault, req.now)
    if author is None:
        raise Refusal(
            f"I can't block the author of {label}: Hearth no longer keeps who wrote it "
            f"(links last {req.community.sharing.link_days} days). `mod remove` still works."
        )
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
    span = f"for {days_word} days" if until else "until a moderator lifts it"
    await posts.tell_author(
        req.tx,
        req.vault,
        author,
        f"block:{code}",
        f"A moderator has paused your sharing and replies in {req.community.name} {span}. "
        "Nobody was told who you are. Check-ins, support and `resources` still work for you.",
        req.now,
    )
    await log_action(
        req, "block", share.number, code if reply is None else f"{code} reply {reply.label}"
    )
    req.say(
        f"The author of {label} can no longer share or reply here {span}. "
        f"Block id: {code} (`mod unblock {code}`). Nobody, you included, learns who it is."
    )


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
        raise Refusal(f"There's no block {code or '(none given)'} in force here.")
    await log_action(req, "unblock", None, code)
    req.say(f"Block {code} is lifted.")
