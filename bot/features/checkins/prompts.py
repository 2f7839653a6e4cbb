"""Scheduled check-in prompts.

Each schedule stores its next due time (`next_prompt_at`, indexed), so finding
due work costs what is due, not how many members exist. A slot — (member,
local date, scheduled time) — is claimed in `prompt_slots` in the same
transaction that queues the prompt in the outbox, so it is prompted at most
once whatever restarts or replays happen. A slot found more than the
catch-up window late is recorded as missed and never sent in a burst.
Processes sharing one database lease batches of due schedules (`_lease`), so
each is fired by one of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import members, outbox, slot_counts
from bot.config import Community, Config
from bot.features.checkins.moods import mood_labels
from bot.features.checkins.streaks import Break
from bot.localtime import (
    QuietHours,
    Slot,
    delay_for_quiet,
    epoch,
    format_hhmm,
    from_epoch,
    next_slot,
    parse_hhmm,
    to_utc,
)
from bot.members import MemberRecord
from bot.metrics import Metrics
from bot.port import Choice, Message
from bot.requests import scope_choices
from bot.storage import Database, Transaction
from bot.texts import text
from bot.vault import Vault

log = logging.getLogger(__name__)

BATCH = 200
MAX_PASSES = 10
LEASE = timedelta(minutes=1)  # a claimed schedule is its process's to fire until then
SNOOZE = timedelta(hours=1)
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")
#: ends a prompt's mood choices: `checkin 4 --prompt 2026-03-02@09:00` answers that
#: prompt, so a second tap on it replaces the first answer (handlers._take_answer)
ANSWER = "--prompt"
SLOT = "s.member_id = $1 AND s.community = $2 AND s.local_date = $3 AND s.prompt_time = $4"


def mood_choices(
    community: Community, answers: str | None = None, *, locale: str | None = None
) -> tuple[Choice, ...]:
    marker = f" {ANSWER} {answers}" if answers else ""
    labels = mood_labels(community, locale or community.language)
    return tuple(
        Choice(label, f"checkin {mood}{marker}", KEYCAPS[mood - 1])
        for mood, label in enumerate(labels, start=1)
    )


def prompt_message(
    community: Community, slot: str | None = None, locale: str | None = None
) -> Message:
    """The prompt for `slot` (`2026-03-02@09:00`), which its answers name, in the
    member's language (`locale`; the community's if not given)."""
    locale = locale or community.language
    return Message(
        text("checkins.prompt", locale),
        choices=mood_choices(community, slot, locale=locale)
        + (
            Choice(text("checkins.choice_snooze", locale), "checkin snooze", "⏰"),
            Choice(text("checkins.choice_skip", locale), "checkin skip", "⏭️"),
        ),
    )


@dataclass(frozen=True)
class Schedule:
    member_id: int
    community: str
    prompt_time: time
    days: int
    next_prompt_at: datetime | None
    next_slot_date: date | None
    snooze_until: datetime | None


def _schedule(row: object) -> Schedule:
    return Schedule(
        member_id=row["member_id"],  # type: ignore[index]
        community=row["community"],  # type: ignore[index]
        prompt_time=parse_hhmm(row["prompt_time"]),  # type: ignore[index]
        days=row["days"],  # type: ignore[index]
        next_prompt_at=from_epoch(row["next_prompt_at"]) if row["next_prompt_at"] else None,  # type: ignore[index]
        next_slot_date=date.fromisoformat(row["next_slot_date"]) if row["next_slot_date"] else None,  # type: ignore[index]
        snooze_until=from_epoch(row["snooze_until"]) if row["snooze_until"] else None,  # type: ignore[index]
    )


async def load_schedule(tx: Transaction, member_id: int, community: str) -> Schedule | None:
    row = await tx.fetchrow(
        "SELECT * FROM schedules WHERE member_id = $1 AND community = $2", member_id, community
    )
    return None if row is None else _schedule(row)


async def load_breaks(tx: Transaction, member_id: int, community: str) -> list[Break]:
    rows = await tx.fetch(
        "SELECT kind, start_date, end_date FROM checkin_breaks "
        "WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    return [
        Break(
            r["kind"],
            date.fromisoformat(r["start_date"]),
            date.fromisoformat(r["end_date"]) if r["end_date"] else None,
        )
        for r in rows
    ]


def slot_checkin_day(slot: Slot, prompt_time: time, day_reset: time) -> date:
    """The check-in day a slot belongs to (a 02:00 prompt belongs to the day before)."""
    return slot.local_date - timedelta(days=1) if prompt_time < day_reset else slot.local_date


def upcoming_slot(
    after: datetime,
    schedule: Schedule,
    zone: ZoneInfo,
    quiet: QuietHours | None,
    breaks: Sequence[Break],
    day_reset: time,
) -> Slot | None:
    """The next slot after `after` that no pause or skip covers; None while paused open-endedly."""
    not_before: date | None = None
    skipped: set[date] = set()
    for _ in range(50):
        slot = next_slot(
            after, schedule.prompt_time, schedule.days, zone, quiet, frozenset(skipped), not_before
        )
        day = slot_checkin_day(slot, schedule.prompt_time, day_reset)
        covering = next((b for b in breaks if b.covers(day)), None)
        if covering is None:
            return slot
        if covering.end is None:
            return None
        if covering.end == covering.start:
            skipped.add(slot.local_date)
        else:
            not_before = covering.end + timedelta(days=1)
    return None


async def reschedule(
    tx: Transaction,
    member: MemberRecord,
    community: Community,
    after: datetime,
) -> Schedule | None:
    """Recompute and store when this member is next prompted; return the schedule."""
    schedule = await load_schedule(tx, member.id, community.name)
    if schedule is None:
        return None
    slot = None
    if not member.unreachable:
        zone = member.zone(community.checkins.default_timezone)
        breaks = await load_breaks(tx, member.id, community.name)
        slot = upcoming_slot(
            after, schedule, zone, member.quiet, breaks, parse_hhmm(community.checkins.day_reset)
        )
    due = slot.due_at if slot else None
    snooze = schedule.snooze_until
    next_at = min((t for t in (due, snooze) if t is not None), default=None)
    await tx.execute(
        "UPDATE schedules SET next_prompt_at = $1, next_slot_date = $2 "
        "WHERE member_id = $3 AND community = $4",
        None if next_at is None else epoch(next_at),
        None if slot is None else slot.local_date.isoformat(),
        member.id,
        community.name,
    )
    return await load_schedule(tx, member.id, community.name)


async def snooze(
    tx: Transaction, member: MemberRecord, community: Community, now: datetime
) -> datetime:
    zone = member.zone(community.checkins.default_timezone)
    until = delay_for_quiet(now + SNOOZE, zone, member.quiet)
    await tx.execute(
        "UPDATE schedules SET snooze_until = $1 WHERE member_id = $2 AND community = $3",
        epoch(until),
        member.id,
        community.name,
    )
    await reschedule(tx, member, community, now)
    return until


class PromptJob:
    """A scheduler job: queue every prompt that is due, exactly once."""

    name = "checkin-prompts"

    def __init__(
        self, db: Database, config: Config, vault: Vault, metrics: Metrics | None = None
    ) -> None:
        self.db = db
        self.config = config
        self.vault = vault
        self.metrics = metrics or Metrics()

    def _for_dm(self, message: Message, community: Community) -> Message:
        if len(self.config.communities_on(community.platform)) > 1:
            return scope_choices(message, community.name)
        return message

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval("SELECT min(next_prompt_at) FROM schedules")
        return None if value is None else from_epoch(value)

    async def run_due(self, now: datetime) -> None:
        # Each pass moves every due schedule strictly forward; a few passes
        # cover a slot that a long downtime left inside the catch-up window.
        for _ in range(MAX_PASSES):
            lease = epoch(now + LEASE)
            rows = await self._lease(now, lease)
            if not rows:
                return
            # Each schedule in its own transaction, so one failure stays alone;
            # together, so a morning's prompts share their commits.
            await asyncio.gather(*(self._fire_one(row, now, lease) for row in rows))

    async def _lease(self, now: datetime, lease: int) -> Sequence[object]:
        """Claim due schedules for this process, committed, so that other processes
        on the same database pass them by: until `lease` their next_prompt_at
        is the lease. One never fired (its process died) is due again then."""
        async with self.db.transaction() as tx:
            return await tx.fetch(
                "UPDATE schedules SET next_prompt_at = $1 WHERE (member_id, community) IN ("
                "SELECT member_id, community FROM schedules WHERE next_prompt_at <= $2 "
                f"ORDER BY next_prompt_at LIMIT $3{tx.dialect.skip_locked}) "
                "RETURNING member_id, community",
                lease,
                epoch(now),
                BATCH,
            )

    async def _fire_one(self, row: object, now: datetime, lease: int) -> None:
        member_id, community = row["member_id"], row["community"]  # type: ignore[index]
        try:
            async with self.db.transaction() as tx:
                await self._fire(tx, member_id, community, now, lease)
        except Exception:
            log.exception("a check-in prompt failed; the others go on")  # never which member

    async def _fire(
        self, tx: Transaction, member_id: int, community_name: str, now: datetime, lease: int
    ) -> None:
        # Still ours? A command may have rescheduled it since, or (had we been
        # stalled past the lease) another process claimed it again.
        claimed = await tx.fetchrow(
            "SELECT * FROM schedules WHERE member_id = $1 AND community = $2 "
            f"AND next_prompt_at = $3{tx.dialect.lock_row}",
            member_id,
            community_name,
            lease,
        )
        if claimed is None:
            return
        schedule = _schedule(claimed)
        member = await members.by_id(tx, self.vault, member_id)
        community = self.config.community(community_name)
        if schedule is None or member is None or schedule.next_prompt_at is None:
            return  # changed since we looked
        if community is None:
            # The community left the config: keep the schedule, stop prompting.
            await tx.execute(
                "UPDATE schedules SET next_prompt_at = NULL "
                "WHERE member_id = $1 AND community = $2",
                member_id,
                community_name,
            )
            return
        zone = member.zone(community.checkins.default_timezone)
        catch_up = timedelta(hours=community.checkins.catch_up_hours)
        if schedule.snooze_until is not None and schedule.snooze_until <= now:
            local = schedule.snooze_until.astimezone(zone)
            label = "snooze@" + format_hhmm(local.time())
            await self._claim(
                tx, member, community, local.date(), label, schedule.snooze_until, now, catch_up
            )
            await tx.execute(
                "UPDATE schedules SET snooze_until = NULL WHERE member_id = $1 AND community = $2",
                member_id,
                community_name,
            )
        after = now
        if schedule.next_slot_date is not None:
            slot_due = delay_for_quiet(
                to_utc(schedule.next_slot_date, schedule.prompt_time, zone), zone, member.quiet
            )
            if slot_due <= now:
                await self._claim(
                    tx,
                    member,
                    community,
                    schedule.next_slot_date,
                    format_hhmm(schedule.prompt_time),
                    slot_due,
                    now,
                    catch_up,
                )
                # Never look back past the catch-up window: older slots are not owed.
                after = max(slot_due, now - catch_up)
            else:
                after = slot_due - timedelta(seconds=1)  # keep the slot still to come
        await reschedule(tx, member, community, after)

    async def _claim(
        self,
        tx: Transaction,
        member: MemberRecord,
        community: Community,
        slot_date: date,
        slot_time: str,
        due: datetime,
        now: datetime,
        catch_up: timedelta,
    ) -> None:
        late = now - due > catch_up
        claimed = await tx.execute(
            "INSERT INTO prompt_slots (member_id, community, local_date, prompt_time, outcome, "
            "due_at, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (member_id, community, local_date, prompt_time) DO NOTHING",
            member.id,
            community.name,
            slot_date.isoformat(),
            slot_time,
            "missed" if late else "sent",
            epoch(due),
            epoch(now),
        )
        if claimed == 1:
            self.metrics.prompt("missed" if late else "queued")
        if claimed != 1:
            return
        slot = (member.id, community.name, slot_date.isoformat(), slot_time)
        if late:
            await slot_counts.join(tx, SLOT, *slot)
            return
        key = f"prompt:{member.id}:{community.name}:{slot_date.isoformat()}:{slot_time}"
        await outbox.enqueue(
            tx,
            self.vault,
            key,
            member.dm,
            self._for_dm(
                prompt_message(
                    community,
                    f"{slot_date.isoformat()}@{slot_time}",
                    members.locale_for(member, community.language),  # the member's language
                ),
                community,
            ),
            now,
            member_id=member.id,
            expires_at=due + catch_up,
        )
        await tx.execute(  # for delivery statistics: the outbox row's id, not its key
            "UPDATE prompt_slots SET outbox_id = $1 WHERE member_id = $2 AND community = $3 "
            "AND local_date = $4 AND prompt_time = $5",
            await outbox.row_id_for(tx, self.vault, key),
            member.id,
            community.name,
            slot_date.isoformat(),
            slot_time,
        )
        await slot_counts.join(tx, SLOT, *slot)  # for mod stats, counted as it happens
