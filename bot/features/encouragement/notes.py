"""`encourage TEXT`: a short kind note for someone having a hard day, checked like a
share before anyone reads it (SPEC §2 "Peers supporting peers").

A note stores no member: its words are sealed, its writer is an owner token only
they can recompute and an expiring sealed link (bot/anonymity.py) so a thank-you
can reach them, and it is dated to the day. A note that sounds like a crisis is
held for moderators, its writer answered with care; with vetting on, every note
waits in `mod queue` first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import members, outbox, ratelimits
from bot.anonymity import new_token, open_link, own_tokens, seal_link
from bot.blocks import active_block
from bot.config import Community
from bot.features.encouragement.commands import NOTE_MAX_LENGTH
from bot.localtime import day_floor
from bot.metrics import EncouragementOutcome
from bot.port import Choice, Member, Message, Place
from bot.requests import Refusal, Request, is_blank, require_unseen
from bot.safety import care
from bot.safety.crisis import CrisisMatch
from bot.safety.mentions import neutralise_mentions
from bot.safety.screening import has_blocked_term, identifying_details
from bot.storage import Transaction
from bot.texts import text
from bot.vault import ENCOURAGEMENT_AUTHOR, ENCOURAGEMENT_BODY, Vault

TABLE = "encouragement_notes"
KIND = "encouragement"  # the owner tokens' kind (bot/anonymity.py)
HELD_PREFIX = "e"  # `mod approve e3`: never mistaken for share #3
COOLDOWN = "encourage"  # the cooldown's mark (bot/ratelimits.py)


@dataclass(frozen=True)
class Note:
    id: int
    community: str
    number: int
    status: str
    crisis: bool
    body: str | None
    owner: str
    author_link: str | None
    author_link_expires_at: int | None

    @property
    def reference(self) -> str:
        return f"{HELD_PREFIX}{self.number}"

    def author(self, vault: Vault, now: datetime) -> Member | None:
        return open_link(
            vault, ENCOURAGEMENT_AUTHOR, self.id, self.author_link, self.author_link_expires_at, now
        )


def note_from(row: object, vault: Vault) -> Note:
    sealed = row["body"]  # type: ignore[index]
    return Note(
        id=row["id"],  # type: ignore[index]
        community=row["community"],  # type: ignore[index]
        number=row["number"],  # type: ignore[index]
        status=row["status"],  # type: ignore[index]
        crisis=bool(row["crisis"]),  # type: ignore[index]
        body=vault.open(ENCOURAGEMENT_BODY, row["id"], sealed) if sealed else None,  # type: ignore[index]
        owner=row["owner"],  # type: ignore[index]
        author_link=row["author_link"],  # type: ignore[index]
        author_link_expires_at=row["author_link_expires_at"],  # type: ignore[index]
    )


async def find(tx: Transaction, vault: Vault, community: str, number: int) -> Note | None:
    row = await tx.fetchrow(
        f"SELECT * FROM {TABLE} WHERE community = $1 AND number = $2", community, number
    )
    return note_from(row, vault) if row else None


async def by_id(tx: Transaction, vault: Vault, note_id: int) -> Note | None:
    row = await tx.fetchrow(f"SELECT * FROM {TABLE} WHERE id = $1", note_id)
    return note_from(row, vault) if row else None


async def written_by(tx: Transaction, vault: Vault, community: str, secret: bytes) -> list[Note]:
    """A member's own notes here, found by recomputing their owner tokens."""
    mine = await own_tokens(tx, TABLE, secret, KIND, community)
    if not mine:
        return []
    marks = ", ".join(f"${i + 1}" for i in range(len(mine)))
    rows = await tx.fetch(f"SELECT * FROM {TABLE} WHERE owner IN ({marks}) ORDER BY number", *mine)
    return [note_from(row, vault) for row in rows]


async def erase_words(tx: Transaction, note_id: int, status: str) -> None:
    """The words and the link go; the row stays (owner tokens are dense, bot/anonymity.py)."""
    await tx.execute(
        f"UPDATE {TABLE} SET status = $1, body = NULL, author_link = NULL, "
        "author_link_expires_at = NULL WHERE id = $2",
        status,
        note_id,
    )


# --- writing ---------------------------------------------------------------------------


def is_thanks(words: list[str]) -> bool:
    """`encourage thanks 3` (the choice under a note that reached you): exactly that shape,
    so a note that begins "Thanks to…" is a note."""
    return len(words) == 2 and words[0].lower() == "thanks" and words[1].lstrip("#").isdecimal()


def require_on(req: Request) -> None:
    """Refuse kindly where the community turned notes off (`peers.encouragement`)."""
    if not req.community.peers.encouragement:
        raise Refusal(req.t("encouragement.not_here"))


async def write(req: Request, words: str) -> None:
    require_on(req)
    require_unseen(
        req, "encouragement.dm_only_slash" if req.private_commands else "encouragement.dm_only"
    )
    if is_blank(words):
        raise Refusal(req.t("encouragement.what_to_write"))
    community = req.community
    crisis = care.crisis_in(words, community)
    limit = min(NOTE_MAX_LENGTH, community.sharing.max_length)
    if len(words) > limit:
        raise Refusal(
            req.t("encouragement.too_long", length=len(words), limit=limit),
            also=(await care.care_message(req, crisis.language),) if crisis else (),
        )
    if not crisis:  # a possible crisis is held whatever else: nobody in crisis is turned away
        await _check_rules(req, words)
    status = "held" if crisis else "pending" if community.sharing.vetting else "approved"
    note = await _insert(req, words, status, crisis=bool(crisis))
    if not crisis:
        await _start_cooldown(req)
    if crisis:
        await _hold(req, note, words, crisis)
        req.say(req.t("encouragement.held"))
        await care.offer_care(req, offer_contact=False, language=crisis.language)
    elif status == "pending":
        await _queue_for_review(req.tx, req.vault, community, note, words, req.now)
        req.say(req.t("encouragement.pending"))
    else:
        req.say(req.t("encouragement.ready"))
    # Not logged: a log line beside the event's own would tie the note to its writer.
    count(req, "held" if crisis else "written")


def count(req: Request, outcome: EncouragementOutcome) -> None:
    """A deployment total at /metrics: never a member, a community or words."""
    if req.metrics is not None:
        req.metrics.encouragement(outcome)


async def _check_rules(req: Request, words: str) -> None:
    community = req.community
    if has_blocked_term(words, community.sharing.blocked_terms):
        raise Refusal(req.t("encouragement.blocked_terms"))
    member = req.event.member
    if await active_block(req.tx, req.vault, community.name, member, req.now):
        raise Refusal(req.t("encouragement.author_blocked"))
    left = await ratelimits.seconds_left(
        req.tx, req.vault, COOLDOWN, community.name, member, req.now
    )
    if left:
        raise Refusal(req.plural("encouragement.cooldown", max(1, round(left / 60))))
    found = identifying_details(words)
    if found:
        # A note travels to a stranger's DM: nothing in it may point to anyone.
        details = req.t(found[0])
        for more in found[1:]:
            details = req.t("sharing.details_and", first=details, second=req.t(more))
        raise Refusal(req.t("encouragement.details", details=details))


async def _start_cooldown(req: Request) -> None:
    wait = timedelta(minutes=req.community.sharing.cooldown_minutes)
    if wait:
        await ratelimits.count(
            req.tx, req.vault, COOLDOWN, req.community.name, req.event.member, req.now, wait
        )


async def _insert(req: Request, words: str, status: str, *, crisis: bool) -> Note:
    tx, vault, community = req.tx, req.vault, req.community
    number = await tx.fetchval(
        "INSERT INTO encouragement_numbers (community, last_number) VALUES ($1, 1) "
        "ON CONFLICT (community) DO UPDATE SET "
        "last_number = encouragement_numbers.last_number + 1 RETURNING last_number",
        community.name,
    )
    note_id = await tx.fetchval(
        f"INSERT INTO {TABLE} (community, number, status, crisis, owner, written_on) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        community.name,
        number,
        status,
        int(crisis),
        await new_token(tx, TABLE, req.member.secret, KIND, community.name),
        day_floor(req.now, community.zone),  # the day only: see docs/privacy.md
    )
    link = seal_link(
        vault, ENCOURAGEMENT_AUTHOR, note_id, req.event.member, req.now, community.sharing.link_days
    )
    await tx.execute(
        f"UPDATE {TABLE} SET body = $1, author_link = $2, author_link_expires_at = $3 "
        "WHERE id = $4",
        vault.seal(ENCOURAGEMENT_BODY, note_id, words),
        link.token,
        link.expires_at,
        note_id,
    )
    found = await by_id(tx, vault, note_id)
    assert found is not None
    return found


# --- the moderators' view ------------------------------------------------------------------


def queue_key(community: str, number: int) -> str:
    return f"encouragement-queue:{community}:{number}"


def alert_reference(number: int) -> str:
    return f"encouragement:{number}"  # bot/safety/care.py keys the alert "alert:COMMUNITY:…"


def review_choices(community: Community, number: int) -> tuple[Choice, ...]:
    lang = community.language  # the mod queue: the community's language
    reference = f"{HELD_PREFIX}{number}"
    return (
        Choice(text("encouragement.choice_approve", lang), f"mod approve {reference}", "✅"),
        Choice(text("encouragement.choice_reject", lang), f"mod reject {reference}", "❌"),
    )


async def _queue_for_review(
    tx: Transaction, vault: Vault, community: Community, note: Note, words: str, now: datetime
) -> None:
    """Words and reference, never who wrote them."""
    if not community.channels.mod_queue:
        return
    lang = community.language
    body = text(
        "encouragement.queue_post", lang, reference=note.reference, words=neutralise_mentions(words)
    )
    await outbox.enqueue(
        tx,
        vault,
        queue_key(community.name, note.number),
        Place.channel(community.platform, community.channels.mod_queue),
        Message(body, choices=review_choices(community, note.number)),
        now,
    )


async def _hold(req: Request, note: Note, words: str, crisis: CrisisMatch) -> None:
    """Held as a possible crisis: the moderators are alerted with what and why, never who."""
    community = req.community
    await care.alert_moderators(
        req.tx,
        req.vault,
        community,
        what=text("encouragement.alert_what", community.language, reference=note.reference),
        reference=alert_reference(note.number),
        text=neutralise_mentions(words),
        match=crisis,
        now=req.now,
        choices=review_choices(community, note.number),
    )


async def author_locale(tx: Transaction, vault: Vault, author: Member, community: Community) -> str:
    """The writer's language (a moderator's request or a job tells them)."""
    record = await members.find(tx, vault, author)
    return members.locale_for(record, community.language) if record else community.language
