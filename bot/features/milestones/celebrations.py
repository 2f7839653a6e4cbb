"""Posts in the celebrations channel, `celebrate TEXT [anonymous]`, `cheer N`,
and the batched "people cheered your celebration" DM.

An anonymous celebration stores no member id: only the author's keyed
pseudonym and an expiring sealed link, so cheers can still reach them.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from bot import members, outbox, relays
from bot.anonymity import author_key, open_link, seal_link
from bot.commands import Refusal, Request, is_blank
from bot.config import Community
from bot.localtime import delay_for_quiet, epoch
from bot.members import MemberRecord
from bot.port import Choice, Event, Member, Message, Place
from bot.relays import RelayContext
from bot.safety import care
from bot.safety.crisis import CrisisMatch
from bot.safety.mentions import neutralise_mentions
from bot.storage import Transaction
from bot.vault import CELEBRATION_AUTHOR, Vault

log = logging.getLogger(__name__)

CHEER_EMOJI = "🎉"
CELEBRATE_USAGE = (
    "celebrate TEXT — share a win in the celebrations channel, with your name\n"
    "celebrate TEXT anonymous — the same, without your name (send it by DM)"
)
CHEER_USAGE = "cheer N — cheer celebration #N; they hear about it by DM"


def cheer_key(vault: Vault, community: str, member: Member) -> str:
    """Who cheered, as a pseudonym unlike their author key: cheering never links
    to anything they posted anonymously."""
    return vault.pseudonym(community + "/cheers", member)


def said_privately(event: Event) -> bool:
    """Where an anonymous post may be asked for: a DM, or a Discord slash command
    (always ephemeral there). Elsewhere others would see who asked."""
    return event.place.is_dm or event.member.platform == "discord"


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
    channel = community.channels.celebrations
    if not channel:
        return None
    number = await tx.fetchval(
        "INSERT INTO celebration_numbers (community, last_number) VALUES ($1, 1) "
        "ON CONFLICT (community) DO UPDATE SET last_number = celebration_numbers.last_number + 1 "
        "RETURNING last_number",
        community.name,
    )
    celebration_id = await tx.fetchval(
        "INSERT INTO celebrations (community, number, kind, member_id, author_key, posted_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        community.name,
        number,
        kind,
        None if anonymous else author.id,
        author_key(vault, community.name, author.member) if anonymous else None,
        epoch(now),
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
    message = Message(
        neutralise_mentions(text),
        choices=(Choice("Cheer", f"cheer {number}", CHEER_EMOJI),),
    )
    await outbox.enqueue(
        tx,
        vault,
        f"celebration:{community.name}:{number}",
        Place.channel(community.platform, channel),
        message,
        now,
        # A named post goes with the member's data; an anonymous one names no one.
        member_id=None if anonymous else author.id,
    )
    log.info("celebration %s #%s posted", community.name, number)
    return number


# --- celebrate -----------------------------------------------------------------


async def celebrate(req: Request) -> None:
    words = req.args.words
    anonymous = bool(words) and words[-1].lower() == "anonymous"
    text = req.args.text.strip()
    if anonymous:
        text = text[: text.lower().rfind("anonymous")].strip()
    if is_blank(text):
        raise Refusal(
            "What would you like to celebrate? For example `celebrate I went for a walk "
            "today` — add `anonymous` at the end to leave your name off."
        )
    match = care.crisis_in(text, req.community)
    if match is not None:
        await _hold_back(req, text, match)
        return
    community = req.community
    if not community.channels.celebrations:
        raise Refusal(
            "This community has no celebrations channel set up yet, so I can't post it. "
            "It's still a win worth being proud of 💛"
        )
    if anonymous and not said_privately(req.event):
        raise Refusal(
            "To keep it anonymous, send it to me by DM: `celebrate … anonymous` there, and "
            "nobody sees who it came from."
        )
    limit = community.sharing.max_length
    if len(text) > limit:
        raise Refusal(
            f"That's {len(text)} characters; a celebration can be up to {limit}. Nothing was "
            "posted — could you shorten it a little?"
        )
    who = "someone in our community" if anonymous else req.member.user_id
    number = await post(
        req.tx,
        req.vault,
        community,
        req.member,
        anonymous=anonymous,
        kind="win",
        text=f"🎉 A win from {who}:\n{text}",
        now=req.now,
    )
    how = "without your name" if anonymous else "with your name"
    req.say(f"Posted as celebration #{number}, {how} 🎉 When people cheer, I'll tell you by DM.")


async def _hold_back(req: Request, text: str, match: CrisisMatch) -> None:
    """Not posted: resources for the member now, the words (never who) to moderators."""
    alerted = await care.alert_moderators(
        req.tx,
        req.vault,
        req.community,
        what="a celebration",
        # A random reference: nothing in the key points back to the member.
        reference=f"celebration-held:{secrets.token_hex(8)}",
        text=text[: req.community.sharing.max_length],
        match=match,
        now=req.now,
    )
    told = (
        " The moderators were shown the words so they can look out for the community — "
        "never your name."
        if alerted
        else ""
    )
    req.say(
        "I haven't posted this. Some of what you wrote sounds like things may be really "
        f"hard right now, so I held it back.{told}"
    )
    care.offer_care(req, offer_contact=False)


# --- cheers ----------------------------------------------------------------------


async def cheer(req: Request) -> None:
    word = (req.args.word(0) or "").lstrip("#")
    if not word.isdecimal():
        raise Refusal("Say which celebration to cheer, like `cheer 3`.")
    number = int(word)
    row = await req.tx.fetchrow(
        "SELECT id, member_id, author_key FROM celebrations WHERE community = $1 AND number = $2",
        req.community.name,
        number,
    )
    if row is None:
        raise Refusal(f"I can't find celebration #{number} — it may have been taken down.")
    mine = row["member_id"] == req.member.id or row["author_key"] == author_key(
        req.vault, req.community.name, req.member.member
    )
    if mine:
        req.say("That's your own celebration — and it's worth cheering 🎉")
        return
    added = await req.tx.execute(
        "INSERT INTO celebration_cheers (celebration_id, cheerer_key, cheered_at) "
        "VALUES ($1, $2, $3) ON CONFLICT (celebration_id, cheerer_key) DO NOTHING",
        row["id"],
        cheer_key(req.vault, req.community.name, req.member.member),
        epoch(req.now),
    )
    if added != 1:
        req.say(f"You've already cheered celebration #{number} 🎉")
        return
    await relays.add(req.tx, "cheer", row["id"], req.now)
    req.say(f"🎉 Cheer sent to celebration #{number}.")


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
        author = await members.by_id(tx, row["member_id"])
    else:
        platform_member = open_link(
            context.vault,
            CELEBRATION_AUTHOR,
            celebration_id,
            row["author_link"],
            row["author_link_expires_at"],
            context.now,
        )
        author = await members.find(tx, platform_member) if platform_member else None
    if author is None:
        return  # the link expired or the author left: nobody to tell
    people = "1 person" if count == 1 else f"{count} people"
    zone = author.zone(community.checkins.default_timezone)
    await outbox.enqueue(
        tx,
        context.vault,
        f"cheers:{batch_id}",
        author.dm,
        Message(f"🎉 {people} cheered your celebration #{row['number']}."),
        context.now,
        # Kept off the row for an anonymous celebration: no id next to it in the clear.
        member_id=row["member_id"],
        not_before=delay_for_quiet(context.now, zone, author.quiet),
    )
