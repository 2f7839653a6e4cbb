"""`resources`, `contact` and `privacy`: the member's safety commands (SPEC §2, §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.events import PlainWords
from bot.feature import Feature, Wiring
from bot.localtime import checkin_day, epoch, from_epoch, parse_hhmm
from bot.port import Command, Message, Option, Words
from bot.requests import Refusal, Request, Router
from bot.safety import alerts, care
from bot.safety.care import contact_choices, resources_text
from bot.texts import text

CONTACT_AGAIN_AFTER = timedelta(
    hours=12
)  # one request reaches the moderators; repeats don't pile up


# The hidden command a DM that is not a command becomes (see Hearth._command_for).
PLAIN_TEXT = "said"


def register(router: Router, wiring: Wiring) -> None:
    notes = tuple(part.privacy for part in wiring.data_parts if part.privacy)

    async def privacy(req: Request) -> None:
        await privacy_card(req, notes)

    router.add(PLAIN_TEXT, said, "", "", hidden=True)
    # usage and summary are catalogue ids: `help` renders them in the member's language.
    router.add("resources", resources, "safety.resources_usage", "safety.resources_summary")
    router.add("contact", contact, "safety.contact_usage", "safety.contact_summary")
    router.add("privacy", privacy, "safety.privacy_usage", "safety.privacy_summary")


async def said(req: Request) -> None:
    """Plain words in a DM: nothing is stored, but a cry for help is never met
    with a help card. A feature that asked the member something takes them first
    (`PlainWords`: the answer to a `safetyplan` step)."""
    words = PlainWords(req.args.text)
    await req.publish(words)
    if words.taken:
        return
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
    req.say(req.t("safety.plain_words"))


async def resources(req: Request) -> None:
    await care.note_resources_shown(req)
    listed = resources_text(req.community, req.member.timezone, locale=req.locale)
    req.say(req.t("safety.resources_intro") + "\n" + listed)


async def contact(req: Request) -> None:
    answer = req.args.word(0)
    if answer is None:
        req.say(req.t("safety.contact_offer"), choices=contact_choices(req.locale))
        return
    if answer == "no":
        await care.note_contact_answer(req)
        req.say(req.t("safety.contact_declined"))
        return
    if answer != "yes":
        raise Refusal(req.t("safety.contact_unclear"))
    channel = req.community.channels.mod_queue
    if not channel:
        listed = resources_text(req.community, req.member.timezone, locale=req.locale)
        raise Refusal(req.t("safety.contact_no_mod_channel", resources=listed))
    await care.note_contact_answer(req)
    recent = await req.tx.fetchval(
        "SELECT count(*) FROM contact_requests WHERE member_id = $1 AND community = $2 "
        "AND requested_at > $3",
        req.member.id,
        req.community.name,
        epoch(req.now - CONTACT_AGAIN_AFTER),
    )
    if recent:
        req.say(req.t("safety.contact_already_asked"))
        return
    request_id = await req.tx.fetchval(
        "INSERT INTO contact_requests (member_id, community, requested_at) VALUES ($1, $2, $3) "
        "RETURNING id",
        req.member.id,
        req.community.name,
        epoch(req.now),
    )
    # language: the community's (a post in the moderators' channel), not the member's.
    lang = req.community.language
    notice = Message(text("safety.contact_notice", lang, member=req.member.user_id))
    # A crisis alert like a held share's: "I'm on it", raised again if nobody takes it.
    await alerts.raise_alert(
        req.tx,
        req.vault,
        req.community,
        key=f"contact:{req.community.name}:{request_id}",
        what=text("alerts.what_contact", lang),
        message=notice,
        now=req.now,
        member_id=req.member.id,
    )
    req.say(req.t("safety.contact_passed_on"))


async def privacy_card(req: Request, notes: tuple[str, ...] = ()) -> None:
    """The card, then what each feature that keeps a member's data says of it
    (`Feature.privacy`: the features with a part of `mydata`)."""
    community = req.community
    card = req.t(
        "safety.privacy_card",
        min_group=max(5, community.moderation.min_group),
        retention=community.privacy.retention_days,
        link_days=community.sharing.link_days,
        log_days=community.moderation.log_days,
    )
    req.say("\n".join((card, *(req.t(note) for note in notes))))


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


CONTACT = tuple((Words(f"discord.contact_{answer}"), answer) for answer in ("yes", "no"))
COMMANDS = (
    Command(("resources",), Words("discord.command_resources")),
    Command(("privacy",), Words("discord.command_privacy")),
    Command(
        ("contact",),
        Words("discord.command_contact"),
        (Option("answer", Words("discord.option_contact_answer"), choices=CONTACT),),
    ),
)

FEATURE = Feature(
    "safety",
    handlers=register,
    commands=lambda config: COMMANDS,
    export=export,
)
