"""A member's encouragement data for `mydata export` and `mydata delete`: the notes
they wrote (found by recomputing their owner tokens, never through a stored link),
the notes that reached them (their receipt tokens) and whether they asked for notes."""

from __future__ import annotations

from typing import Any

from bot.features.encouragement import notes
from bot.features.encouragement.delivery import receipt_token
from bot.requests import Request


def _communities(req: Request) -> list[str]:
    return [c.name for c in req.config.communities_on(req.event.member.platform)]


async def _received(req: Request, community: str) -> list[Any]:
    """The receipts of notes that reached this member in `community`."""
    rows = await req.tx.fetch(
        "SELECT r.note_id, r.receiver_key, r.thanked FROM encouragement_receipts r "
        f"JOIN {notes.TABLE} n ON n.id = r.note_id WHERE n.community = $1",
        community,
    )
    secret = req.member.secret
    return [row for row in rows if row["receiver_key"] == receipt_token(secret, row["note_id"])]


async def export(req: Request) -> dict[str, Any]:
    written, received, asked = [], [], []
    for community in _communities(req):
        for note in await notes.written_by(req.tx, req.vault, community, req.member.secret):
            written.append(
                {
                    "community": community,
                    "reference": note.reference,
                    "status": note.status,
                    "text": note.body,
                }
            )
        for row in await _received(req, community):
            received.append({"community": community, "you_said_thank_you": bool(row["thanked"])})
        found = await req.tx.fetchrow(
            "SELECT last_note_on FROM encouragement_optins WHERE member_id = $1 AND community = $2",
            req.member.id,
            community,
        )
        if found is not None:
            asked.append({"community": community, "last_note_on": found["last_note_on"]})
    return {
        "encouragement_notes_you_wrote": written,
        "encouragement_notes_you_received": received,
        "encouragement_notes_asked_for": asked,
    }


async def erase(req: Request) -> None:
    """The notes they wrote lose their words and link (no one receives them again), what
    reached them and their opt-in go. A note's row stays, its owner token pointing to
    no one once the member's secret is gone with their row."""
    for community in _communities(req):
        for note in await notes.written_by(req.tx, req.vault, community, req.member.secret):
            if note.status != "deleted":
                await notes.erase_words(req.tx, note.id, "deleted")
        for row in await _received(req, community):
            await req.tx.execute(
                "DELETE FROM encouragement_receipts WHERE note_id = $1 AND receiver_key = $2",
                row["note_id"],
                row["receiver_key"],
            )
    await req.tx.execute("DELETE FROM encouragement_optins WHERE member_id = $1", req.member.id)
