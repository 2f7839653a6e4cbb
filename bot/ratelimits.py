"""Cooldowns and per-day limits for anonymous acts, without dating the acts.

A limit needs to know when a member last shared, or how many reports they
sent today; the shares and reports themselves are dated only to the day and
carry nothing in common (bot/anonymity.py). So each limit keeps one short-lived
row per member and purpose, under a keyed hash of both, which says only "this
someone is limited until then". Housekeeping deletes it once it has run out,
so a copy of the database holds the marks of the last few minutes or hours,
and nothing older.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.localtime import epoch
from bot.port import Member
from bot.storage import Transaction
from bot.vault import Vault


def _mark(vault: Vault, purpose: str, community: str, member: Member) -> str:
    return vault.lookup("limit", purpose, community, member.platform, member.user_id)


async def seconds_left(
    tx: Transaction, vault: Vault, purpose: str, community: str, member: Member, now: datetime
) -> int:
    """How long this member's `purpose` mark still runs (0: none in force)."""
    until = await tx.fetchval(
        "SELECT until FROM rate_marks WHERE mark = $1", _mark(vault, purpose, community, member)
    )
    return max(0, int(until) - epoch(now)) if until is not None else 0


async def hits(
    tx: Transaction, vault: Vault, purpose: str, community: str, member: Member, now: datetime
) -> int:
    """How many times `purpose` was counted in the window still running."""
    row = await tx.fetchrow(
        "SELECT hits, until FROM rate_marks WHERE mark = $1",
        _mark(vault, purpose, community, member),
    )
    return 0 if row is None or row["until"] <= epoch(now) else int(row["hits"])


async def count(
    tx: Transaction,
    vault: Vault,
    purpose: str,
    community: str,
    member: Member,
    now: datetime,
    window: timedelta,
) -> None:
    """Count one act: a window that has run out starts again from now."""
    start, until = epoch(now), epoch(now + window)
    await tx.execute(
        "INSERT INTO rate_marks (mark, hits, until) VALUES ($1, 1, $2) "
        "ON CONFLICT (mark) DO UPDATE SET "
        "hits = CASE WHEN rate_marks.until <= $3 THEN 1 ELSE rate_marks.hits + 1 END, "
        "until = CASE WHEN rate_marks.until <= $3 THEN excluded.until ELSE rate_marks.until END",
        _mark(vault, purpose, community, member),
        until,
        start,
    )


async def purge(tx: Transaction, now: datetime) -> int:
    return await tx.execute("DELETE FROM rate_marks WHERE until <= $1", epoch(now))
