"""A note for a day like today: after a check-in of mood 1 or 2, a member who asked
for them (`checkin encouragement on`) receives one approved note by DM — at most one
a day, never one they wrote, never the same one twice, and never right after words
that sounded like a crisis (those are met with resources, not a stranger's words).
A one-tap thank-you reaches the writer anonymously, batched (bot/relays.py).

Who received which note is kept as a token of (receiver, note) alone, undated: a
copy of the database cannot tell who received a note, nor that two notes reached
the same member. Nothing is counted for anyone: no totals, no leaderboards."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot import members, outbox, ratelimits, relays
from bot.anonymity import own_tokens, target_token
from bot.events import CareGiven, CheckinSaved
from bot.features.encouragement import notes
from bot.localtime import delay_for_quiet
from bot.port import Choice, Message, Place
from bot.relays import RelayContext
from bot.requests import Args, Refusal, Request, preview
from bot.safety.mentions import neutralise_mentions
from bot.texts import plural

THANKS_EMOJI = "💛"
RELAY = "encouragement_thanks"
#: after words that sounded like a crisis, no note for this long (a keyed mark)
CRISIS_PAUSE = timedelta(days=1)
_CRISIS_MARK = "encouragement-paused"
LOW_MOODS = (1, 2)
PROBE = 16  # notes looked at per statement when finding one this member has not had
QUOTED = 80  # how much of the note the thank-you quotes to its writer


def receipt_token(secret: bytes, note_id: int) -> str:
    """That this member received note `note_id`: a token for this note only."""
    return target_token(secret, "encouragement-received", note_id)


# --- checkin encouragement on|off ----------------------------------------------------------


async def opt(req: Request) -> None:
    """`checkin encouragement on|off` (the words after `checkin encouragement`)."""
    word = req.args.word(0)
    member_id, community = req.member.id, req.community.name
    if word is None:
        found = await req.tx.fetchval(
            "SELECT count(*) FROM encouragement_optins WHERE member_id = $1 AND community = $2",
            member_id,
            community,
        )
        req.say(req.t("encouragement.optin_is_on" if found else "encouragement.optin_is_off"))
        return
    if word not in ("on", "off") or len(req.args.words) > 1:
        raise Refusal(req.t("encouragement.optin_how"))
    if word == "on":
        notes.require_on(req)
        await req.tx.execute(
            "INSERT INTO encouragement_optins (member_id, community) VALUES ($1, $2) "
            "ON CONFLICT (member_id, community) DO NOTHING",
            member_id,
            community,
        )
        req.say(req.t("encouragement.optin_on"))
        return
    await req.tx.execute(
        "DELETE FROM encouragement_optins WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    req.say(req.t("encouragement.optin_off"))


# --- delivery ----------------------------------------------------------------------------


async def on_care(req: Request, event: CareGiven) -> None:
    """The crisis check heard this member's words (a share, a reply, a DM…): for a day,
    a low check-in brings resources, not a stranger's note."""
    if event.soft:
        return  # a check-in of mood 1 alone: a note may still come
    await ratelimits.count(
        req.tx, req.vault, _CRISIS_MARK, req.community.name, req.event.member, req.now, CRISIS_PAUSE
    )


async def on_checkin(req: Request, event: CheckinSaved) -> None:
    if event.mood not in LOW_MOODS or event.crisis or not req.community.peers.encouragement:
        return
    tx, community, member = req.tx, req.community, req.member
    wanted = await tx.fetchrow(
        "SELECT last_note_on FROM encouragement_optins WHERE member_id = $1 AND community = $2",
        member.id,
        community.name,
    )
    if wanted is None or wanted["last_note_on"] == event.day.isoformat():
        return  # not asked for, or one came today already
    paused = await ratelimits.seconds_left(
        tx, req.vault, _CRISIS_MARK, community.name, member.member, req.now
    )
    if paused:
        return
    note = await _pick(req)
    if note is None:
        return
    await tx.execute(
        "INSERT INTO encouragement_receipts (note_id, receiver_key) VALUES ($1, $2)",
        note.id,
        receipt_token(member.secret, note.id),
    )
    await tx.execute(
        "UPDATE encouragement_optins SET last_note_on = $1 WHERE member_id = $2 AND community = $3",
        event.day.isoformat(),
        member.id,
        community.name,
    )
    words = neutralise_mentions(note.body or "")
    await outbox.enqueue(
        tx,
        req.vault,
        f"encouragement:{note.id}:{member.id}",
        member.dm,
        Message(
            req.t("encouragement.for_you", note=words),
            choices=(
                Choice(
                    req.t("encouragement.thanks_choice"),
                    f"encourage thanks {note.number}",
                    THANKS_EMOJI,
                ),
            ),
        ),
        req.now,
        member_id=member.id,
    )
    notes.count(req, "delivered")


async def _pick(req: Request) -> notes.Note | None:
    """One approved note here, at random, neither the member's own nor one they had."""
    tx, community, secret = req.tx, req.community.name, req.member.secret
    rows = await tx.fetch(
        f"SELECT id, owner FROM {notes.TABLE} WHERE community = $1 AND status = 'approved'",
        community,
    )
    if not rows:
        return None
    mine = set(await own_tokens(tx, notes.TABLE, secret, notes.KIND, community))
    candidates = [row["id"] for row in rows if row["owner"] not in mine]
    secrets.SystemRandom().shuffle(candidates)
    for start in range(0, len(candidates), PROBE):
        batch = candidates[start : start + PROBE]
        tokens = {receipt_token(secret, note_id): note_id for note_id in batch}
        marks = ", ".join(f"${i + 1}" for i in range(len(tokens)))
        had = await tx.fetch(
            f"SELECT note_id FROM encouragement_receipts WHERE receiver_key IN ({marks})",
            *tokens,
        )
        received = {row["note_id"] for row in had}
        for note_id in batch:
            if note_id not in received:
                return await notes.by_id(tx, req.vault, note_id)
    return None


# --- thank-yous ---------------------------------------------------------------------------


async def thank(req: Request, args: Args) -> None:
    """`encourage thanks 3`: the one tap under a note that reached you."""
    number = int((args.word(1) or "").lstrip("#"))
    note = await notes.find(req.tx, req.vault, req.community.name, number)
    token = receipt_token(req.member.secret, note.id) if note else ""
    thanked = await req.tx.fetchval(
        "SELECT thanked FROM encouragement_receipts WHERE note_id = $1 AND receiver_key = $2",
        note.id if note else 0,
        token,
    )
    if note is None or thanked is None:
        raise Refusal(req.t("encouragement.thanks_not_yours"))
    if thanked:
        req.say(req.t("encouragement.thanks_already"))
        return
    await req.tx.execute(
        "UPDATE encouragement_receipts SET thanked = 1 WHERE note_id = $1 AND receiver_key = $2",
        note.id,
        token,
    )
    if note.status == "approved":
        await relays.add(req.tx, RELAY, note.id, req.now)
    notes.count(req, "thanked")
    req.say(req.t("encouragement.thanks_sent"))


async def relay_thanks(ctx: RelayContext, note_id: int, count: int, batch_id: int) -> None:
    """The batched DM to the writer, while their link lasts: who thanked is never said."""
    note = await notes.by_id(ctx.tx, ctx.vault, note_id)
    community = ctx.config.community(note.community) if note else None
    if note is None or community is None or note.status != "approved":
        return  # erased by its writer, or the community left the config
    author = note.author(ctx.vault, ctx.now)
    record = await members.find(ctx.tx, ctx.vault, author) if author else None
    if author is None or record is None:
        return  # the link expired or the writer left: nobody to tell
    locale = ctx.locale_for(record, community.name)
    words = neutralise_mentions(preview(note.body or "", QUOTED))
    zone = record.zone(community.checkins.default_timezone)
    await outbox.enqueue(
        ctx.tx,
        ctx.vault,
        f"encouragement-thanks:{batch_id}",
        Place.dm(author),  # no member id on the row: the writer stays sealed
        Message(plural("encouragement.thanked", count, locale, note=words)),
        ctx.now,
        not_before=delay_for_quiet(ctx.now, zone, record.quiet),
    )
