"""`share`, `reply`, `support` and `report`: what members do (SPEC §2)."""

from __future__ import annotations

from datetime import timedelta

from bot import ratelimits
from bot.anonymity import new_token, own_tokens, target_token
from bot.commands import Refusal, Request, Router, is_blank
from bot.features.sharing import posts, store
from bot.features.sharing.checks import (
    check_length,
    check_posting_rules,
    identifying_details,
    require_unseen,
)
from bot.localtime import day_floor
from bot.port import Choice
from bot.relays import RelayContext
from bot.relays import add as add_relay
from bot.safety import care
from bot.safety.crisis import CrisisMatch
from bot.safety.mentions import neutralise_mentions
from bot.vault import DRAFT_BODY, DRAFT_WARNING, REPORT_REASON

SHARE_USAGE = (
    "share TEXT — post anonymously to the shares channel\n"
    "share cw WARNING | TEXT — the same, hidden behind a content warning\n"
    "share list — your own shares · share delete N — take yours down"
)
NO_SUCH_SHARE = "There's no share #{number} of yours here."  # the same for "not yours": no oracle


def register(router: Router) -> None:
    router.add("share", share, SHARE_USAGE, "post anonymously")
    router.add(
        "reply",
        reply,
        "reply N TEXT — an anonymous reply under share #N",
        "reply anonymously to a share",
    )
    router.add(
        "support",
        support,
        "support N — let the author of share #N know someone cares",
        "send support to a share",
    )
    router.add(
        "report",
        report,
        "report N REASON — tell moderators about share #N (or N.M, "
        "a reply); they won't see who reported",
        "report a share to moderators",
    )


REPORT_WINDOW = timedelta(days=1)


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
        raise Refusal("This community has no shares channel set up yet, so sharing is off.")


# Safe-messaging guidance (WHO, #chatsafe): details of a method can harm a reader who is
# struggling too. Asked kindly, never as a rule the author broke.
METHOD_DETAIL_REQUEST = (
    " Some of it describes how, in detail (amounts, means). Details like that can hurt "
    "someone else who is struggling, so if you'd like your {what} to be posted, could you "
    "write it again without them?"
)


async def share(req: Request) -> None:
    # A subcommand only when the words have exactly its shape, so a share that
    # begins "List of things…" or "Delete the number…" is posted, not misread.
    words = req.args.words
    word = req.args.word(0)
    if words == ["list"]:
        await list_own(req)
    elif word == "delete" and (len(words) == 1 or (len(words) == 2 and words[1][:1].isdecimal())):
        await delete_own(req, req.args.word(1))
    elif word in ("confirm", "cancel") and len(words) == 1:
        await finish_draft(req, confirmed=word == "confirm")
    elif word == "cw":
        warning, bar, text = req.args.after(1).partition("|")
        if not bar or not warning.strip():
            raise Refusal("A content warning goes first, then a bar: `share cw grief | my words`.")
        await submit_share(req, text.strip(), warning.strip()[:200])
    else:
        await submit_share(req, req.args.text.strip(), None)


async def submit_share(
    req: Request, text: str, warning: str | None, confirmed: bool = False
) -> None:
    require_unseen(req, "share")
    _share_channel(req)
    if is_blank(text):
        raise Refusal(
            "What would you like to share? `share YOUR WORDS` — it's posted without your name."
        )
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
        req.say(
            f"Thank you for trusting us with this. Your share #{new.number} wasn't posted: "
            "it's with the moderators, who will look at it with care."
            + (METHOD_DETAIL_REQUEST.format(what="share") if crisis.method_detail else "")
        )
        await care.offer_care(req, offer_contact=False, language=crisis.language)
    elif status == "pending":
        await posts.queue_for_review(req.tx, req.vault, req.community, new, req.now)
        req.say(
            f"Thank you for sharing. Your share #{new.number} is waiting for a moderator; "
            "I'll let you know when it's posted. Nobody will see your name."
        )
    else:
        await posts.post_share(req.tx, req.vault, req.community, new, req.now)
        req.say(f"Posted as Anonymous share #{new.number}. I'll pass on replies and support.")


async def _hold_for_moderators(
    req: Request, noun: str, label: str, text: str, crisis: CrisisMatch
) -> None:
    """A possible crisis is never posted: the moderators get what and why, never who."""
    await care.alert_moderators(
        req.tx,
        req.vault,
        req.community,
        what=f"{noun} #{label}",
        reference=f"{noun}:{label}",
        text=neutralise_mentions(text),
        match=crisis,
        now=req.now,
        choices=(
            Choice("Approve", f"mod approve {label}", "✅"),
            Choice("Reject", f"mod reject {label}", "❌"),
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
    noun = "share" if kind == "share" else "reply"
    req.say(
        f"Before I post it: your {noun} seems to include {' and '.join(found)}. Details like "
        "that can tell people who wrote it, or who it is about. Post it anyway?",
        choices=(
            Choice("Post anyway", "share confirm", "✅"),
            Choice("Cancel", "share cancel", "✖️"),
        ),
    )
    return True


async def finish_draft(req: Request, *, confirmed: bool) -> None:
    row = await req.tx.fetchrow("SELECT * FROM share_drafts WHERE owner = $1", _draft_owner(req))
    if row is None:
        raise Refusal("There's nothing waiting for your confirmation.")
    await req.tx.execute("DELETE FROM share_drafts WHERE id = $1", row["id"])
    if not confirmed:
        req.say("Cancelled; nothing was posted.")
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
        req.say("You haven't shared anything here yet.")
        return
    lines = ["Your shares (only you can see this):"]
    for item in mine:
        preview = (item.body or "").replace("\n", " ")
        preview = preview[:60] + ("…" if len(preview) > 60 else "")
        lines.append(f"#{item.number} — {item.status}" + (f": {preview}" if preview else ""))
    req.say("\n".join(lines))


async def delete_own(req: Request, word: str | None) -> None:
    reference = store.parse_reference(word)
    if reference is None or reference[1] is not None:
        raise Refusal("Which share? `share delete N`, with the number of one of your shares.")
    number = reference[0]
    found = await store.find_share(req.tx, req.vault, req.community.name, number)
    if (
        found is None
        or not await _is_mine(req, found)
        or found.status in ("deleted", "removed", "rejected")
    ):
        raise Refusal(NO_SUCH_SHARE.format(number=number))
    await take_down_share(req, found, "deleted")
    req.say(f"Share #{number} is taken down and its words are erased.")


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
        raise Refusal(f"There's no share #{reference[0]} here to respond to.")
    return found


async def reply(req: Request) -> None:
    word = req.args.word(0)
    text = req.args.after(1)
    target = await published_share(req, word, "Reply like this: `reply 4 your kind words`.")
    if is_blank(text):
        req.say(_ask_for_reply(target.number))
        return
    await submit_reply(req, target.number, text)


def _ask_for_reply(number: int) -> str:
    return (
        f"What would you like to say to the author of share #{number}? "
        f"`reply {number} YOUR WORDS` — it's posted without your name."
    )


async def submit_reply(req: Request, number: int, text: str, confirmed: bool = False) -> None:
    require_unseen(req, "reply")
    target = await published_share(req, str(number), "Reply like this: `reply 4 your kind words`.")
    if is_blank(text):  # a form's text made only of invisible characters
        raise Refusal(_ask_for_reply(number))
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
        req.say(
            "Thank you for reaching out. Your reply wasn't posted: it's with the "
            "moderators, who will look at it with care."
            + (METHOD_DETAIL_REQUEST.format(what="reply") if crisis.method_detail else "")
        )
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
    req.say(f"Replied anonymously under share #{target.number}.")


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
        await posts.tell_author(
            tx,
            vault,
            target.author(vault, now),
            f"relay:reply:{new.id}",
            f"💬 Someone replied to your share #{target.number}:\n"
            f"{neutralise_mentions(new.body or '')}\n"
            f"Answer with `reply {target.number} YOUR WORDS` — also anonymous.",
            now,
        )


async def support(req: Request) -> None:
    target = await published_share(req, req.args.word(0), "Which share? `support 4`.")
    if await _is_mine(req, target):
        req.say("That's your own share — be gentle with yourself today 💛")
        return
    added = await req.tx.execute(
        "INSERT INTO share_supports (share_id, supporter_key, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (share_id, supporter_key) DO NOTHING",
        target.id,
        target_token(req.member.secret, "support", target.id),
        day_floor(req.now, req.community.zone),
    )
    if added != 1:
        req.say(f"You've already sent support to share #{target.number} 💛")
        return
    await add_relay(req.tx, "support", target.id, req.now)
    req.say(
        f"Sent 🤝 to the author of share #{target.number}. They'll know someone cares — never who."
    )


async def relay_support(ctx: RelayContext, share_id: int, count: int, batch_id: int) -> None:
    """The batched DM: "3 people sent support to your share #4"."""
    target = await store.share_by_id(ctx.tx, ctx.vault, share_id)
    if target is None:
        return
    who = "Someone" if count == 1 else f"{count} people"
    await posts.tell_author(
        ctx.tx,
        ctx.vault,
        target.author(ctx.vault, ctx.now),
        f"relay:support:{batch_id}",
        f"🤝 {who} sent support to your share #{target.number}.",
        ctx.now,
    )


async def report(req: Request) -> None:
    reference = store.parse_reference(req.args.word(0))
    reason = req.args.after(1)
    if reference is None:
        raise Refusal(
            "Report like this: `report 4 why it worries you` (or `report 4.2 …` for a reply)."
        )
    if not reason:
        raise Refusal(
            "Please add a few words on why, so moderators know what to look for: "
            f"`report {req.args.word(0)} REASON`."
        )
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
        raise Refusal(
            f"There's no {'reply' if reply_number else 'share'} #{req.args.word(0)} here to report."
        )
    reporter = target_token(req.member.secret, "report", target.id, reply_number or 0)
    recent = await ratelimits.hits(
        req.tx, req.vault, "report", req.community.name, req.event.member, req.now
    )
    if recent >= req.community.sharing.reports_per_day:
        raise Refusal(
            "You've sent several reports today; moderators have them. If someone is in "
            "danger, please contact a moderator directly."
        )
    same = await req.tx.fetchval(
        "SELECT count(*) FROM share_reports WHERE reporter_key = $1", reporter
    )
    if same:
        req.say("You've reported this already; the moderators have it. Thank you.")
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
        req.vault.seal(REPORT_REASON, report_id, reason[:500]),
        report_id,
    )
    label = f"reply #{number}.{reply_number}" if reply_number else f"share #{number}"
    choices = (
        Choice(
            "Remove it", f"mod remove {number}" + (f".{reply_number}" if reply_number else ""), "🗑️"
        ),
    )
    await posts.tell_moderators(
        req.tx,
        req.vault,
        req.community,
        f"report:{report_id}",
        f"🚩 Report on {label}: {neutralise_mentions(reason[:500])}",
        req.now,
        choices,
    )
    req.say("Thank you. The moderators have your report; they won't see who sent it.")
