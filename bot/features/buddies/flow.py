"""What happens to a pairing, whoever moves it (a member's command or the job):
proposed to both, formed when both accept, reminded, ended. Every DM to the
other member goes through the outbox, in their language, in the same
transaction as the change; nothing here is logged with a member or a tag."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import members, outbox, texts
from bot.config import Community, Config
from bot.features.buddies import store
from bot.features.buddies.store import Pair
from bot.localtime import day_floor, delay_for_quiet, parse_hhmm, to_utc
from bot.members import MemberRecord
from bot.port import Choice, Message
from bot.safety.mentions import neutralise_mentions
from bot.storage import Transaction
from bot.vault import Vault

ACCEPT_EMOJI, DECLINE_EMOJI = "✅", "🙅"
REACHED_EMOJI, QUIET_OFF_EMOJI, END_EMOJI = "👋", "🔕", "🌙"
#: days between reminders, by cadence (twice a week: every three or four days)
GAPS = {"weekly": 7, "twice-weekly": 3}
BUDGET_WINDOW = timedelta(days=7)


def locale_of(member: MemberRecord, community: Community) -> str:
    return members.locale_for(member, community.language)


def zone_of(member: MemberRecord, community: Community) -> ZoneInfo:
    """The member's zone: the one their check-ins use (or they gave with `buddy
    join`), else the community's."""
    return member.zone(community.checkins.default_timezone)


def command(config: Config, member: MemberRecord, community: Community, words: str) -> str:
    """A choice's command; in a DM shared by several communities it names this one."""
    several = len(config.communities_on(member.platform)) > 1
    return f"{words} --community {community.name}" if several else words


async def name_of(tx: Transaction, vault: Vault, member: MemberRecord, locale: str) -> str:
    """The name a buddy sees: the member's display name (bot/members.py, as named
    celebrations use it), mention-free; "your buddy" when none is known."""
    name = await members.display_name(tx, vault, member.id)
    return neutralise_mentions(name) if name else texts.text("buddies.your_buddy", locale)


async def tell(
    tx: Transaction,
    vault: Vault,
    member: MemberRecord,
    community: Community,
    now: datetime,
    message: Message,
    kind: str,
    *,
    not_before: datetime | None = None,
) -> None:
    """A DM to `member` by the outbox (the other side of whoever acted)."""
    await outbox.enqueue(
        tx,
        vault,
        f"buddy:{kind}:{secrets.token_hex(8)}",
        member.dm,
        message,
        now,
        member_id=member.id,
        not_before=not_before,
    )


def proposal(config: Config, member: MemberRecord, community: Community, tag: str) -> Message:
    locale = locale_of(member, community)
    return Message(
        texts.text("buddies.proposal", locale, tag=tag, days=community.buddies.answer_days),
        choices=(
            _choice(
                config, member, community, "buddies.choice_accept", "buddy accept", ACCEPT_EMOJI
            ),
            _choice(
                config, member, community, "buddies.choice_decline", "buddy decline", DECLINE_EMOJI
            ),
        ),
    )


async def propose(
    tx: Transaction,
    vault: Vault,
    config: Config,
    community: Community,
    one: MemberRecord,
    other: MemberRecord,
    tag: str,
    now: datetime,
) -> int:
    deadline = now + timedelta(days=community.buddies.answer_days)
    pair_id = await store.propose(tx, vault, community.name, one.id, other.id, tag, deadline)
    for member in (one, other):
        await tell(
            tx, vault, member, community, now, proposal(config, member, community, tag), "ask"
        )
    return pair_id


def next_reminder(
    after: datetime,
    zone: ZoneInfo,
    community: Community,
    member: MemberRecord,
    cadence: str,
) -> datetime | None:
    """The next reminder: `gap` local days after `after`, at the reminder time in
    the member's zone, moved past their quiet hours."""
    gap = GAPS.get(cadence)
    if gap is None:
        return None
    day = after.astimezone(zone).date() + timedelta(days=gap)
    at: time = parse_hhmm(community.buddies.reminder_time)
    return delay_for_quiet(to_utc(day, at, zone), zone, member.quiet)


def local_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    return to_utc(moment.astimezone(zone).date(), time(0), zone)


def first_on_or_after(
    moment: datetime, zone: ZoneInfo, community: Community, member: MemberRecord
) -> datetime:
    """The first reminder time (local) at or after `moment`, past quiet hours."""
    at = parse_hhmm(community.buddies.reminder_time)
    day = moment.astimezone(zone).date()
    due = to_utc(day, at, zone)
    if due < moment:
        due = to_utc(day + timedelta(days=1), at, zone)
    return delay_for_quiet(due, zone, member.quiet)


async def schedule_reminders(
    tx: Transaction,
    pair: Pair,
    people: tuple[MemberRecord, ...],
    community: Community,
    now: datetime,
) -> None:
    for member in people:
        when = next_reminder(now, zone_of(member, community), community, member, pair.cadence)
        await store.set_reminder(tx, member.id, community.name, when)


async def form(
    tx: Transaction,
    vault: Vault,
    config: Config,
    community: Community,
    pair: Pair,
    one: MemberRecord,
    other: MemberRecord,
    now: datetime,
) -> str:
    """Both said yes: the pair forms, each learns the other's name. Returns what
    `one` (who answered last) is told; `other` hears by DM."""
    await store.form(tx, pair, now, day_floor(now, community.zone))
    for member in (one, other):
        await store.set_state(tx, member.id, community.name, store.PAIRED)
    await store.remember_met(tx, one, other, community.name, paired=True)
    await schedule_reminders(tx, pair, (one, other), community, now)
    other_locale = locale_of(other, community)
    await tell(
        tx,
        vault,
        other,
        community,
        now,
        Message(
            texts.text(
                "buddies.paired",
                other_locale,
                name=await name_of(tx, vault, one, other_locale),
                tag=pair.tag or "",
            )
        ),
        "paired",
    )
    locale = locale_of(one, community)
    return texts.text(
        "buddies.paired", locale, name=await name_of(tx, vault, other, locale), tag=pair.tag or ""
    )


async def end(
    tx: Transaction,
    vault: Vault,
    community: Community,
    pair: Pair,
    now: datetime,
    *,
    by: MemberRecord | None,
    told: str,
    told_ender: str | None = None,
    leaving: bool = False,
) -> None:
    """End a pairing (or a proposal). Both are remembered as met; whoever stays
    opted in waits for a new buddy, looked for from tomorrow. The other side
    hears `told` (no reasons); with no one acting (the job), both hear it,
    or `told_ender` for the one who asked (the gone-quiet end)."""
    one = await members.by_id(tx, vault, pair.member_a)
    other = await members.by_id(tx, vault, pair.member_b)
    await store.remove_pair(tx, pair.id)
    if one is not None and other is not None:
        paired = pair.status == store.PAIRED
        await store.remember_met(tx, one, other, community.name, paired=paired)
    later = now + timedelta(days=1)
    for member in (one, other):
        if member is None:
            continue
        if by is not None and member.id == by.id:
            if not leaving:
                await store.set_state(
                    tx, member.id, community.name, store.WAITING, match_after=later
                )
            continue
        await store.set_state(tx, member.id, community.name, store.WAITING, match_after=later)
        words = told_ender if told_ender and member.id == pair.quiet_asker else told
        if await store.membership(tx, vault, member.id, community.name) is None:
            continue  # left meanwhile: nothing to tell
        locale = locale_of(member, community)
        await tell(tx, vault, member, community, now, Message(texts.text(words, locale)), "ended")


def reminder(config: Config, member: MemberRecord, community: Community, name: str) -> Message:
    locale = locale_of(member, community)
    return Message(
        texts.text("buddies.reminder", locale, name=name),
        choices=(
            _choice(
                config, member, community, "buddies.choice_reached", "buddy reached", REACHED_EMOJI
            ),
            _choice(
                config,
                member,
                community,
                "buddies.choice_reminders_off",
                "buddy remind off",
                QUIET_OFF_EMOJI,
            ),
        ),
    )


def quiet_question(config: Config, member: MemberRecord, community: Community) -> Message:
    locale = locale_of(member, community)
    return Message(
        texts.text("buddies.quiet_question", locale, days=community.buddies.quiet_days),
        choices=(
            _choice(
                config,
                member,
                community,
                "buddies.choice_still_here",
                "buddy reached",
                REACHED_EMOJI,
            ),
            _choice(config, member, community, "buddies.choice_end", "buddy end", END_EMOJI),
        ),
    )


def _choice(
    config: Config, member: MemberRecord, community: Community, label: str, words: str, emoji: str
) -> Choice:
    """A one-tap answer, labelled in the member's language, its words as they type them."""
    return Choice(
        texts.text(label, locale_of(member, community)),
        command(config, member, community, words),
        emoji,
    )
