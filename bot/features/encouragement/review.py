"""Encouragement notes in the one `mod queue`: waiting for vetting or held as a
possible crisis, approved (they may reach someone) or rejected (their words
erased, their writer told kindly) with `mod approve e3` / `mod reject e3`."""

from __future__ import annotations

from bot import outbox
from bot.features.encouragement import notes
from bot.moderators import HeldKind
from bot.port import Member, Message, Place
from bot.requests import Refusal, Request, preview
from bot.safety import care
from bot.texts import text

# Not the ✅/❌ offered on the post: a mark other moderators can tell apart.
APPROVED, REJECTED = "☑️", "✖️"


async def pending_lines(req: Request) -> list[str]:
    rows = await req.tx.fetch(
        f"SELECT * FROM {notes.TABLE} WHERE community = $1 AND status IN ('pending', 'held') "
        "ORDER BY number",
        req.community.name,
    )
    lines = []
    for row in rows:
        note = notes.note_from(row, req.vault)
        line = "encouragement.queue_line_held" if note.crisis else "encouragement.queue_line"
        lines.append(req.t(line, reference=note.reference, words=preview(note.body or "")))
    return lines


async def _waiting(req: Request, number: int) -> notes.Note:
    note = await notes.find(req.tx, req.vault, req.community.name, number)
    if note is None or note.status not in ("pending", "held"):
        raise Refusal(req.t("encouragement.not_waiting", reference=f"{notes.HELD_PREFIX}{number}"))
    return note


async def _mark_decided(req: Request, note: notes.Note, emoji: str) -> None:
    """Mark the queue channel's post of the note as decided, for the other moderators."""
    community = req.community
    if not community.channels.mod_queue:
        return
    if note.crisis:
        posted = f"alert:{community.name}:{notes.alert_reference(note.number)}"
    else:
        posted = notes.queue_key(community.name, note.number)
    place = Place.channel(community.platform, community.channels.mod_queue)
    await outbox.enqueue_react(
        req.tx, req.vault, f"handled:{posted}", place, posted, emoji, req.now
    )


async def approve(req: Request, number: int) -> None:
    note = await _waiting(req, number)
    await req.tx.execute(f"UPDATE {notes.TABLE} SET status = 'approved' WHERE id = $1", note.id)
    author = note.author(req.vault, req.now)
    if author is not None:
        locale = await notes.author_locale(req.tx, req.vault, author, req.community)
        await outbox.enqueue(  # no member id on the row: the writer stays sealed
            req.tx,
            req.vault,
            f"decision:encouragement:{note.id}",
            Place.dm(author),
            Message(text("encouragement.approved_dm", locale)),
            req.now,
        )
    await _mark_decided(req, note, APPROVED)
    req.say(req.t("encouragement.approved", reference=note.reference))


async def reject(req: Request, number: int, reason: str) -> None:
    note = await _waiting(req, number)
    author = note.author(req.vault, req.now)
    await notes.erase_words(req.tx, note.id, "rejected")
    if author is not None:
        locale = await notes.author_locale(req.tx, req.vault, author, req.community)
        if note.crisis:  # answered with care, and the offer of a moderator's contact
            message = await _declined_with_care(req, author, reason, locale)
        elif reason:
            message = Message(text("encouragement.rejected_dm_reason", locale, reason=reason))
        else:
            message = Message(text("encouragement.rejected_dm", locale))
        await outbox.enqueue(
            req.tx,
            req.vault,
            f"decision:encouragement:{note.id}",
            Place.dm(author),
            message,
            req.now,
        )
    await _mark_decided(req, note, REJECTED)
    req.say(req.t("encouragement.rejected", reference=note.reference))


async def _declined_with_care(req: Request, author: Member, reason: str, locale: str) -> Message:
    """Never a verdict: the way to people and, unless answered, a moderator's contact."""
    if reason:
        words = text("encouragement.declined_crisis_reason", locale, reason=reason)
    else:
        words = text("encouragement.declined_crisis", locale)
    if await care.contact_answered(req, author):
        return Message(words)
    offer = text("safety.contact_offer", locale)
    return Message(f"{words}\n{offer}", choices=care.contact_choices(locale))


HELD = HeldKind(
    prefix=notes.HELD_PREFIX,
    noun="encouragement note",
    pending=pending_lines,
    approve=approve,
    reject=reject,
)
