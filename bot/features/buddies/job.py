"""The buddies' scheduler job: look for partners for who is waiting, remind each
buddy at their own local time (past quiet hours, within their weekly budget),
and end what ran out of time — a proposal nobody answered, a pairing whose
quiet buddy did not answer the kind question.

Each row carries its own next moment (`match_after`, `next_reminder_at`,
`deadline`), so a restart neither loses nor repeats anything: a reminder is
queued in the outbox in the same transaction that moves its time on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import members
from bot.blocks import blocked_members
from bot.config import Community, Config
from bot.features.buddies import flow, store
from bot.features.buddies.matching import Candidate, pairs
from bot.localtime import delay_for_quiet, epoch, from_epoch
from bot.members import MemberRecord
from bot.metrics import Metrics
from bot.storage import Database, Transaction
from bot.texts import text
from bot.vault import Vault

log = logging.getLogger(__name__)

BATCH = 200
RETRY = timedelta(days=1)  # a member no one suits is looked at again a day later


class BuddyJob:
    name = "buddies"

    def __init__(
        self, db: Database, config: Config, vault: Vault, metrics: Metrics | None = None
    ) -> None:
        self.db = db
        self.config = config
        self.vault = vault
        self.metrics = metrics or Metrics()

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval(
            "SELECT min(t) FROM ("
            "SELECT min(match_after) AS t FROM buddy_members WHERE state = 'waiting' "
            "UNION ALL SELECT min(next_reminder_at) FROM buddy_members "
            "UNION ALL SELECT min(deadline) FROM buddy_pairs) AS due"
        )
        return None if value is None else from_epoch(value)

    async def run_due(self, now: datetime) -> None:
        await self._deadlines(now)
        await self._reminders(now)
        await self._matches(now)

    # --- what ran out of time -----------------------------------------------------

    async def _deadlines(self, now: datetime) -> None:
        async with self.db.transaction() as tx:
            due = await store.pairs_due(tx, self.vault, now, BATCH)
        for pair in due:
            try:
                async with self.db.transaction() as tx:
                    await self._deadline(tx, pair.id, now)
            except Exception:
                log.exception("buddy pairing %s: its deadline failed", pair.id)

    async def _deadline(self, tx: Transaction, pair_id: int, now: datetime) -> None:
        pair = await store.pair_by_id(tx, self.vault, pair_id)
        if pair is None or pair.deadline is None or pair.deadline > now:
            return  # answered or ended meanwhile
        community = self.config.community(pair.community)
        if community is None:
            await store.remove_pair(tx, pair.id)
            return
        if pair.status == store.PROPOSED:
            await flow.end(tx, self.vault, community, pair, now, by=None, told="buddies.lapsed")
            self.metrics.buddy("lapsed")
            return
        if pair.quiet_asker is None:
            await store.set_quiet(tx, pair.id, None, None)
            return
        # The kind question went unanswered: the pairing ends quietly for both.
        await flow.end(
            tx,
            self.vault,
            community,
            pair,
            now,
            by=None,
            told="buddies.quiet_end",
            told_ender="buddies.quiet_end_asker",
        )
        self.metrics.buddy("quiet_end")

    # --- reminders ---------------------------------------------------------------------

    async def _reminders(self, now: datetime) -> None:
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT member_id, community FROM buddy_members WHERE next_reminder_at <= $1 "
                "ORDER BY next_reminder_at LIMIT $2",
                epoch(now),
                BATCH,
            )
        for row in rows:
            try:
                async with self.db.transaction() as tx:
                    await self._remind(tx, row["member_id"], row["community"], now)
            except Exception:
                log.exception("a buddy reminder failed; the others go on")  # never which member

    async def _remind(self, tx: Transaction, member_id: int, name: str, now: datetime) -> None:
        found = await store.membership(tx, self.vault, member_id, name)
        if found is None or found.next_reminder_at is None or found.next_reminder_at > now:
            return
        community = self.config.community(name)
        member = await members.by_id(tx, self.vault, member_id)
        pair = await store.open_pair(tx, self.vault, member_id, name)
        if community is None or member is None or pair is None or pair.status != store.PAIRED:
            await store.set_reminder(tx, member_id, name, None)
            return
        zone = flow.zone_of(member, community)
        if member.unreachable:  # their DMs fail (bot/outbox.py): this one is skipped
            later = flow.next_reminder(now, zone, community, member, pair.cadence)
            await store.set_reminder(tx, member_id, name, later)
            return
        # Quiet hours are read now: they may have changed since the time was set.
        after_quiet = delay_for_quiet(now, zone, member.quiet)
        if after_quiet > now:
            await store.set_reminder(tx, member_id, name, after_quiet)
            return
        since, used = found.budget_since, found.budget_used
        if since is None or now >= since + flow.BUDGET_WINDOW:
            # The week counts from the local midnight of its first reminder: the
            # next may go at the usual time on the same weekday a week on.
            since, used = flow.local_midnight(now, zone), 0
        if used >= community.buddies.reminders_per_week:
            # Over budget: the next one waits until the week since the first is over.
            later = flow.first_on_or_after(since + flow.BUDGET_WINDOW, zone, community, member)
            await store.set_reminder(
                tx, member_id, name, later, budget_since=since, budget_used=used
            )
            return
        other = await members.by_id(tx, self.vault, pair.other(member_id))
        locale = flow.locale_of(member, community)
        buddy = (
            await flow.name_of(tx, self.vault, other, locale)
            if other is not None
            else text("buddies.your_buddy", locale)
        )
        await flow.tell(
            tx,
            self.vault,
            member,
            community,
            now,
            flow.reminder(self.config, member, community, buddy),
            "remind",
        )
        later = flow.next_reminder(now, zone, community, member, pair.cadence)
        await store.set_reminder(
            tx, member_id, name, later, budget_since=since, budget_used=used + 1
        )
        self.metrics.buddy("reminded")

    # --- matching ---------------------------------------------------------------------

    async def _matches(self, now: datetime) -> None:
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT DISTINCT community FROM buddy_members WHERE state = 'waiting' "
                "AND match_after <= $1",
                epoch(now),
            )
        for row in rows:
            community = self.config.community(row["community"])
            if community is None or not community.buddies.enabled:
                async with self.db.transaction() as tx:
                    await tx.execute(
                        "UPDATE buddy_members SET match_after = NULL WHERE community = $1",
                        row["community"],
                    )
                continue
            try:
                await self._match(community, now)
            except Exception:
                log.exception("buddy matching in %s failed", community.name)

    async def _match(self, community: Community, now: datetime) -> None:
        async with self.db.transaction() as tx:
            waiting = await store.waiting_in(tx, self.vault, community.name)
            blocked = await blocked_members(tx, self.vault, community.name, now)
            people: dict[int, MemberRecord] = {}
            candidates = []
            for found in waiting:
                member = await members.by_id(tx, self.vault, found.member_id)
                if member is None or member.unreachable:
                    continue
                people[member.id] = member
                offset = flow.zone_of(member, community).utcoffset(now)
                candidates.append(
                    Candidate(
                        member_id=member.id,
                        tags=frozenset(found.tags),
                        offset_minutes=int(offset.total_seconds() // 60) if offset else 0,
                        token=store.met_token(member, community.name),
                        met=await store.met_by(tx, member.id, community.name),
                        blocked=member.member in blocked,
                        due=found.match_after is not None and found.match_after <= now,
                    )
                )
            settings = community.buddies
            chosen = pairs(candidates, settings.max_hours_apart, community.buddy_tags)
            paired = {c.member_id for pair in chosen for c in pair[:2]}
            for found in waiting:  # no one suits them now: looked at again tomorrow
                due = found.match_after is not None and found.match_after <= now
                if due and found.member_id not in paired:
                    await store.set_match_after(tx, found.member_id, community.name, now + RETRY)
        for one, other, tag in chosen:
            try:
                async with self.db.transaction() as tx:
                    await self._propose(
                        tx, community, people[one.member_id], people[other.member_id], tag, now
                    )
            except _Taken:
                continue

    async def _propose(
        self,
        tx: Transaction,
        community: Community,
        one: MemberRecord,
        other: MemberRecord,
        tag: str,
        now: datetime,
    ) -> None:
        for member in (one, other):
            # Another process may have proposed them a moment ago: then not again.
            if not await store.set_state(
                tx, member.id, community.name, store.ASKED, expect=store.WAITING
            ):
                raise _Taken
        await flow.propose(tx, self.vault, self.config, community, one, other, tag, now)
        self.metrics.buddy("proposed")


class _Taken(Exception):
    """One of the two is no longer waiting: the proposal's transaction rolls back."""
