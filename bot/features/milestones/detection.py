"""The scheduler job that notices when a counter reaches a milestone.

Each counter stores when it next needs a look (`next_check_at`, indexed): the
member's next local midnight, moved past quiet hours — every day, whether or
not a threshold is near, so the time says nothing about the counter. At that
time the job raises the counter's high-water mark to the highest threshold
reached and, in the same transaction, queues the congratulation (and the
channel post the member chose; an anonymous one after a random delay) under
stable outbox keys. So a milestone is celebrated once across restarts, and
one passed while the bot was down is celebrated when it is back — only the
highest, never a burst.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot import members, outbox, texts
from bot.config import Community, Config
from bot.features.milestones import celebrations, counters
from bot.features.milestones.counters import Counter
from bot.features.milestones.thresholds import describe, highest_reached
from bot.localtime import delay_for_quiet, epoch, from_epoch
from bot.members import MemberRecord
from bot.port import Message
from bot.storage import Database, Transaction
from bot.texts import text
from bot.vault import Vault

log = logging.getLogger(__name__)

BATCH = 200
MAX_PASSES = 50


def congratulation(
    counter: Counter, reached: int, shared: bool, locale: str = texts.ENGLISH
) -> str:
    """The member's DM, in their language."""
    lines = [
        text(
            "milestones.congratulation",
            locale,
            duration=describe(reached, locale),
            name=counter.name,
        )
    ]
    if counter.visibility == "private":
        lines.append(text("milestones.congratulation_private", locale))
    elif not shared:
        lines.append(text("milestones.congratulation_no_channel", locale))
    else:
        lines.append(celebrations.shared_note(counter.visibility == "anonymous", locale))
    return "\n".join(lines)


class MilestoneJob:
    name = "milestones"

    def __init__(self, db: Database, config: Config, vault: Vault) -> None:
        self.db = db
        self.config = config
        self.vault = vault

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval("SELECT min(next_check_at) FROM milestone_counters")
        return None if value is None else from_epoch(value)

    async def run_due(self, now: datetime) -> None:
        # Every check moves its counter's time forward; the bound only stops a
        # batch that keeps failing from spinning.
        for _ in range(MAX_PASSES):
            rows = await self.db.fetch(  # passing by what another process holds
                "SELECT id FROM milestone_counters WHERE next_check_at <= $1 "
                f"ORDER BY next_check_at LIMIT $2{self.db.dialect.skip_locked}",
                epoch(now),
                BATCH,
            )
            for row in rows:
                try:
                    async with self.db.transaction() as tx:
                        await self._check(tx, row["id"], now)
                except Exception:
                    log.exception("milestone check for counter %s failed", row["id"])
            if len(rows) < BATCH:
                return

    async def _check(self, tx: Transaction, counter_id: int, now: datetime) -> None:
        # The claim: a counter another process is looking at right now is passed by.
        locked = f"SELECT 1 FROM milestone_counters WHERE id = $1{tx.dialect.skip_locked}"
        if await tx.fetchval(locked, counter_id) is None:
            return
        counter = await counters.by_id(tx, self.vault, counter_id)
        if counter is None or counter.next_check_at is None or counter.next_check_at > now:
            return  # changed since we looked
        community = self.config.community(counter.community)
        member = await members.by_id(tx, self.vault, counter.member_id)
        if community is None or member is None:
            # The community left the config: keep the counter, stop looking.
            await counters.set_next_check(tx, counter.id, None)
            return
        zone = counters.zone_for(member, community)
        # Quiet hours are read now, not when the time was stored: they may have changed.
        after_quiet = delay_for_quiet(now, zone, member.quiet)
        if after_quiet > now:
            await counters.set_next_check(tx, counter.id, after_quiet)
            return
        days = counter.days_on(now.astimezone(zone).date())
        reached = highest_reached(days, community.milestones.days, yearly=True)
        if reached > counter.celebrated_days and await counters.claim(
            tx, self.vault, counter, reached
        ):
            await self._celebrate(tx, counter, member, community, reached, now)
        else:
            await counters.save(tx, self.vault, counter)  # sealed afresh every day
        await counters.reschedule(tx, counter.id, member, community, now)

    async def _celebrate(
        self,
        tx: Transaction,
        counter: Counter,
        member: MemberRecord,
        community: Community,
        reached: int,
        now: datetime,
    ) -> None:
        # No log line here: a counter id next to an anonymous post's number would link them.
        shared = counter.visibility != "private" and bool(community.channels.celebrations)
        # The member hears first, privately; then the channel, as they chose.
        await outbox.enqueue(
            tx,
            self.vault,
            f"milestone:{counter.id}:{counter.attempt}:{reached}",
            member.dm,
            Message(
                congratulation(
                    counter, reached, shared, members.locale_for(member, community.language)
                )
            ),
            now,
            member_id=member.id,
        )
        if shared:
            anonymous = counter.visibility == "anonymous"
            name = None if anonymous else await celebrations.public_name(tx, self.vault, member)
            lang = community.language  # a channel post: the community's language
            duration = describe(reached, lang)
            if anonymous:
                post = text("milestones.milestone_post_anonymous", lang, duration=duration)
            elif name:
                post = text("milestones.milestone_post_named", lang, name=name, duration=duration)
            else:
                post = text("milestones.milestone_post_unnamed", lang, duration=duration)
            await celebrations.post(
                tx,
                self.vault,
                community,
                member,
                anonymous=anonymous,
                kind="milestone",
                text=post,
                now=now,
            )
