"""Posts in the celebrations channel, `celebrate TEXT [anonymous]`, `cheer N`,
and the batched "people cheered your celebration" DM.

An anonymous celebration stores no member id: only the author's owner token
(bot/anonymity.py) and an expiring sealed link, so cheers can still reach them.
One reached automatically (a milestone, a streak) goes out after a random
delay, so its post does not line up with the moment the member's counter
reached it; the day is all the database keeps of when it was posted.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot import members, outbox, relays, texts
from bot.anonymity import new_token, open_link, own_tokens, seal_link, target_token
from bot.config import Community
from bot.localtime import day_floor, delay_for_quiet
from bot.members import MemberRecord
from bot.moderators import HeldKind
from bot.port import Choice, Member, Message, Place
from bot.relays import RelayContext
from bot.requests import Args, Refusal, Request, is_blank, preview, require_unseen
from bot.safety import care
from bot.safety.crisis import CrisisMatch
from bot.safety.mentions import neutralise_mentions
from bot.storage import Transaction
from bot.vault import CELEBRATION_AUTHOR, CELEBRATION_BODY, CELEBRATION_KIND, Vault

log = logging.getLogger(__name__)

CHEER_EMOJI = "🎉"


# An anonymous post reached automatically goes out this long after it was reached.
ANONYMOUS_DELAY = (timedelta(minutes=20), timedelta(hours=6))
AUTOMATIC = ("milestone", "streak")


def cheer_token(member: MemberRecord, celebration_id: int) -> str:
    """Who cheered, as a token for this celebration only: cheering never links to
    another cheer, nor to anything they posted anonymously."""
    return target_token(member.secret, "cheer", celebration_id)


async def public_name(tx: Transaction, vault: Vault, member: MemberRecord) -> str | None:
    """How others see the member (the last display name seen), mention-free; None when
    no name is known: the post then says it without one, never the platform id."""
    name = await members.display_name(tx, vault, member.id)
    return neutralise_mentions(name) if name else None


async def remember_name(req: Request) -> None:
    """Keep the display name this event came with, for posts made later by a job."""
    await members.remember_name(req.tx, req.vault, req.member.id, req.event.display_name)


def shared_note(anonymous: bool, locale: str = texts.ENGLISH) -> str:
    """What the member is told about the channel post of a milestone or streak."""
    return texts.text(
        "milestones.shared_anonymous" if anonymous else "milestones.shared_named", locale
    )


def anonymous_delay() -> timedelta:
    low, high = (int(span.total_seconds()) for span in ANONYMOUS_DELAY)
    return timedelta(seconds=low + secrets.randbelow(high - low))


async def post(
    tx: Transaction,
    vault: Vault,
    community: Community,
    author: MemberRecord,
    *,
    anonymous: bool,
    kind: str,
    text: str,
    now: datetime,
) -> int | None:
    """Post `text` (already worded) with a Cheer choice; return its number.

    None when the community has no celebrations channel."""
    if not community.channels.celebrations:
        return None
    celebration_id, number = await _insert(
        tx, vault, community, author, anonymous=anonymous, kind=kind, now=now
    )
    await _send(
        tx,
        vault,
        community,
        number,
        text,
        now,
        # A named post goes with the member's data; an anonymous one names no one.
        member_id=None if anonymous else author.id,
        delayed=anonymous and kind in AUTOMATIC,
    )
    return number


async def _insert(
    tx: Transaction,
    vault: Vault,
    community: Community,
    author: MemberRecord,
    *,
    anonymous: bool,
    kind: str,
    now: datetime,
    held_text: str | None = None,
) -> tuple[int, int]:
    """A celebration's row, numbered; held for review when `held_text` is given."""
    number = await tx.fetchval(
        "INSERT INTO celebration_numbers (community, last_number) VALUES ($1, 1) "
        "ON CONFLICT (community) DO UPDATE SET last_number = celebration_numbers.last_number + 1 "
        "RETURNING last_number",
        community.name,
    )
    celebration_id = await tx.fetchval(
        "INSERT INTO celebrations (community, number, kind, member_id, owner, posted_at, status) "
        "VALUES ($1, $2, '', $3, $4, $5, $6) RETURNING id",
        community.name,
        number,
        None if anonymous else author.id,
        await new_token(tx, "celebrations", author.secret, "celebration", community.name)
        if anonymous
        else None,
        day_floor(now, community.zone),
        "posted" if held_text is None else "held",
    )
    await tx.execute(  # what it celebrates: sealed, so a copy cannot match it to a counter
        "UPDATE celebrations SET kind = $1, body = $2 WHERE id = $3",
        vault.seal(CELEBRATION_KIND, celebration_id, kind),
        None if held_text is None else vault.seal(CELEBRATION_BODY, celebration_id, held_text),
        celebration_id,
    )
    if anonymous:
        link = seal_link(
            vault,
            CELEBRATION_AUTHOR,
            celebration_id,
            author.member,
            now,
            community.sharing.link_days,
        )
        await tx.execute(
            "UPDATE celebrations SET author_link = $1, author_link_expires_at = $2 WHERE id = $3",
            link.token,
            link.expires_at,
            celebration_id,
        )
    return celebration_id, number


async def _send(
    tx: Transaction,
    vault: Vault,
    community: Community,
    number: int,
    text: str,
    now: datetime,
    *,
    member_id: int | None,
    delayed: bool = False,
) -> None:
    """Queue the channel post of celebration `number`, with its Cheer choice."""
    message = Message(
        neutralise_mentions(text),
        choices=(  # a channel post: the community's language
            Choice(
                texts.text("milestones.cheer_choice", community.language),
                f"cheer {number}",
                CHEER_EMOJI,
            ),
        ),
    )
    await outbox.enqueue(
        tx,
        vault,
        f"celebration:{community.name}:{number}",
        Place.channel(community.platform, community.channels.celebrations),
        message,
        now,
        member_id=member_id,
        not_before=now + anonymous_delay() if delayed else None,
    )
    log.info("celebration %s #%s posted", community.name, number)


# --- celebrate -----------------------------------------------------------------


def asks_anonymity(args: Args) -> bool:
    """`celebrate TEXT anonymous`: words nobody should see being typed."""
    words = args.words
    return bool(words) and words[-1].lower() == "anonymous"


async def submit_win(req: Request) -> None:
    """The win form: the member's words, anonymous when they ticked it."""
    words = req.fields.get("text", "").strip()
    req.args = Args(f"{words} anonymous" if req.values.get("anonymous") else words)
    await celebrate(req)


async def celebrate(req: Request) -> None:
    anonymous = asks_anonymity(req.args)
    text = req.args.text.strip()
    if anonymous:
        text = text[: text.lower().rfind("anonymous")].strip()
    if is_blank(text):
        raise Refusal(req.t("milestones.celebrate_what"))
    lang = req.community.language  # a channel post: the community's language
    await remember_name(req)
    name = None if anonymous else await public_name(req.tx, req.vault, req.member)
    if anonymous:
        worded = texts.text("milestones.win_post_anonymous", lang, words=text)
    elif name:
        worded = texts.text("milestones.win_post_named", lang, name=name, words=text)
    else:
        worded = texts.text("milestones.win_post_unnamed", lang, words=text)
    match = care.crisis_in(text, req.community)
    if match is not None:
        await _hold_back(req, text, worded, anonymous, match)
        return
    community = req.community
    if not community.channels.celebrations:
        raise Refusal(req.t("milestones.celebrate_no_channel"))
    if anonymous:
        require_unseen(req, "milestones.celebrate_anonymous_in_dm")
    limit = community.sharing.max_length
    if len(text) > limit:
        raise Refusal(req.t("milestones.celebrate_too_long", length=len(text), limit=limit))
    number = await post(
        req.tx,
        req.vault,
        community,
        req.member,
        anonymous=anonymous,
        kind="win",
        text=worded,
        now=req.now,
    )
    if anonymous:
        req.say(req.t("milestones.celebrated_anonymous", number=number))
    else:
        req.say(req.t("milestones.celebrated_named", number=number))


async def _hold_back(
    req: Request, text: str, worded: str, anonymous: bool, match: CrisisMatch
) -> None:
    """Not posted: resources for the member now; the words (never who) wait in the
    mod queue, where a moderator may still post them as the member chose."""
    community = req.community
    number = None
    if community.channels.celebrations:
        _, number = await _insert(
            req.tx,
            req.vault,
            community,
            req.member,
            anonymous=anonymous,
            kind="win",
            now=req.now,
            held_text=worded,
        )
    reference = f"{HELD_PREFIX}{number}"
    lang = community.language  # the mod queue: the community's language
    alerted = await care.alert_moderators(
        req.tx,
        req.vault,
        community,
        what=texts.text("milestones.alert_what_numbered", lang, reference=reference)
        if number
        else texts.text("milestones.alert_what", lang),
        # Nothing in the key points back to the member: the number the alert shows
        # anyway (so the decision can mark it), or, with nothing to decide, a random one.
        reference=_alert_reference(number),
        text=text[: community.sharing.max_length],
        match=match,
        now=req.now,
        choices=(
            Choice(texts.text("milestones.approve_choice", lang), f"mod approve {reference}", "✅"),
            Choice(texts.text("milestones.reject_choice", lang), f"mod reject {reference}", "❌"),
        )
        if number
        else (),
    )
    held_back = req.t("milestones.held_back")
    if number:
        held_back = f"{held_back} {req.t('milestones.held_back_queued')}"
    elif alerted:
        held_back = f"{held_back} {req.t('milestones.held_back_alerted')}"
    req.say(held_back)
    await care.offer_care(req, offer_contact=False, language=match.language)


# --- held celebrations in the mod queue ----------------------------------------------

HELD_PREFIX = "c"  # `mod approve c7`: never mistaken for share #7


async def held_lines(req: Request) -> list[str]:
    rows = await req.tx.fetch(
        "SELECT id, number, body FROM celebrations WHERE community = $1 AND status = 'held' "
        "ORDER BY number",
        req.community.name,
    )
    return [
        req.t(
            "milestones.held_line",
            reference=f"{HELD_PREFIX}{row['number']}",
            preview=preview(_words(req.vault.open(CELEBRATION_BODY, row["id"], row["body"]))),
        )
        for row in rows
    ]


def _words(worded: str) -> str:
    """The member's own words of a worded post ("🎉 A win from …:\nWORDS")."""
    return worded.split("\n", 1)[-1]


async def _held(req: Request, number: int) -> Any:
    row = await req.tx.fetchrow(
        "SELECT * FROM celebrations WHERE community = $1 AND number = $2",
        req.community.name,
        number,
    )
    if row is None or row["status"] != "held":
        raise Refusal(req.t("milestones.not_held", reference=f"{HELD_PREFIX}{number}"))
    return row


async def _held_author(req: Request, row: Any) -> Member | None:
    if row["member_id"] is not None:
        record = await members.by_id(req.tx, req.vault, row["member_id"])
        return record.member if record else None
    return open_link(
        req.vault,
        CELEBRATION_AUTHOR,
        row["id"],
        row["author_link"],
        row["author_link_expires_at"],
        req.now,
    )


async def _locale_of(req: Request, author: Member) -> str:
    """The author's language (req is the moderator's request)."""
    record = await members.find(req.tx, req.vault, author)
    return members.locale_for(record, req.community.language) if record else req.community.language


def _alert_reference(number: int | None) -> str:
    return f"celebration-held:{number}" if number else f"celebration-held:{secrets.token_hex(8)}"


# Not the ✅/❌ offered on the alert: a mark other moderators can tell apart.
APPROVED, REJECTED = "☑️", "✖️"


async def _mark_decided(req: Request, number: int, emoji: str) -> None:
    """Mark the crisis alert in the mod queue as decided, for the other moderators."""
    community = req.community
    if not community.channels.mod_queue:
        return
    alert = f"alert:{community.name}:{_alert_reference(number)}"  # bot/safety/care.py's key
    place = Place.channel(community.platform, community.channels.mod_queue)
    await outbox.enqueue_react(req.tx, req.vault, f"handled:{alert}", place, alert, emoji, req.now)


async def approve_held(req: Request, number: int) -> None:
    """Post a held celebration as its author chose: with their name, or without."""
    row = await _held(req, number)
    text = req.vault.open(CELEBRATION_BODY, row["id"], row["body"])
    await req.tx.execute(
        "UPDATE celebrations SET status = 'posted', body = NULL WHERE id = $1", row["id"]
    )
    await _send(req.tx, req.vault, req.community, number, text, req.now, member_id=row["member_id"])
    author = await _held_author(req, row)
    if author is not None:
        await outbox.enqueue(
            req.tx,
            req.vault,
            f"decision:celebration:{row['id']}",
            Place.dm(author),
            # in the author's language, not the moderator's
            Message(
                texts.text(
                    "milestones.held_posted_dm", await _locale_of(req, author), number=number
                )
            ),
            req.now,
            member_id=row["member_id"],
        )
    await _mark_decided(req, number, APPROVED)
    req.say(req.t("milestones.held_posted", reference=f"{HELD_PREFIX}{number}", number=number))


async def reject_held(req: Request, number: int, note: str) -> None:
    """Keep a held celebration out of the channel: its words are erased, its author
    hears it with care and the offer of a moderator's contact."""
    row = await _held(req, number)
    author = await _held_author(req, row)
    await req.tx.execute(
        "UPDATE celebrations SET status = 'rejected', body = NULL WHERE id = $1", row["id"]
    )
    if author is not None:
        locale = await _locale_of(req, author)
        await outbox.enqueue(
            req.tx,
            req.vault,
            f"decision:celebration:{row['id']}",
            Place.dm(author),
            await care.declined_with_care(
                req, author, texts.text("milestones.declined_what", locale), note, locale=locale
            ),
            req.now,
            member_id=row["member_id"],
        )
    await _mark_decided(req, number, REJECTED)
    reference = f"{HELD_PREFIX}{number}"
    if author is not None:
        req.say(req.t("milestones.held_rejected_told", reference=reference))
    else:
        req.say(req.t("milestones.held_rejected", reference=reference))


HELD = HeldKind(
    prefix=HELD_PREFIX,
    noun="celebration",
    pending=held_lines,
    approve=approve_held,
    reject=reject_held,
)


# --- cheers ----------------------------------------------------------------------


async def cheer(req: Request) -> None:
    word = (req.args.word(0) or "").lstrip("#")
    if not word.isdecimal():
        raise Refusal(req.t("milestones.cheer_which"))
    number = int(word)
    row = await req.tx.fetchrow(
        "SELECT id, member_id, owner FROM celebrations WHERE community = $1 AND number = $2 "
        "AND status = 'posted'",
        req.community.name,
        number,
    )
    if row is None:
        posted = await req.tx.fetchval(
            "SELECT count(*) FROM celebrations WHERE community = $1 AND status = 'posted'",
            req.community.name,
        )
        missing = "milestones.cheer_not_found" if posted else "milestones.cheer_none_yet"
        raise Refusal(req.t(missing, number=number))
    mine = row["member_id"] == req.member.id or row["owner"] in await own_tokens(
        req.tx, "celebrations", req.member.secret, "celebration", req.community.name
    )
    if mine:
        req.say(req.t("milestones.cheer_own"))
        return
    added = await req.tx.execute(
        "INSERT INTO celebration_cheers (celebration_id, cheerer_key, cheered_at) "
        "VALUES ($1, $2, $3) ON CONFLICT (celebration_id, cheerer_key) DO NOTHING",
        row["id"],
        cheer_token(req.member, row["id"]),
        day_floor(req.now, req.community.zone),
    )
    if added != 1:
        req.say(req.t("milestones.cheer_already", number=number))
        return
    await relays.add(req.tx, "cheer", row["id"], req.now)
    req.say(req.t("milestones.cheer_sent", number=number))


async def relay_cheers(
    context: RelayContext, celebration_id: int, count: int, batch_id: int
) -> None:
    """The relay resolver for "cheer": one DM per batch, after quiet hours."""
    tx = context.tx
    row = await tx.fetchrow("SELECT * FROM celebrations WHERE id = $1", celebration_id)
    community = context.config.community(row["community"]) if row else None
    if row is None or community is None:
        return  # taken down, or the community left the config
    if row["member_id"] is not None:
        author = await members.by_id(tx, context.vault, row["member_id"])
    else:
        platform_member = open_link(
            context.vault,
            CELEBRATION_AUTHOR,
            celebration_id,
            row["author_link"],
            row["author_link_expires_at"],
            context.now,
        )
        author = await members.find(tx, context.vault, platform_member) if platform_member else None
    if author is None:
        return  # the link expired or the author left: nobody to tell
    zone = author.zone(community.checkins.default_timezone)
    await outbox.enqueue(
        tx,
        context.vault,
        f"cheers:{batch_id}",
        author.dm,
        Message(  # the author's language
            texts.plural(
                "milestones.cheered",
                count,
                members.locale_for(author, community.language),
                number=row["number"],
            )
        ),
        context.now,
        # Kept off the row for an anonymous celebration: no id next to it in the clear.
        member_id=row["member_id"],
        not_before=delay_for_quiet(context.now, zone, author.quiet),
    )
