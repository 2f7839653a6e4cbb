"""`resources`, `contact` and `privacy`: the member's safety commands (SPEC §2, §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import outbox
from bot.commands import Refusal, Request, Router
from bot.feature import Feature
from bot.localtime import checkin_day, epoch, from_epoch, parse_hhmm
from bot.port import Message, Place
from bot.safety import care
from bot.safety.care import CONTACT_CHOICES, CONTACT_OFFER, resources_text

CONTACT_AGAIN_AFTER = timedelta(
    hours=12
)  # one request reaches the moderators; repeats don't pile up


# The hidden command a DM that is not a command becomes (see Hearth._command_for).
PLAIN_TEXT = "said"


def register(router: Router) -> None:
    router.add(PLAIN_TEXT, said, "", "", hidden=True)
    router.add(
        "resources",
        resources,
        "resources — support and crisis lines, privately",
        "support and crisis resources",
    )
    router.add(
        "contact",
        contact,
        "contact yes — ask a moderator to reach out to you privately (only that you asked is "
        "shared)\ncontact no — no thank you",
        "ask a moderator to reach out to you",
    )
    router.add(
        "privacy",
        privacy,
        "privacy — who can see what, and how to export or delete",
        "what Hearth stores and who can see it",
    )


async def said(req: Request) -> None:
    """Plain words in a DM: nothing is stored, but a cry for help is never met
    with a help card."""
    match = care.crisis_in(req.args.text, req.community)
    if match:
        day = checkin_day(
            req.now,
            req.member.zone(req.community.checkins.default_timezone),
            parse_hhmm(req.community.checkins.day_reset),
        )
        await care.mark_cared_for(req, day)
        await care.offer_care(req, offer_contact=True, language=match.language)
        return
    req.say(
        "I'm a bot, so I answer commands — `help` lists them. If you'd like someone to "
        "talk to, `resources` has people who listen, any time."
    )


async def resources(req: Request) -> None:
    await care.note_resources_shown(req)
    req.say("Support, whenever you need it:\n" + resources_text(req.community, req.member.timezone))


async def contact(req: Request) -> None:
    answer = req.args.word(0)
    if answer is None:
        req.say(CONTACT_OFFER, choices=CONTACT_CHOICES)
        return
    if answer == "no":
        await care.note_contact_answer(req)
        req.say("Okay. If you change your mind, `contact yes` any time. Take care 💛")
        return
    if answer != "yes":
        raise Refusal("Answer `contact yes` to have a moderator reach out, or `contact no`.")
    channel = req.community.channels.mod_queue
    if not channel:
        raise Refusal(
            "This community has no moderators' channel set up, so I can't pass this "
            "on. " + resources_text(req.community, req.member.timezone)
        )
    await care.note_contact_answer(req)
    recent = await req.tx.fetchval(
        "SELECT count(*) FROM contact_requests WHERE member_id = $1 AND community = $2 "
        "AND requested_at > $3",
        req.member.id,
        req.community.name,
        epoch(req.now - CONTACT_AGAIN_AFTER),
    )
    if recent:
        req.say(
            "The moderators already know you'd like to hear from them. "
            "`resources` has people you can reach right now."
        )
        return
    request_id = await req.tx.fetchval(
        "INSERT INTO contact_requests (member_id, community, requested_at) VALUES ($1, $2, $3) "
        "RETURNING id",
        req.member.id,
        req.community.name,
        epoch(req.now),
    )
    notice = Message(
        f"🤝 {req.member.user_id} asked for a moderator to reach out to them. Please contact "
        "them privately and gently. They asked after a private check-in; what they wrote "
        "stays private and is not shared."
    )
    await outbox.enqueue(
        req.tx,
        req.vault,
        f"contact:{req.community.name}:{request_id}",
        Place.channel(req.community.platform, channel),
        notice,
        req.now,
        member_id=req.member.id,
    )
    req.say(
        "Thank you for asking. I've let the moderators know you'd like someone to reach "
        "out; they'll message you privately. Nothing you wrote was shared."
    )


PRIVACY_CARD = "\n".join(
    [
        "How Hearth handles what you share",
        "• Check-ins are private: only you see your moods, notes and history. Moderators see "
        "only community totals for days that are over, and only when at least {min_group} "
        "members are counted, so asking again after you check in tells them nothing.",
        "• Your account id, your notes, your counters and messages waiting to be sent are "
        "encrypted in the database. Check-in notes are deleted after {retention} days; moods "
        "are kept for your history until you delete them.",
        "• Anonymous shares, replies, support and celebrations carry no name, and nothing they "
        "store is shared with anything else you did: a copy of the database cannot tell who "
        "wrote them, nor that two were written by the same person. An encrypted link (kept "
        "{link_days} days) lets replies and support reach you. Hearth keeps only the day "
        "things happened, not the moment.",
        "• The one party who could link anonymous posts to you is the operator who runs this "
        "Hearth and holds its secret key. No member or moderator can learn it through Hearth, "
        "not even by blocking or asking twice.",
        "• Hearth never logs what you write.",
        "• Moderators' own actions (approving, rejecting, removing, blocking, reloading the "
        "settings) are logged with their name for {log_days} days, so they stay accountable; "
        "`mydata delete` leaves those entries, though it erases a moderator's own check-ins "
        "like anyone's. The log never names the author of a share.",
        "• `mydata export` sends you everything Hearth holds about you as a file; "
        "`mydata delete` erases it all.",
    ]
)


async def privacy(req: Request) -> None:
    community = req.community
    req.say(
        PRIVACY_CARD.format(
            min_group=max(5, community.moderation.min_group),
            retention=community.privacy.retention_days,
            link_days=community.sharing.link_days,
            log_days=community.moderation.log_days,
        )
    )


async def export(req: Request) -> dict[str, Any]:
    """The days support notes reached the member and when they asked for contact."""
    tx, member_id = req.tx, req.member.id
    care = [
        r["local_date"]
        for r in await tx.fetch(
            "SELECT local_date FROM care_notices WHERE member_id = $1", member_id
        )
    ]
    contact = [
        _moment(r["requested_at"])
        for r in await tx.fetch(
            "SELECT requested_at FROM contact_requests WHERE member_id = $1", member_id
        )
    ]
    return {"support_notes_sent_on": care, "moderator_contact_requests": contact}


def _moment(seconds: int | None) -> str | None:
    return None if seconds is None else from_epoch(seconds).isoformat()


FEATURE = Feature("safety", commands=lambda router, wiring: register(router), export=export)
