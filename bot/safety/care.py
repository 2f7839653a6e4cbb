"""What Hearth does when someone may be in crisis (SPEC §4), in one place.

Check-ins, plain DMs, shares, replies and celebrations call the same
functions: `crisis_in(text, community)` to check, `offer_care` to answer the
member privately, `alert_moderators` for content that was held back, and
`declined_with_care` when a moderator decides not to post what was held.
A feature takes part in an answer through one core event, `CareGiven`
(bot/events.py): the member's own safety plan leads it (bot/features/safetyplan/).

Two short-lived marks (bot/ratelimits.py) keep the answers from repeating:
resources shown within the hour are replaced by a short pointer, and a member
who answered the contact offer is not asked again for a week. Like every
mark they say only "this someone, until then", never what was written.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from importlib import resources as package_files

from bot import ratelimits, texts
from bot.config import Community
from bot.events import CareGiven
from bot.port import Choice, Member, Message
from bot.requests import Request
from bot.safety import alerts
from bot.safety.crisis import CrisisMatch, check_text
from bot.safety.resources import AnyResource, format_resources, pick_resources
from bot.storage import Transaction
from bot.texts import ENGLISH, text
from bot.vault import Vault

# The English words, for what has no member at hand; replies use the member's language.
CARE_OPENING = text("safety.care_opening")
LOW_MOOD_OPENING = text("safety.low_mood_opening")
CONTACT_OFFER = text("safety.contact_offer")
# Shown instead of the whole list when it reached the member within the hour.
RESOURCES_POINTER = text("safety.resources_pointer")


def contact_choices(locale: str = ENGLISH) -> tuple[Choice, ...]:
    """The two answers to the contact offer, as buttons (the commands stay English)."""
    return (
        Choice(text("safety.contact_choice_yes", locale), "contact yes", "✅"),
        Choice(text("safety.contact_choice_no", locale), "contact no", "✖️"),
    )


RESOURCES_AGAIN_AFTER = timedelta(hours=1)
CONTACT_ASKED_AGAIN_AFTER = timedelta(days=7)
_RESOURCES_SHOWN = "resources-shown"
_CONTACT_ANSWERED = "contact-answered"


def crisis_in(text: str, community: Community) -> CrisisMatch | None:
    return check_text(text, community.safety.crisis_terms) if text else None


@functools.cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country code, from the tzdata package's own zone table."""
    table = package_files.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    countries = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            countries[zone] = code
    return countries


def resources_text(
    community: Community,
    timezone: str | None,
    language: str | None = None,
    *,
    locale: str = ENGLISH,
) -> str:
    """Two or three resources for this member, with emergency advice: for the country of
    their time zone, else of the community's, and in the language they wrote in
    (`language`, for the services; `locale` is the one Hearth's own words are in)."""
    return format_resources(member_resources(community, timezone, language), locale)


def member_resources(
    community: Community, timezone: str | None, language: str | None = None
) -> list[AnyResource]:
    """The two or three resources for a member in `timezone`'s country (else the
    community's), answering in `language` where one does: what `resources_text` lists."""
    countries = _zone_countries()
    region = countries.get(timezone or "") or countries.get(community.checkins.default_timezone)
    return pick_resources(community.safety.resources, region_hint=region, language=language)


async def _marked(req: Request, mark: str, member: Member | None = None) -> bool:
    """Whether `mark` (resources shown, contact answered) is on the member still."""
    member = member or req.member.member
    left = await ratelimits.seconds_left(
        req.tx, req.vault, mark, req.community.name, member, req.now
    )
    return left > 0


async def _mark(req: Request, mark: str, lasts: timedelta) -> None:
    await ratelimits.count(
        req.tx, req.vault, mark, req.community.name, req.member.member, req.now, lasts
    )


async def note_resources_shown(req: Request) -> None:
    """The member has just been given the whole list: for an hour, a pointer will do."""
    await _mark(req, _RESOURCES_SHOWN, RESOURCES_AGAIN_AFTER)


def care_locale(req: Request, language: str | None) -> str:
    """The language of a crisis answer: the one the crisis check recognised in the
    member's words (`language`, bot/safety/crisis.py), when Hearth speaks it — someone
    in distress is answered in the words they wrote in — else the member's."""
    return (texts.shipped(language) if language else None) or req.locale


async def care_message(req: Request, language: str | None = None) -> Message:
    """The crisis answer: the resources with a warm opening, or, when they reached
    this member within the hour, the short pointer to them. `language`: the one the
    crisis check heard, for a service that answers in it, and for the answer's own
    words when Hearth speaks it (`care_locale`)."""
    locale = care_locale(req, language)
    if await _marked(req, _RESOURCES_SHOWN):
        return Message(text("safety.resources_pointer", locale))
    await note_resources_shown(req)
    listed = resources_text(req.community, req.member.timezone, language, locale=locale)
    return Message(text("safety.care_opening", locale) + "\n" + listed)


async def offer_care(req: Request, *, offer_contact: bool, language: str | None = None) -> None:
    """Answer a crisis signal privately, at once: resources, and perhaps a moderator's
    contact; a feature's own part around them (`CareGiven`: the member's safety plan first).
    `offer_contact` is for the member's own private words only (a check-in note, a DM),
    never anonymous ones: so it also says whether anything may be remembered of it."""
    given = CareGiven(soft=False, private=offer_contact, locale=care_locale(req, language))
    await req.publish(given)
    req.replies.extend(given.lead)
    req.replies.append(await care_message(req, language))
    if offer_contact and not await contact_answered(req, req.member.member):
        locale = care_locale(req, language)
        req.say(text("safety.contact_offer", locale), choices=contact_choices(locale))
    req.replies.extend(given.follow)


async def contact_answered(req: Request, member: Member) -> bool:
    """Whether `member` answered the contact offer (yes or no) within the week."""
    return await _marked(req, _CONTACT_ANSWERED, member)


async def note_contact_answer(req: Request) -> None:
    await _mark(req, _CONTACT_ANSWERED, CONTACT_ASKED_AGAIN_AFTER)


async def declined_with_care(
    req: Request, member: Member | None, what: str, note: str, *, locale: str | None = None
) -> Message:
    """What the author of held words hears when a moderator decides not to post them:
    never a verdict, always the way to people and, unless answered, the contact offer.
    `locale`: the author's language (req is the moderator's request); the community's
    if not given."""
    locale = locale or req.community.language
    if note:
        words = text("safety.declined_with_note", locale, what=what, note=note)
    else:
        words = text("safety.declined", locale, what=what)
    if member is not None and not await contact_answered(req, member):
        offer = text("safety.contact_offer", locale)
        return Message(f"{words}\n{offer}", choices=contact_choices(locale))
    return Message(words)


async def mark_cared_for(req: Request, day: date) -> bool:
    """Record that resources reached this member today; False if they already had."""
    first_today = await req.tx.execute(
        "INSERT INTO care_notices (member_id, community, local_date) VALUES ($1, $2, $3) "
        "ON CONFLICT (member_id, community, local_date) DO NOTHING",
        req.member.id,
        req.community.name,
        day.isoformat(),
    )
    return first_today == 1


async def gentle_low_mood_note(req: Request, day: date) -> None:
    """A mood of 1 is a softer signal: a short note with resources, once a day at most,
    and not when the member was given them within the hour."""
    if not await mark_cared_for(req, day):
        return
    given = CareGiven(soft=True, private=True, locale=req.locale)
    await req.publish(given)
    req.replies.extend(given.lead)
    if not await _marked(req, _RESOURCES_SHOWN):
        await note_resources_shown(req)
        listed = resources_text(req.community, req.member.timezone, locale=req.locale)
        req.say(req.t("safety.low_mood_opening") + "\n" + listed)
    req.replies.extend(given.follow)


async def alert_moderators(
    tx: Transaction,
    vault: Vault,
    community: Community,
    *,
    what: str,
    reference: str,
    text: str,
    match: CrisisMatch,
    now: datetime,
    choices: tuple[Choice, ...] = (),
) -> bool:
    """Tell the mod queue that `what` (e.g. "share #12") was held as a possible crisis:
    what was written and why, never who. Returns whether an alert was queued. Whatever
    held it, the alert carries "I'm on it" and is raised again if nobody takes it
    (bot/safety/alerts.py)."""
    channel = community.channels.mod_queue
    if not (community.safety.alert_moderators and channel):
        return False
    # language: the community's (a post in the moderators' channel).
    # (`text` is the held words here: the catalogue is reached as `texts.text`.)
    lang = community.language
    why = ", ".join(texts.text("safety.crisis_alert_phrase", lang, phrase=p) for p in match.phrases)
    body = texts.text("safety.crisis_alert", lang, what=what, phrases=why, text=text)
    return await alerts.raise_alert(
        tx,
        vault,
        community,
        key=f"alert:{community.name}:{reference}",
        what=what,
        message=Message(body, choices=choices),
        now=now,
    )
