"""Members as the core stores them: (platform, user id) → a row with their
time zone, quiet hours and whether their DMs can be reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.localtime import QuietHours, epoch, parse_hhmm
from bot.port import Member, Place
from bot.storage import Transaction


@dataclass(frozen=True)
class MemberRecord:
    id: int
    platform: str
    user_id: str
    timezone: str | None
    quiet: QuietHours | None
    unreachable: bool
    unreachable_told: bool

    @property
    def member(self) -> Member:
        return Member(self.platform, self.user_id)

    @property
    def dm(self) -> Place:
        return Place.dm(self.member)

    def zone(self, default: str) -> ZoneInfo:
        return ZoneInfo(self.timezone or default)


def _record(row: object) -> MemberRecord:
    quiet = None
    if row["quiet_start"] and row["quiet_end"]:  # type: ignore[index]
        quiet = QuietHours(parse_hhmm(row["quiet_start"]), parse_hhmm(row["quiet_end"]))  # type: ignore[index]
    return MemberRecord(
        id=row["id"],  # type: ignore[index]
        platform=row["platform"],  # type: ignore[index]
        user_id=row["user_id"],  # type: ignore[index]
        timezone=row["timezone"],  # type: ignore[index]
        quiet=quiet,
        unreachable=row["unreachable_at"] is not None,  # type: ignore[index]
        unreachable_told=bool(row["unreachable_told"]),  # type: ignore[index]
    )


async def get_or_create(tx: Transaction, member: Member, now: datetime) -> MemberRecord:
    found = await find(tx, member)  # the common case: one statement
    if found is not None:
        return found
    await tx.execute(
        "INSERT INTO members (platform, user_id, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (platform, user_id) DO NOTHING",
        member.platform,
        member.user_id,
        epoch(now),
    )
    return await find(tx, member)  # type: ignore[return-value]


async def find(tx: Transaction, member: Member) -> MemberRecord | None:
    row = await tx.fetchrow(
        "SELECT * FROM members WHERE platform = $1 AND user_id = $2",
        member.platform,
        member.user_id,
    )
    return None if row is None else _record(row)


async def by_id(tx: Transaction, member_id: int) -> MemberRecord | None:
    row = await tx.fetchrow("SELECT * FROM members WHERE id = $1", member_id)
    return None if row is None else _record(row)


async def set_timezone(tx: Transaction, member_id: int, zone: str) -> None:
    await tx.execute("UPDATE members SET timezone = $1 WHERE id = $2", zone, member_id)


async def set_quiet(tx: Transaction, member_id: int, quiet: QuietHours | None) -> None:
    start, end = str(quiet).split("-") if quiet else (None, None)
    await tx.execute(
        "UPDATE members SET quiet_start = $1, quiet_end = $2 WHERE id = $3", start, end, member_id
    )


async def mark_unreachable(tx: Transaction, member_id: int, now: datetime) -> None:
    """DMs to this member fail: stop prompting until they come back."""
    await tx.execute(
        "UPDATE members SET unreachable_at = $1, unreachable_told = 0 "
        "WHERE id = $2 AND unreachable_at IS NULL",
        epoch(now),
        member_id,
    )
    await tx.execute("UPDATE schedules SET next_prompt_at = NULL WHERE member_id = $1", member_id)


async def mark_reachable(tx: Transaction, member_id: int) -> None:
    await tx.execute(
        "UPDATE members SET unreachable_at = NULL, unreachable_told = 0 WHERE id = $1", member_id
    )


async def mark_told_unreachable(tx: Transaction, member_id: int) -> None:
    await tx.execute("UPDATE members SET unreachable_told = 1 WHERE id = $1", member_id)
