"""`share`, `reply`, `support` and `report`: what members do (SPEC §2)."""

from __future__ import annotations

from datetime import timedelta

from bot import members, ratelimits
from bot.anonymity import new_token, own_tokens, target_token
from bot.blocks import active_block
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
from bot.relays import take as take_relay
from bot.requests import Args, Refusal, Request, Router, is_blank, preview, require_unseen
from bot.safety import care
from bot.safety.crisis import CrisisMatch
from bot.safety.mentions import neutralise_mentions
from bot.texts import plural
from bot.texts import text as catalogue_text
from bot.vault import DRAFT_BODY, DRAFT_WARNING, REPLY_BODY, REPORT_REASON

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
    router.add(
        "share",
        share,
        "sharing.share_usage",
        "sharing.share_summary",
        private=lambda args: _subcommand(args.words) is None,
    )
    router.add(
        "reply",
        reply,
        "sharing.reply_usage",
        "sharing.reply_summary",
        private=lambda args: True,
    )
    router.add("support", support, "sharing.support_usage", "sharing.support_summary")
    router.add("report", report, "sharing.report_usage", "sharing.report_summary")
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
DRAFT_STANDS = timedelta(days=1)
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


def _require_unseen(req: Request, kind: str) -> None:
    """Refuse anonymous words typed where others saw them, saying where to write:
    a DM, and the slash command where the platform has private commands."""
    if kind == "share":
        refusal = "sharing.dm_only_share_slash" if req.private_commands else "sharing.dm_only_share"
    else:
        refusal = "sharing.dm_only_reply_slash" if req.private_commands else "sharing.dm_only_reply"
    require_unseen(req, refusal)


async def _latest_number(req: Request) -> int | None:
    """The newest published share here: a hint names one that exists."""
    return await req.tx.fetchval(
        "SELECT max(number) FROM shares WHERE community = $1 AND status = 'published'",
        req.community.name,
    )


async def _which_share(req: Request, kind: str) -> str:
    """ "Which share?", with an example that exists (or none to respond to yet)."""
    number = await _latest_number(req)
    if number is None:
        return req.t("sharing.no_shares_yet")
    how = "sharing.support_how" if kind == "support" else "sharing.reply_how"
    return req.t(how, number=number)


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
        await finish_draft(req, "share", confirmed=subcommand == "confirm")
    elif await _pending_draft(req) is not None:
        # Waiting for `share confirm` / `share cancel`: "share yes" is no new share.
        await _remind_draft(req)
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
    _require_unseen(req, "share")
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
    past_warning = confirmed and bool(identifying_details(f"{warning or ''} {text}"))
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
    if past_warning:  # the queue says why a moderator should look twice
        await req.tx.execute("UPDATE shares SET details = 1 WHERE id = $1", new.id)
    if crisis:
        await _hold_for_moderators(req, "share", str(new.number), text, crisis)
        # Safe-messaging guidance (WHO, #chatsafe): details of a method can harm a reader
        # who is struggling too. Asked kindly, never as a rule the author broke.
        held = "sharing.share_held_method" if crisis.method_detail else "sharing.share_held"
        req.say(req.t(held, number=new.number))
        await care.offer_care(req, offer_contact=False, language=crisis.language)
    elif status == "pending":
        await posts.queue_for_review(
            req.tx, req.vault, req.community, new, req.now, past_warning=past_warning
        )
        req.say(req.t("sharing.share_pending", number=new.number))
    else:
        await posts.post_share(req.tx, req.vault, req.community, new, req.now)
        req.say(req.t("sharing.share_posted", number=new.number))


async def _hold_for_moderators(
    req: Request, noun: str, label: str, text: str, crisis: CrisisMatch
) -> None:
    """A possible crisis is never posted: the moderators get what and why, never who."""
    lang = req.community.language  # the community's (the mod queue reads it), not the author's
    what = catalogue_text(
        "sharing.what_share" if noun == "share" else "sharing.what_reply", lang, label=label
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
            Choice(catalogue_text("sharing.choice_approve", lang), f"mod approve {label}", "✅"),
            Choice(catalogue_text("sharing.choice_reject", lang), f"mod reject {label}", "❌"),
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
    req.say(req.t(ask, details=details), choices=_draft_choices(req, kind))
    return True


def _draft_choices(req: Request, kind: str) -> tuple[Choice, ...]:
    return (
        Choice(req.t("sharing.choice_post_anyway"), f"{kind} confirm", "✅"),
        Choice(req.t("sharing.choice_cancel"), f"{kind} cancel", "✖️"),
    )


async def _pending_draft(req: Request) -> object | None:
    """The member's draft waiting for confirmation here, from today or yesterday:
    an older one, never answered, no longer stands in the way."""
    since = day_floor(req.now - DRAFT_STANDS, req.community.zone)
    return await req.tx.fetchrow(
        "SELECT * FROM share_drafts WHERE owner = $1 AND created_at >= $2",
        _draft_owner(req),
        since,
    )


async def _remind_draft(req: Request) -> None:
    """Only `share confirm` / `share cancel` (or `reply …`) answer a waiting draft.
    A member whose sharing is paused hears that first: the draft cannot be posted."""
    if await active_block(req.tx, req.vault, req.community.name, req.event.member, req.now):
        raise Refusal(req.t("sharing.author_blocked"))
    row = await _pending_draft(req)
    kind = "share" if row["kind"] == "share" else "reply"  # type: ignore[index]
    remind = "sharing.draft_waiting_share" if kind == "share" else "sharing.draft_waiting_reply"
    raise Refusal(req.t(remind))


async def finish_draft(req: Request, kind: str, *, confirmed: bool) -> None:
    row = await _pending_draft(req)
    if row is None:
        raise Refusal(req.t("sharing.nothing_to_confirm"))
    if row["kind"] != kind:  # `share confirm` for a reply's draft, or the other way round
        await _remind_draft(req)
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


async def take_down_share(
    req: Request, target: store.Share, status: str, *, keep_link: bool = False
) -> None:
    """Erase a share's words and link (`keep_link`: a moderator may still block its
    author), and take it and its replies off the channel."""
    community = req.community
    await store.set_status(req.tx, target.id, status, erase=True, keep_link=keep_link)
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
    share_author = target.author(req.vault, req.now)
    for item in await store.replies_of(req.tx, req.vault, target):
        if item.status != "published":
            continue
        author = item.author(req.vault, req.now)
        if author is not None and author != share_author:
            locale = await posts.author_locale(req.tx, req.vault, author, community)
            await posts.tell_author(  # in the reply's author's language
                req.tx,
                req.vault,
                author,
                f"takedown-note:reply:{item.id}",
                catalogue_text(
                    "sharing.reply_taken_down_with_share",
                    locale,
                    number=target.number,
                    label=item.label,
                ),
                req.now,
            )
        await take_down_reply(req, item)
    await close_reports(req, target, None, every=True)


async def close_reports(
    req: Request, share: store.Share, reply_number: int | None, *, every: bool = False
) -> None:
    """What was reported is gone: its reports leave the queue (and its count), and
    their posts in the queue channel are marked as handled."""
    if every:
        rows = await req.tx.fetch(
            "SELECT id FROM share_reports WHERE share_id = $1 AND status = 'open'", share.id
        )
    else:
        rows = await req.tx.fetch(
            "SELECT id FROM share_reports WHERE share_id = $1 AND status = 'open' "
            "AND reply_number IS NOT DISTINCT FROM $2",
            share.id,
            reply_number,
        )
    for row in rows:
        await req.tx.execute("UPDATE share_reports SET status = 'closed' WHERE id = $1", row["id"])
        key = posts.report_key(req.community.name, row["id"])
        await posts.mark_handled(req.tx, req.vault, req.community, key, "☑️", req.now)


async def take_down_reply(req: Request, reply: store.Reply) -> None:
    """Erase a reply's words and take it off the channel."""
    community = req.community
    await store.set_reply_status(req.tx, reply.id, "removed", erase=True)
    await close_reports(req, await _share_of(req, reply), reply.number)
    await posts.take_down(
        req.tx,
        req.vault,
        community,
        posts.reply_key(community.name, reply.label),
        posts.shares_place(community),
        req.now,
    )


async def _share_of(req: Request, reply: store.Reply) -> store.Share:
    return await store.share_by_id(req.tx, req.vault, reply.share_id)  # type: ignore[return-value]


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
    if req.args.words in (["confirm"], ["cancel"]):
        await finish_draft(req, "reply", confirmed=word == "confirm")
        return
    if await _pending_draft(req) is not None:
        await _remind_draft(req)
    target = await published_share(req, word, await _which_share(req, "reply"))
    if is_blank(text):
        req.say(req.t("sharing.reply_ask", number=target.number))
        return
    await submit_reply(req, target.number, text)


async def submit_reply(req: Request, number: int, text: str, confirmed: bool = False) -> None:
    _require_unseen(req, "reply")
    target = await published_share(req, str(number), await _which_share(req, "reply"))
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
    tx, vault, community, target: store.Share, new: store.Reply, now
) -> None:
    """Post a reply under its share and pass it to the share's author, batched with
    the other replies and support of the window. Every reply is marked and counted
    alike, the author's own too (left out only when the DM is worded): a copy of the
    database must not tell which reply the share's author wrote."""
    await posts.post_reply(tx, vault, community, new, now)
    await tx.execute("UPDATE share_replies SET relay_pending = 1 WHERE id = $1", new.id)
    await add_relay(tx, "reply", target.id, now)


async def support(req: Request) -> None:
    target = await published_share(req, req.args.word(0), await _which_share(req, "support"))
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


RELAYED_REPLIES = 10  # replies quoted in one DM; the rest are counted
RELAYED_REPLY_LENGTH = 300


async def relay_support(ctx: RelayContext, share_id: int, count: int, batch_id: int) -> None:
    """The batched DM: "3 people sent support to your share #4" (and the window's replies)."""
    await take_relay(ctx.tx, "reply", share_id)  # its replies come along in this one DM
    await _relay_news(ctx, share_id, count, batch_id)


async def relay_replies(ctx: RelayContext, share_id: int, count: int, batch_id: int) -> None:
    """The batched DM: "3 new replies to your share #4", with them (and the support)."""
    supports = await take_relay(ctx.tx, "support", share_id)
    await _relay_news(ctx, share_id, supports, batch_id)


async def _relay_news(ctx: RelayContext, share_id: int, supports: int, batch_id: int) -> None:
    """One DM for a share's window: its new replies, quoted, and how many sent support."""
    tx, vault = ctx.tx, ctx.vault
    target = await store.share_by_id(tx, vault, share_id)
    if target is None:
        return
    rows = await tx.fetch(
        "SELECT id, number, status, body, owner FROM share_replies WHERE share_id = $1 "
        "AND relay_pending = 1 ORDER BY number",
        share_id,
    )
    await tx.execute(
        "UPDATE share_replies SET relay_pending = 0 WHERE share_id = $1 AND relay_pending = 1",
        share_id,
    )
    author = target.author(vault, ctx.now)
    record = await members.find(tx, vault, author) if author else None
    mine = (
        await own_tokens(tx, "share_replies", record.secret, "reply", target.community)
        if record
        else []
    )
    news = [
        store.Reply(
            id=row["id"],
            share_id=share_id,
            share_number=target.number,
            number=row["number"],
            status=row["status"],
            body=vault.open(REPLY_BODY, row["id"], row["body"]) if row["body"] else None,
            owner="",
            author_link=None,
            link_expires_at=None,
        )
        for row in rows
        if row["status"] == "published" and row["body"] and row["owner"] not in mine
    ]
    if target.status != "published":
        news = []
    locale = ctx.locale_for(record, target.community)  # the share's author's language
    lines = []
    if news:
        lines.append(plural("sharing.replies_relayed", len(news), locale, number=target.number))
        for item in news[:RELAYED_REPLIES]:
            words = neutralise_mentions(preview(item.body or "", RELAYED_REPLY_LENGTH))
            line = catalogue_text(
                "sharing.reply_relayed_line", locale, label=item.label, reply=words
            )
            lines.append(line)
        if len(news) > RELAYED_REPLIES:
            more = len(news) - RELAYED_REPLIES
            lines.append(plural("sharing.replies_relayed_more", more, locale))
    if supports:
        lines.append(plural("sharing.support_relayed", supports, locale, number=target.number))
    if not lines:
        return
    if news:
        lines.append(catalogue_text("sharing.replies_relayed_answer", locale, number=target.number))
    await posts.tell_author(
        tx,
        vault,
        author,
        # Each reply is relayed in one DM only: the first one's id keys it.
        f"relay:reply:{news[0].id}" if news else f"relay:support:{batch_id}",
        "\n".join(lines),
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
    lang = req.community.language  # the community's (the mod queue reads it), not the reporter's
    about = f"{number}.{reply_number}" if reply_number else str(number)
    why = neutralise_mentions(reason[:REPORT_REASON_MAX_LENGTH])
    if reply_number:
        note = catalogue_text("sharing.report_to_mods_reply", lang, label=about, reason=why)
    else:
        note = catalogue_text("sharing.report_to_mods_share", lang, number=number, reason=why)
    choices = (Choice(catalogue_text("sharing.choice_remove", lang), f"mod remove {about}", "🗑️"),)
    await posts.tell_moderators(
        req.tx, req.vault, req.community, f"report:{report_id}", note, req.now, choices
    )  # posted as posts.report_key(community, report_id)
    req.say(req.t("sharing.report_sent"))
