"""The weekly group check-in thread: when it is due, whether it opens, and its answers.

One row a week and community in `group_checkins`: its local day in the thread's
zone, when it is due, what became of it (pending → opened, skipped or missed) and
how many messages answered it. A pending row is decided once, in the transaction
that queues the post in the outbox under the occasion's own key, so restarts and
several processes on one database never open the same week twice. A week whose
last opened thread had no answers is skipped; the week after opens again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import outbox
from bot.config import Community, Config, GroupCheckin
from bot.localtime import epoch, from_epoch, parse_hhmm, to_utc
from bot.port import Message, MessagePosted, Place
from bot.storage import Database, Transaction
from bot.texts import day_short, text
from bot.vault import Vault

log = logging.getLogger(__name__)

#: the outbox key of a week's thread: `groupcheckin:COMMUNITY:YYYY-MM-DD`
KEY_PREFIX = "groupcheckin:"
#: a thread's title where the platform titles threads (Discord: 1–100 characters)
TITLE_MAX = 100
#: steps one pass may take for a community: plan, decide, plan again (twice after a downtime)
PASSES = 6

PENDING, OPENED, SKIPPED, MISSED = "pending", "opened", "skipped", "missed"


@dataclass(frozen=True)
class Occasion:
    local_date: date
    due_at: datetime


def zone_of(community: Community, settings: GroupCheckin) -> ZoneInfo:
    return ZoneInfo(settings.timezone or community.checkins.default_timezone)


def next_occasion(
    settings: GroupCheckin, zone: ZoneInfo, after: datetime, later_than: date | None = None
) -> Occasion:
    """The first weekly occasion due strictly after `after` (and on a day after
    `later_than`), in the thread's own wall-clock time: a daylight-saving change
    never shifts it."""
    at = parse_hhmm(settings.time)
    day = after.astimezone(zone).date()
    if later_than is not None:
        day = max(day, later_than + timedelta(days=1))
    day += timedelta(days=(settings.weekday_number - day.weekday()) % 7)
    while True:
        due = to_utc(day, at, zone)
        if due > after:
            return Occasion(day, due)
        day += timedelta(days=7)


def thread_message(community: Community, settings: GroupCheckin) -> Message:
    """The post that starts the thread, in the community's language: the community's
    own words, or the catalogue's prompt, and who can read the answers."""
    language = community.language
    prompt = settings.text.strip() if settings.text else text("groupcheckin.prompt", language)
    return Message(f"{prompt}\n{text('groupcheckin.footer', language)}")


def thread_title(community: Community, day: date) -> str:
    title = text(
        "groupcheckin.thread_title", community.language, day=day_short(day, community.language)
    )
    return title[:TITLE_MAX]


def occasion_key(community: str, day: date) -> str:
    return f"{KEY_PREFIX}{community}:{day.isoformat()}"


async def answered_occasion(
    tx: Transaction, vault: Vault, event: MessagePosted
) -> tuple[str, date] | None:
    """The (community, day) of the group check-in `event` answers, if its thread is
    one Hearth opened; None for any other thread. Found through the outbox row the
    thread's first post went out as (its platform id is kept as a keyed hash)."""
    if event.thread is None:
        return None
    sent = await outbox.find_sent(tx, vault, event.member.platform, event.thread)
    key = sent.idempotency_key if sent is not None else None
    if key is None or not key.startswith(KEY_PREFIX):
        return None
    community, _, day = key.removeprefix(KEY_PREFIX).rpartition(":")
    try:
        return community, date.fromisoformat(day)
    except ValueError:
        return None


async def count_answer(tx: Transaction, community: str, day: date) -> None:
    """One more message in that week's thread: a count, never who and never what."""
    await tx.execute(
        "UPDATE group_checkins SET answers = answers + 1 "
        "WHERE community = $1 AND local_date = $2 AND outcome = $3",
        community,
        day.isoformat(),
        OPENED,
    )


class GroupCheckinJob:
    """A scheduler job: open each community's weekly thread at its local time, once."""

    name = "group-checkins"

    def __init__(self, db: Database, config: Config, vault: Vault) -> None:
        self.db = db
        self.config = config  # replaced by `mod reload`
        self.vault = vault
        #: communities whose planning failed in this process: not retried at once
        #: (`next_due_at`), but at the next pass, so one broken week cannot spin the loop
        self._failed: set[str] = set()

    def _configured(self) -> list[tuple[Community, GroupCheckin]]:
        return [
            (c, c.peers.group_checkin) for c in self.config.communities if c.peers.group_checkin
        ]

    async def next_due_at(self) -> datetime | None:
        rows = await self.db.fetch(
            "SELECT community, min(due_at) AS due_at FROM group_checkins "
            "WHERE outcome = $1 GROUP BY community",
            PENDING,
        )
        due = {row["community"]: from_epoch(row["due_at"]) for row in rows}
        configured = {community.name for community, _ in self._configured()}
        if (configured - set(due) - self._failed) or set(due) - configured:
            return from_epoch(0)  # a week to plan or to forget: at once
        return min(due.values(), default=None)

    async def run_due(self, now: datetime) -> None:
        # The scheduler passes after every event: one read says whether anything is to do.
        rows = await self.db.fetch(
            "SELECT community, local_date, due_at FROM group_checkins WHERE outcome = $1",
            PENDING,
        )
        waiting = {row["community"]: row for row in rows}
        configured = self._configured()
        for community, settings in configured:
            row = waiting.get(community.name)
            zone = zone_of(community, settings)
            if row is not None and row["due_at"] > epoch(now) and _fits(row, settings, zone):
                continue  # planned, and not due yet
            try:
                async with self.db.transaction() as tx:
                    await self._plan(tx, community, settings, now)
                self._failed.discard(community.name)
            except Exception:
                self._failed.add(community.name)
                log.exception("group check-in of community %s failed", community.name)
        names = [c.name for c, _ in configured]
        if set(waiting) - set(names):
            async with self.db.transaction() as tx:
                await self._forget_unconfigured(tx, names)

    async def _forget_unconfigured(self, tx: Transaction, names: Sequence[str]) -> None:
        """A community that turned the thread off (or left the config): no week waits."""
        rows = await tx.fetch(
            "SELECT DISTINCT community FROM group_checkins WHERE outcome = $1", PENDING
        )
        for row in rows:
            if row["community"] not in names:
                await tx.execute(
                    "DELETE FROM group_checkins WHERE community = $1 AND outcome = $2",
                    row["community"],
                    PENDING,
                )

    async def _plan(
        self, tx: Transaction, community: Community, settings: GroupCheckin, now: datetime
    ) -> None:
        zone = zone_of(community, settings)
        catch_up = timedelta(hours=community.checkins.catch_up_hours)
        for _ in range(PASSES):
            pending = await tx.fetchrow(
                "SELECT local_date, due_at FROM group_checkins "
                f"WHERE community = $1 AND outcome = $2{tx.dialect.lock_row}",
                community.name,
                PENDING,
            )
            if pending is not None and not _fits(pending, settings, zone):
                # The weekday or time changed (`mod reload`): plan that week anew.
                await tx.execute(
                    "DELETE FROM group_checkins WHERE community = $1 AND outcome = $2",
                    community.name,
                    PENDING,
                )
                pending = None
            if pending is None:
                await self._add_next(tx, community, settings, zone, now, catch_up)
                continue
            due = from_epoch(pending["due_at"])
            if due > now:
                return
            day = date.fromisoformat(pending["local_date"])
            await self._decide(tx, community, settings, day, due, now, catch_up)

    async def _add_next(
        self,
        tx: Transaction,
        community: Community,
        settings: GroupCheckin,
        zone: ZoneInfo,
        now: datetime,
        catch_up: timedelta,
    ) -> None:
        """Plan the coming week. After a downtime, a week still within the catch-up
        window is owed; older ones are not, and never arrive in a burst."""
        last = await tx.fetchrow(
            "SELECT max(local_date) AS local_date, max(due_at) AS due_at FROM group_checkins "
            "WHERE community = $1",
            community.name,
        )
        if last is None or last["due_at"] is None:
            after, later_than = now - timedelta(seconds=1), None  # a week due right now counts
        else:  # a day of its own: never one already decided, whatever the settings were
            after = max(from_epoch(last["due_at"]), now - catch_up)
            later_than = date.fromisoformat(last["local_date"])
        occasion = next_occasion(settings, zone, after, later_than)
        await tx.execute(
            "INSERT INTO group_checkins (community, local_date, due_at, outcome) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (community, local_date) DO NOTHING",
            community.name,
            occasion.local_date.isoformat(),
            epoch(occasion.due_at),
            PENDING,
        )

    async def _decide(
        self,
        tx: Transaction,
        community: Community,
        settings: GroupCheckin,
        day: date,
        due: datetime,
        now: datetime,
        catch_up: timedelta,
    ) -> None:
        if now - due > catch_up:
            outcome = MISSED
        elif await _last_went_unanswered(tx, community.name, day):
            outcome = SKIPPED
        else:
            outcome = OPENED
        decided = await tx.execute(
            "UPDATE group_checkins SET outcome = $1 "
            "WHERE community = $2 AND local_date = $3 AND outcome = $4",
            outcome,
            community.name,
            day.isoformat(),
            PENDING,
        )
        if decided != 1:
            return  # another process decided it first
        log.info("group check-in of community %s for %s: %s", community.name, day, outcome)
        if outcome != OPENED:
            return
        await outbox.enqueue(
            tx,
            self.vault,
            occasion_key(community.name, day),
            Place.channel(community.platform, settings.channel),
            thread_message(community, settings),
            now,
            expires_at=due + catch_up,
            thread=thread_title(community, day),
        )


def _fits(row: object, settings: GroupCheckin, zone: ZoneInfo) -> bool:
    """Whether a planned week still matches the settings (weekday, time, zone)."""
    day = date.fromisoformat(row["local_date"])  # type: ignore[index]
    if day.weekday() != settings.weekday_number:
        return False
    return epoch(to_utc(day, parse_hhmm(settings.time), zone)) == row["due_at"]  # type: ignore[index]


async def _last_went_unanswered(tx: Transaction, community: str, day: date) -> bool:
    """Whether the latest week before `day` that was opened or skipped was opened and
    nobody answered it: then this week rests, and the next one opens again."""
    last = await tx.fetchrow(
        "SELECT outcome, answers FROM group_checkins WHERE community = $1 AND local_date < $2 "
        "AND outcome IN ($3, $4) ORDER BY local_date DESC LIMIT 1",
        community,
        day.isoformat(),
        OPENED,
        SKIPPED,
    )
    return last is not None and last["outcome"] == OPENED and last["answers"] == 0
