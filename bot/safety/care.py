"""What Hearth does when someone may be in crisis (SPEC §4), in one place.

Check-ins call it now; shares, replies and celebrations call the same
functions: `crisis_in(text, community)` to check, `offer_care` to answer the
member privately, `alert_moderators` for content that was held back.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from importlib import resources as package_files

from bot import outbox
from bot.commands import Request
from bot.config import Community
from bot.port import Choice, Message, Place
from bot.safety.crisis import CrisisMatch, check_text
from bot.safety.resources import format_resources, pick_resources
from bot.storage import Transaction
from bot.vault import Vault

CARE_OPENING = (
    "Thank you for telling me. It sounds like things may be really hard right now, "
    "and you don't have to carry this alone. Some people who are there to listen, any time:"
)
LOW_MOOD_OPENING = (
    "I'm sorry today is a hard one. If talking to someone would help, these are there for you:"
)
CONTACT_OFFER = (
    "Would you like a moderator to reach out to you? They would only learn that you "
    "asked — never what you wrote."
)


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


def resources_text(community: Community, timezone: str | None) -> str:
    """Two or three resources for this member, with emergency advice."""
    region = _zone_countries().get(timezone or "")
    return format_resources(pick_resources(community.safety.resources, region_hint=region))


def care_message(community: Community, timezone: str | None) -> Message:
    return Message(CARE_OPENING + "\n" + resources_text(community, timezone))


def offer_care(req: Request, *, offer_contact: bool) -> None:
    """Answer a crisis signal privately, at once: resources, and perhaps a moderator's contact."""
    req.replies.append(care_message(req.community, req.member.timezone))
    if offer_contact:
        req.say(
            CONTACT_OFFER,
            choices=(
                Choice("Yes, please", "contact yes", "✅"),
                Choice("No, thank you", "contact no", "✖️"),
            ),
        )


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
    """A mood of 1 is a softer signal: a short note with resources, once a day at most."""
    if await mark_cared_for(req, day):
        req.say(LOW_MOOD_OPENING + "\n" + resources_text(req.community, req.member.timezone))


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
    what was written and why, never who. Returns whether an alert was queued."""
    channel = community.channels.mod_queue
    if not (community.safety.alert_moderators and channel):
        return False
    why = ", ".join(f"“{phrase}”" for phrase in match.phrases)
    body = (
        f"⚠️ Possible crisis in {what}: held back, not posted. Flagged for: {why}.\n"
        f"{text}\n"
        "The author was sent support resources privately. Who wrote it is not shown, "
        "to anyone."
    )
    place = Place.channel(community.platform, channel)
    return await outbox.enqueue(
        tx, vault, f"alert:{community.name}:{reference}", place, Message(body, choices=choices), now
    )
