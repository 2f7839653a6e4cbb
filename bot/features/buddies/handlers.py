"""`buddy …`: opt in with interests, answer a proposed pairing, set reminders,
say "I've reached out", tell Hearth a buddy has gone quiet, end it, leave."""

from __future__ import annotations

from datetime import timedelta

from bot import members
from bot.config import Community
from bot.features.buddies import flow, store
from bot.features.buddies.matching import TagError, parse_tags
from bot.features.buddies.store import Membership, Pair
from bot.localtime import TimingError, day_floor, parse_zone
from bot.members import MemberRecord
from bot.port import Message
from bot.requests import Args, Refusal, Request, Router
from bot.texts import text

USAGE = "buddies.usage"


def register(router: Router) -> None:
    router.add("buddy", handle_buddy, USAGE, "buddies.summary")


async def handle_buddy(req: Request) -> None:
    community = req.community
    if not community.buddies.enabled:
        raise Refusal(req.t("buddies.off"))
    await members.remember_name(req.tx, req.vault, req.member.id, req.event.display_name)
    action = req.args.word(0) or "status"
    handler = _HANDLERS.get(action)
    if handler is None:
        raise Refusal(req.t("buddies.unknown_action", action=action[:40]))
    await handler(req, req.args.shift())


# --- opting in and out ------------------------------------------------------------


def _tags_shown(tags: tuple[str, ...]) -> str:
    return ", ".join(tags)


async def join(req: Request, args: Args) -> None:
    community = req.community
    settings = community.buddies
    words = args.text
    zone_name = None
    last = args.words[-1] if args.words else ""
    if "/" in last or last.lower() == "utc":
        try:
            zone_name = str(parse_zone(last))
        except TimingError as error:
            raise Refusal(str(error)) from None
        words = " ".join(args.words[:-1])
    try:
        tags = parse_tags(words, community.buddy_tags)
    except TagError as error:
        raise Refusal(_unknown_tags(req, error, community)) from None
    if not tags:
        raise Refusal(
            req.t(
                "buddies.join_pick",
                tags=_tags_shown(community.buddy_tags),
                most=settings.max_tags,
                example=community.buddy_tags[0],
            )
        )
    if len(tags) > settings.max_tags:
        raise Refusal(req.plural("buddies.too_many_tags", settings.max_tags))
    if zone_name:
        # One zone per member, as `checkin schedule` and `milestone set` keep it.
        await members.set_timezone(req.tx, req.member.id, zone_name)
        req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]
    zone = zone_name or req.member.timezone or community.checkins.default_timezone
    found = await store.membership(req.tx, req.vault, req.member.id, community.name)
    if found is not None:
        await store.set_tags(req.tx, req.vault, req.member.id, community.name, tags)
        if found.state == store.WAITING:  # new interests: looked at again now
            await store.set_match_after(req.tx, req.member.id, community.name, req.now)
        pair = await store.open_pair(req.tx, req.vault, req.member.id, community.name)
        if zone_name and pair is not None and pair.status == store.PAIRED:
            await flow.schedule_reminders(req.tx, pair, (req.member,), community, req.now)
        req.say(req.t("buddies.tags_updated", tags=_tags_shown(tags)))
        return
    await store.join(
        req.tx,
        req.vault,
        req.member.id,
        community.name,
        tags,
        req.now,
        day_floor(req.now, community.zone),
    )
    req.say(req.t("buddies.joined", tags=_tags_shown(tags), zone=zone))


def _unknown_tags(req: Request, error: TagError, community: Community) -> str:
    unknown = ", ".join(f"“{word[:24]}”" for word in error.unknown[:3])
    tags = _tags_shown(community.buddy_tags)
    if error.suggestions:
        return req.t(
            "buddies.tag_did_you_mean",
            unknown=unknown,
            suggestions=", ".join(error.suggestions),
            tags=tags,
        )
    return req.t("buddies.tag_unknown", unknown=unknown, tags=tags)


async def leave(req: Request, args: Args) -> None:
    community = req.community
    found = await _membership(req)
    pair = await store.open_pair(req.tx, req.vault, req.member.id, community.name)
    if pair is not None:
        told = "buddies.ended_for_you" if pair.status == store.PAIRED else "buddies.fell_through"
        await flow.end(
            req.tx, req.vault, community, pair, req.now, by=req.member, told=told, leaving=True
        )
    await store.leave(req.tx, found.member_id, community.name)
    req.say(req.t("buddies.left"))


# --- how it stands ---------------------------------------------------------------


async def status(req: Request, args: Args) -> None:
    community = req.community
    found = await store.membership(req.tx, req.vault, req.member.id, community.name)
    if found is None:
        req.say(
            req.t(
                "buddies.status_none",
                tags=_tags_shown(community.buddy_tags),
                example=community.buddy_tags[0],
            )
        )
        return
    pair = await store.open_pair(req.tx, req.vault, req.member.id, community.name)
    tags = _tags_shown(found.tags)
    if pair is None:
        req.say(req.t("buddies.status_waiting", tags=tags))
    elif pair.status == store.PROPOSED:
        key = (
            "buddies.status_answered" if pair.accepted_by(req.member.id) else "buddies.status_asked"
        )
        req.say(req.t(key, tag=pair.tag or ""))
    else:
        other = await members.by_id(req.tx, req.vault, pair.other(req.member.id))
        name = (
            await flow.name_of(req.tx, req.vault, other, req.locale)
            if other
            else req.t("buddies.your_buddy")
        )
        req.say(
            req.t(
                "buddies.status_paired",
                name=name,
                cadence=req.t(f"buddies.cadence_{pair.cadence.replace('-', '_')}"),
                tags=tags,
            )
        )


# --- answering a proposal ------------------------------------------------------------


async def _membership(req: Request) -> Membership:
    found = await store.membership(req.tx, req.vault, req.member.id, req.community.name)
    if found is None:
        raise Refusal(req.t("buddies.not_joined", example=req.community.buddy_tags[0]))
    return found


async def _proposed(req: Request) -> Pair:
    await _membership(req)
    pair = await store.open_pair(req.tx, req.vault, req.member.id, req.community.name)
    if pair is None or pair.status != store.PROPOSED:
        raise Refusal(req.t("buddies.nothing_to_answer"))
    return pair


async def _paired(req: Request) -> tuple[Pair, MemberRecord | None]:
    await _membership(req)
    pair = await store.open_pair(req.tx, req.vault, req.member.id, req.community.name)
    if pair is None or pair.status != store.PAIRED:
        raise Refusal(req.t("buddies.no_buddy"))
    return pair, await members.by_id(req.tx, req.vault, pair.other(req.member.id))


async def accept(req: Request, args: Args) -> None:
    pair = await _proposed(req)
    if pair.accepted_by(req.member.id):
        req.say(req.t("buddies.accepted_waiting"))
        return
    other = await members.by_id(req.tx, req.vault, pair.other(req.member.id))
    other_accepted = pair.accepted_b if req.member.id == pair.member_a else pair.accepted_a
    if other is None or not other_accepted:
        await store.accept(req.tx, pair, req.member.id)
        req.say(req.t("buddies.accepted_waiting"))
        return
    req.say(
        await flow.form(
            req.tx, req.vault, req.config, req.community, pair, req.member, other, req.now
        )
    )


async def decline(req: Request, args: Args) -> None:
    pair = await _proposed(req)
    await flow.end(
        req.tx, req.vault, req.community, pair, req.now, by=req.member, told="buddies.fell_through"
    )
    req.say(req.t("buddies.declined"))


async def end(req: Request, args: Args) -> None:
    await _membership(req)
    pair = await store.open_pair(req.tx, req.vault, req.member.id, req.community.name)
    if pair is None:
        raise Refusal(req.t("buddies.no_buddy"))
    told = "buddies.ended_for_you" if pair.status == store.PAIRED else "buddies.fell_through"
    await flow.end(req.tx, req.vault, req.community, pair, req.now, by=req.member, told=told)
    req.say(req.t("buddies.ended"))


async def again(req: Request, args: Args) -> None:
    await _membership(req)
    if not await store.ask_again(req.tx, req.member.id, req.community.name):
        raise Refusal(req.t("buddies.again_nobody"))
    await store.set_match_after(req.tx, req.member.id, req.community.name, req.now)
    req.say(req.t("buddies.again_noted"))


# --- while paired -------------------------------------------------------------------------


async def remind(req: Request, args: Args) -> None:
    cadence = (args.word(0) or "").replace("_", "-")
    if cadence == "twice":
        cadence = "twice-weekly"
    if cadence not in store.CADENCES:
        raise Refusal(req.t("buddies.remind_choices"))
    pair, other = await _paired(req)
    community = req.community
    shown = req.t(f"buddies.cadence_{cadence.replace('-', '_')}")
    if cadence == pair.cadence:
        req.say(req.t("buddies.cadence_set", cadence=shown))
        return
    await store.set_cadence(req.tx, pair.id, cadence)
    pair = Pair(**{**pair.__dict__, "cadence": cadence})
    people = (req.member, other) if other is not None else (req.member,)
    await flow.schedule_reminders(req.tx, pair, people, community, req.now)
    if other is not None:
        locale = flow.locale_of(other, community)
        await _tell_buddy(
            req,
            other,
            Message(
                text(
                    "buddies.cadence_changed_by_buddy",
                    locale,
                    cadence=text(f"buddies.cadence_{cadence.replace('-', '_')}", locale),
                )
            ),
            "cadence",
        )
    req.say(req.t("buddies.cadence_set", cadence=shown))


async def reached(req: Request, args: Args) -> None:
    pair, other = await _paired(req)
    community = req.community
    await store.mark_reached(req.tx, req.member.id, community.name, req.now)
    # The reminder that was coming is not needed now: the next one, a whole gap on.
    zone = flow.zone_of(req.member, community)
    when = flow.next_reminder(req.now, zone, community, req.member, pair.cadence)
    await store.set_reminder(req.tx, req.member.id, community.name, when)
    if pair.quiet_asker is not None and pair.quiet_asker != req.member.id and other is not None:
        await store.set_quiet(req.tx, pair.id, None, None)
        locale = flow.locale_of(other, community)
        name = await flow.name_of(req.tx, req.vault, req.member, locale)
        await _tell_buddy(
            req,
            other,
            Message(text("buddies.quiet_answered", locale, name=name)),
            "here",
        )
        req.say(req.t("buddies.still_here_thanks"))
        return
    req.say(req.t("buddies.reached_thanks"))


async def quiet(req: Request, args: Args) -> None:
    pair, other = await _paired(req)
    community = req.community
    if pair.quiet_asker is not None:
        raise Refusal(req.t("buddies.quiet_already", days=community.buddies.quiet_days))
    deadline = req.now + timedelta(days=community.buddies.quiet_days)
    await store.set_quiet(req.tx, pair.id, req.member.id, deadline)
    if other is not None:
        await _tell_buddy(
            req,
            other,
            flow.quiet_question(req.config, other, community),
            "quiet",
        )
    req.say(req.t("buddies.quiet_noted", days=community.buddies.quiet_days))


_HANDLERS = {
    "join": join,
    "leave": leave,
    "status": status,
    "accept": accept,
    "decline": decline,
    "end": end,
    "remind": remind,
    "reached": reached,
    "quiet": quiet,
    "again": again,
}


async def _tell_buddy(req: Request, buddy: MemberRecord, message: Message, kind: str) -> None:
    """A DM to the member's buddy, in the buddy's language (flow.tell)."""
    await flow.tell(req.tx, req.vault, buddy, req.community, req.now, message, kind)
