"""`share`, `reply`, `support` and `report`: what members do (SPEC §2)."""

from __future__ import annotations

from datetime import timedelta

from bot import ratelimits
from bot.anonymity import new_token, own_tokens, target_token
from bot.features.sharing import posts, store
from bot.features.sharing.checks import (
    check_length,
    check_posting_rules,
    identifying_details,
)
from bot.localtime import day_floor
from bot.port import Choice
from bot.relays import RelayContext
from bot.relays import add as add_relay
from bot.requests import Args, Refusal, Request, Router, is_blank, require_unseen
from bot.safety import care
from bot.safety.crisis import CrisisMatch
from bot.safety.mentions import neutralise_mentions
from bot.texts import plural
from bot.texts import text as catalogue_text
from bot.vault import DRAFT_BODY, DRAFT_WARNING, REPORT_REASON

# The words for a share's or a reply's status (store.Share.status, store.Reply.status).
_STATUS = {
    "pending": "sharing.status_pending",
    "held": "sharing.status_held",
    "published": "sharing.status_published",
    "rejected": "sharing.status_rejected",
    "removed": "sharing.status_removed",
    "deleted": "sharing.status_deleted",
}


def status_word(req: Request, status: str) -> str:
    return req.t(_STATUS[status]) if status in _STATUS else status


def register(router: Router) -> None:
    # What `help` lists: English for now.
    t = catalogue_text
    router.add(
        "share",
        share,
        t("sharing.share_usage"),
        t("sharing.share_summary"),
        private=lambda args: _subcommand(args.words) is None,
    )
    router.add(
        "reply",
        reply,
        t("sharing.reply_usage"),
        t("sharing.reply_summary"),
        private=lambda args: True,
    )
    router.add("support", support, t("sharing.support_usage"), t("sharing.support_summary"))
    router.add("report", report, t("sharing.report_usage"), t("sharing.report_summary"))
    router.add_form("share", submit_share_form)
    router.add_form("reply", submit_reply_form)


async def submit_share_form(req: Request) -> None:
    """The share form: its text and content warning as the member wrote them."""
    warning = " ".join(req.fields.get("warning", "").split())[:WARNING_MAX_LENGTH]
    await submit_share(req, req.fields.get("text", "").strip(), warning or None)


async def submit_reply_form(req: Request) -> None:
    req.args = Args(f"{req.values.get('number', '')} {req.fields.get('text', '').strip()}")
    await reply(req)


REPORT_WINDOW = timedelta(days=1)
WARNING_MAX_LENGTH = 200
REPORT_REASON_MAX_LENGTH = 500


async def _is_mine(req: Request, item: store.Share | store.Reply) -> bool:
    kind, table = (
        ("share", "shares") if isinstance(item, store.Share) else ("reply", "share_replies")
    )
    mine = await own_tokens(req.tx, table, req.member.secret, kind, req.community.name)
    return item.owner in mine


def _draft_owner(req: Request) -> str:
    return target_token(req.member.secret, "draft", req.community.name)


def _share_channel(req: Request) -> None:
    if not req.community.channels.shares:
        raise Refusal(req.t("sharing.no_shares_channel"))


def _subcommand(words: list[str]) -> str | None:
    """`list`, `delete [N]`, `confirm` or `cancel` when the words have exactly
    that shape; None for a share's own words."""
    word = words[0].lower() if words else None
    if words == ["list"]:
        return "list"
    if word == "delete" and (len(words) == 1 or (len(words) == 2 and words[1][:1].isdecimal())):
        return word
    if word in ("confirm", "cancel") and len(words) == 1:
        return word
    return None


async def share(req: Request) -> None:
    # A subcommand only when the words have exactly its shape, so a share that
    # begins "List of things…" or "Delete the number…" is posted, not misread.
    subcommand = _subcommand(req.args.words)
    if subcommand == "list":
        await list_own(req)
    elif subcommand == "delete":
        await delete_own(req, req.args.word(1))
    elif subcommand in ("confirm", "cancel"):
        await finish_draft(req, confirmed=subcommand == "confirm")
    elif req.args.word(0) == "cw":
        warning, bar, text = req.args.after(1).partition("|")
        if not bar or not warning.strip():
            raise Refusal(req.t("sharing.cw_needs_bar"))
        await submit_share(req, text.strip(), warning.strip()[:WARNING_MAX_LENGTH])
    else:
        await submit_share(req, req.args.text.strip(), None)


async def submit_share(
    req: Request, text: str, warning: str | None, confirmed: bool = False
) -> None:
    require_unseen(req, "sharing.dm_only_share")
    _share_channel(req)
    if is_blank(text):
        raise Refusal(req.t("sharing.share_empty"))
    crisis = care.crisis_in(f"{warning or ''} {text}", req.community)
    await check_length(req, "share", text, crisis)
    if not crisis:
        await check_posting_rules(req, "share", text)
        if not confirmed and await _needs_confirmation(req, "share", text, warning):
            return
    sharing = req.community.sharing
    status = "held" if crisis else "pending" if sharing.vetting else "published"
    new = await store.insert_share(
        req.tx,
        req.vault,
        community=req.community.name,
        status=status,
        crisis=bool(crisis),
        content_warning=warning,
        body=text,
        owner=await new_token(req.tx, "shares", req.member.secret, "share", req.community.name),
        author=req.event.member,
        link_days=sharing.link_days,
        now=req.now,
        zone=req.community.zone,
    )
    await _count_submission(req, "share")
    if crisis:
        await _hold_for_moderators(req, "share", str(new.number), text, crisis)
        # Safe-messaging guidance (WHO, #chatsafe): details of a method can harm a reader
        # who is struggling too. Asked kindly, never as a rule the author broke.
        held = "sharing.share_held_method" if crisis.method_detail else "sharing.share_held"
        req.say(req.t(held, number=new.number))
        await care.offer_care(req, offer_contact=False, language=crisis.language)
    elif status == "pending":
        await posts.queue_for_review(req.tx, req.vault, req.community, new, req.now)
        req.say(req.t("sharing.share_pending", number=new.number))
    else:
        await posts.post_share(req.tx, req.vault, req.community, new, req.now)
        req.say(req.t("sharing.share_posted", number=new.number))


async def _hold_for_moderators(
    req: Request, noun: str, label: str, text: str, crisis: CrisisMatch
) -> None:
    """A possible crisis is never posted: the moderators get what and why, never who."""
    # language: the community's (the mod queue reads it), not the author's
    what = catalogue_text(
        "sharing.what_share" if noun == "share" else "sharing.what_reply", label=label
    )
    await care.alert_moderators(
        req.tx,
        req.vault,
        req.community,
        what=what,
        reference=f"{noun}:{label}",
        text=neutralise_mentions(text),
        match=crisis,
        now=req.now,
        choices=(
            Choice(catalogue_text("sharing.choice_approve"), f"mod approve {label}", "✅"),
            Choice(catalogue_text("sharing.choice_reject"), f"mod reject {label}", "❌"),
        ),
    )


async def _needs_confirmation(
    req: Request,
    kind: str,
    text: str,
    warning: str | None,
    share_number: int | None = None,
) -> bool:
    """Ask before posting words that might identify someone; keep them as a draft."""
    found = identifying_details(f"{warning or ''} {text}")
    if not found:
        return False
    owner = _draft_owner(req)
    await req.tx.execute("DELETE FROM share_drafts WHERE owner = $1", owner)
    draft_id = await req.tx.fetchval(
        "INSERT INTO share_drafts (community, owner, kind, share_number, body, created_at) "
        "VALUES ($1, $2, $3, $4, '', $5) RETURNING id",
        req.community.name,
        owner,
        kind,
        share_number,
        day_floor(req.now, req.community.zone),
    )
    await req.tx.execute(
        "UPDATE share_drafts SET body = $1, content_warning = $2 WHERE id = $3",
        req.vault.seal(DRAFT_BODY, draft_id, text),
        req.vault.seal(DRAFT_WARNING, draft_id, warning) if warning else None,
        draft_id,
    )
    details = req.t(found[0])
    for more in found[1:]:
        details = req.t("sharing.details_and", first=details, second=req.t(more))
    ask = "sharing.confirm_details_share" if kind == "share" else "sharing.confirm_details_reply"
    req.say(
        req.t(ask, details=details),
        choices=(
            Choice(req.t("sharing.choice_post_anyway"), "share confirm", "✅"),
            Choice(req.t("sharing.choice_cancel"), "share cancel", "✖️"),
        ),
    )
    return True


async def finish_draft(req: Request, *, confirmed: bool) -> None:
    row = await req.tx.fetchrow("SELECT * FROM share_drafts WHERE owner = $1", _draft_owner(req))
    if row is None:
        raise Refusal(req.t("sharing.nothing_to_confirm"))
    await req.tx.execute("DELETE FROM share_drafts WHERE id = $1", row["id"])
    if not confirmed:
        req.say(req.t("sharing.draft_cancelled"))
        return
    text = req.vault.open(DRAFT_BODY, row["id"], row["body"])
    warning = (
        req.vault.open(DRAFT_WARNING, row["id"], row["content_warning"])
        if row["content_warning"]
        else None
    )
    if row["kind"] == "share":
        await submit_share(req, text, warning, confirmed=True)
    else:
        await submit_reply(req, row["share_number"], text, confirmed=True)


async def list_own(req: Request) -> None:
    mine = await store.shares_by_author(req.tx, req.vault, req.community.name, req.member.secret)
    if not mine:
        req.say(req.t("sharing.own_none"))
        return
    lines = [req.t("sharing.own_heading")]
    for item in mine:
        preview = (item.body or "").replace("\n", " ")
        preview = preview[:60] + ("…" if len(preview) > 60 else "")
        status = status_word(req, item.status)
        if preview:
            lines.append(
                req.t("sharing.own_item", number=item.number, status=status, preview=preview)
            )
        else:
            lines.append(req.t("sharing.own_item_erased", number=item.number, status=status))
    req.say("\n".join(lines))


async def delete_own(req: Request, word: str | None) -> None:
    reference = store.parse_reference(word)
    if reference is None or reference[1] is not None:
        raise Refusal(req.t("sharing.delete_which"))
    number = reference[0]
    found = await store.find_share(req.tx, req.vault, req.community.name, number)
    if (
        found is None
        or not await _is_mine(req, found)
        or found.status in ("deleted", "removed", "rejected")
    ):
        # The same words for a share that is not theirs: no oracle.
        raise Refusal(req.t("sharing.no_such_own_share", number=number))
    await take_down_share(req, found, "deleted")
    req.say(req.t("sharing.share_deleted", number=number))


async def take_down_share(req: Request, target: store.Share, status: str) -> None:
    """Erase a share's words and link, and take it and its replies off the channel."""
    community = req.community
    await store.set_status(req.tx, target.id, status, erase=True)
    await posts.take_down(
        req.tx,
        req.vault,
        community,
        posts.share_key(community.name, target.number),
        posts.shares_place(community),
        req.now,
    )
    await posts.take_down(
        req.tx,
        req.vault,
        community,
        posts.queue_key(community.name, str(target.number)),
        posts.queue_place(community),
        req.now,
    )
    for item in await store.replies_of(req.tx, req.vault, target):
        await take_down_reply(req, item)


async def take_down_reply(req: Request, reply: store.Reply) -> None:
    """Erase a reply's words and take it off the channel."""
    community = req.community
    await store.set_reply_status(req.tx, reply.id, "removed", erase=True)
    await posts.take_down(
        req.tx,
        req.vault,
        community,
        posts.reply_key(community.name, reply.label),
        posts.shares_place(community),
        req.now,
    )


async def published_share(req: Request, word: str | None, usage: str) -> store.Share:
    reference = store.parse_reference(word)
    if reference is None or reference[1] is not None:
        raise Refusal(usage)
    found = await store.find_share(req.tx, req.vault, req.community.name, reference[0])
    if found is None or found.status != "published":
        raise Refusal(req.t("sharing.no_share_to_respond", number=reference[0]))
    return found


async def reply(req: Request) -> None:
    word = req.args.word(0)
    text = req.args.after(1)
    target = await published_share(req, word, req.t("sharing.reply_how"))
    if is_blank(text):
        req.say(req.t("sharing.reply_ask", number=target.number))
        return
    await submit_reply(req, target.number, text)


async def submit_reply(req: Request, number: int, text: str, confirmed: bool = False) -> None:
    require_unseen(req, "sharing.dm_only_reply")
    target = await published_share(req, str(number), req.t("sharing.reply_how"))
    if is_blank(text):  # a form's text made only of invisible characters
        raise Refusal(req.t("sharing.reply_ask", number=number))
    crisis = care.crisis_in(text, req.community)
    await check_length(req, "reply", text, crisis)
    if not crisis:
        await check_posting_rules(req, "reply", text)
        if not confirmed and await _needs_confirmation(req, "reply", text, None, target.number):
            return
    new = await store.insert_reply(
        req.tx,
        req.vault,
        target,
        status="held" if crisis else "published",
        body=text,
        owner=await new_token(
            req.tx, "share_replies", req.member.secret, "reply", req.community.name
        ),
        author=req.event.member,
        link_days=req.community.sharing.link_days,
        now=req.now,
        zone=req.community.zone,
    )
    await _count_submission(req, "reply")
    if crisis:
        await _hold_for_moderators(req, "reply", new.label, text, crisis)
        held = "sharing.reply_held_method" if crisis.method_detail else "sharing.reply_held"
        req.say(req.t(held))
        await care.offer_care(req, offer_contact=False, language=crisis.language)
        return
    await publish_reply(
        req.tx,
        req.vault,
        req.community,
        target,
        new,
        req.now,
        to_author=not await _is_mine(req, target),
    )
    req.say(req.t("sharing.reply_posted", number=target.number))


async def _count_submission(req: Request, kind: str) -> None:
    """Start the cooldown (bot/ratelimits.py) that `check_posting_rules` reads."""
    wait = timedelta(minutes=req.community.sharing.cooldown_minutes)
    if wait:
        await ratelimits.count(
            req.tx, req.vault, kind, req.community.name, req.event.member, req.now, wait
        )


async def publish_reply(  # noqa: ANN001
    tx, vault, community, target: store.Share, new: store.Reply, now, *, to_author: bool
) -> None:
    """Post a reply under its share and pass it to the share's author (unless they wrote it)."""
    await posts.post_reply(tx, vault, community, new, now)
    if to_author:
        relayed = catalogue_text(  # language: the share's author's
            "sharing.reply_relayed",
            number=target.number,
            reply=neutralise_mentions(new.body or ""),
        )
        await posts.tell_author(
            tx, vault, target.author(vault, now), f"relay:reply:{new.id}", relayed, now
        )


async def support(req: Request) -> None:
    target = await published_share(req, req.args.word(0), req.t("sharing.support_how"))
    if await _is_mine(req, target):
        req.say(req.t("sharing.support_own"))
        return
    added = await req.tx.execute(
        "INSERT INTO share_supports (share_id, supporter_key, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (share_id, supporter_key) DO NOTHING",
        target.id,
        target_token(req.member.secret, "support", target.id),
        day_floor(req.now, req.community.zone),
    )
    if added != 1:
        req.say(req.t("sharing.support_already", number=target.number))
        return
    await add_relay(req.tx, "support", target.id, req.now)
    req.say(req.t("sharing.support_sent", number=target.number))


async def relay_support(ctx: RelayContext, share_id: int, count: int, batch_id: int) -> None:
    """The batched DM: "3 people sent support to your share #4"."""
    target = await store.share_by_id(ctx.tx, ctx.vault, share_id)
    if target is None:
        return
    await posts.tell_author(
        ctx.tx,
        ctx.vault,
        target.author(ctx.vault, ctx.now),
        f"relay:support:{batch_id}",
        plural("sharing.support_relayed", count, number=target.number),
        ctx.now,
    )


async def report(req: Request) -> None:
    reference = store.parse_reference(req.args.word(0))
    reason = req.args.after(1)
    if reference is None:
        raise Refusal(req.t("sharing.report_how"))
    if not reason:
        raise Refusal(req.t("sharing.report_needs_reason", reference=req.args.word(0)))
    number, reply_number = reference
    target = await store.find_share(req.tx, req.vault, req.community.name, number)
    if (
        target is None
        or target.status != "published"
        or (
            reply_number is not None
            and await store.find_reply(req.tx, req.vault, target, reply_number) is None
        )
    ):
        missing = "sharing.report_no_reply" if reply_number else "sharing.report_no_share"
        raise Refusal(req.t(missing, reference=req.args.word(0)))
    reporter = target_token(req.member.secret, "report", target.id, reply_number or 0)
    recent = await ratelimits.hits(
        req.tx, req.vault, "report", req.community.name, req.event.member, req.now
    )
    if recent >= req.community.sharing.reports_per_day:
        raise Refusal(req.t("sharing.report_limit"))
    same = await req.tx.fetchval(
        "SELECT count(*) FROM share_reports WHERE reporter_key = $1", reporter
    )
    if same:
        req.say(req.t("sharing.report_already"))
        return
    report_id = await req.tx.fetchval(
        "INSERT INTO share_reports (community, share_id, reply_number, reporter_key, status, "
        "created_at) VALUES ($1, $2, $3, $4, 'open', $5) RETURNING id",
        req.community.name,
        target.id,
        reply_number,
        reporter,
        day_floor(req.now, req.community.zone),
    )
    await ratelimits.count(
        req.tx, req.vault, "report", req.community.name, req.event.member, req.now, REPORT_WINDOW
    )
    await req.tx.execute(
        "UPDATE share_reports SET reason = $1 WHERE id = $2",
        req.vault.seal(REPORT_REASON, report_id, reason[:REPORT_REASON_MAX_LENGTH]),
        report_id,
    )
    # language: the community's (the mod queue reads it), not the reporter's
    about = f"{number}.{reply_number}" if reply_number else str(number)
    why = neutralise_mentions(reason[:REPORT_REASON_MAX_LENGTH])
    if reply_number:
        note = catalogue_text("sharing.report_to_mods_reply", label=about, reason=why)
    else:
        note = catalogue_text("sharing.report_to_mods_share", number=number, reason=why)
    choices = (Choice(catalogue_text("sharing.choice_remove"), f"mod remove {about}", "🗑️"),)
    await posts.tell_moderators(
        req.tx, req.vault, req.community, f"report:{report_id}", note, req.now, choices
    )
    req.say(req.t("sharing.report_sent"))
