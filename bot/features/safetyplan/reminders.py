"""Reminders a member chose (`safetyplan remind monthly`): once a month, at the local
time of day they asked, moved past their quiet hours, a DM asks whether they would
like to look at their plan again."""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot import members, outbox
from bot.config import Config
from bot.features.safetyplan import store
from bot.features.safetyplan.commands import NAME
from bot.localtime import (
    QuietHours,
    delay_for_quiet,
    epoch,
    format_hhmm,
    from_epoch,
    parse_hhmm,
    to_utc,
)
from bot.port import Choice, Message
from bot.storage import Database, Transaction
from bot.texts import text
from bot.vault import Vault

log = logging.getLogger(__name__)

BATCH = 50


def _month_after(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_after(moment: datetime, at: time, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """A month after `moment`'s local day, at `at` local time, past quiet hours."""
    day = _month_after(moment.astimezone(zone).date())
    return delay_for_quiet(to_utc(day, at, zone), zone, quiet)


def first(now: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> tuple[str, datetime]:
    """The time of day the member asked (to the minute) and the first reminder's moment."""
    local = now.astimezone(zone)
    at = time(local.hour, local.minute)
    return format_hhmm(at), next_after(now, at, zone, quiet)


def stored(moment: datetime) -> int:
    return epoch(moment)


class PlanReminderJob:
    name = "safetyplan-reminders"

    def __init__(self, db: Database, config: Config, vault: Vault) -> None:
        self.db = db
        self.config = config
        self.vault = vault

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval(
            "SELECT min(remind_at) FROM safety_plans WHERE remind_at IS NOT NULL"
        )
        return None if value is None else from_epoch(value)

    async def run_due(self, now: datetime) -> None:
        rows = await self.db.fetch(
            "SELECT member_id FROM safety_plans WHERE remind_at IS NOT NULL AND remind_at <= $1 "
            "ORDER BY remind_at LIMIT $2",
            epoch(now),
            BATCH,
        )
        for row in rows:
            try:
                async with self.db.transaction() as tx:
                    await self._remind(tx, row["member_id"], now)
            except Exception:
                log.exception("a safety plan reminder failed")

    async def _remind(self, tx: Transaction, member_id: int, now: datetime) -> None:
        plan = await store.load(tx, self.vault, member_id)
        if plan is None or plan.remind_at is None or plan.remind_at > epoch(now):
            return  # changed since we looked
        community = self.config.community(plan.community)
        member = await members.by_id(tx, self.vault, member_id)
        if community is None or member is None or plan.remind_time is None:
            plan.remind_at = None  # the community left the config: stop, keep the plan
            await store.save(tx, self.vault, plan)
            return
        zone = member.zone(community.checkins.default_timezone)
        # Quiet hours are read now, not when the time was stored: they may have changed.
        after_quiet = delay_for_quiet(now, zone, member.quiet)
        if after_quiet > now:
            plan.remind_at = epoch(after_quiet)
            await store.save(tx, self.vault, plan)
            return
        locale = members.locale_for(member, community.language)
        words = "safetyplan.reminder" if plan.written else "safetyplan.reminder_unwritten"
        look = Choice(text("safetyplan.choice_look", locale), NAME, "📖")
        await outbox.enqueue(
            tx,
            self.vault,
            f"safetyplan-reminder:{member_id}:{plan.remind_at}",
            member.dm,
            Message(text(words, locale), choices=(look,)),
            now,
            member_id=member_id,
        )
        plan.remind_at = epoch(next_after(now, parse_hhmm(plan.remind_time), zone, member.quiet))
        await store.save(tx, self.vault, plan)
