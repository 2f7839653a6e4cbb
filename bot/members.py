"""Members as the core stores them: (platform, user id) → a row with their
time zone, quiet hours and whether their DMs can be reached.

No row holds the user id in the clear: a row is found by a keyed hash of
(platform, user id) — one index probe — and the id itself is sealed, opened
only to send. Each member also has a random secret, sealed, from which the
tokens of their anonymous items are derived (bot/anonymity.py): deleting the
row makes those tokens unrecoverable."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.localtime import QuietHours, day_floor, parse_hhmm
from bot.port import Member, Place
from bot.storage import Transaction
from bot.vault import MEMBER_IDENTITY, MEMBER_NAME, MEMBER_SECRET, Vault

NAME_MAX_LENGTH = 64


@dataclass(frozen=True)
class MemberRecord:
    id: int
    platform: str
    user_id: str
    timezone: str | None
    quiet: QuietHours | None
    unreachable: bool
    unreachable_told: bool
    sealed_secret: str
    vault: Vault
    #: the member's language (a shipped locale), None for the community's; `chosen`
    #: when they set it with `language`, not their app (bot/features/language.py)
    language: str | None = None
    language_chosen: bool = False

    @cached_property
    def secret(self) -> bytes:
        """What keys this member's anonymous tokens (bot/anonymity.py); opened only
        when a request needs it, and never leaves the process."""
        return base64.b64decode(self.vault.open(MEMBER_SECRET, self.id, self.sealed_secret))

    @property
    def member(self) -> Member:
        return Member(self.platform, self.user_id)

    @property
    def dm(self) -> Place:
        return Place.dm(self.member)

    def zone(self, default: str) -> ZoneInfo:
        return ZoneInfo(self.timezone or default)


def record(row: object, vault: Vault, user_id: str | None = None) -> MemberRecord:
    """A member row as a record (`user_id` when the caller knows it: nothing to open)."""
    member_id = row["id"]  # type: ignore[index]
    if user_id is None:
        user_id = vault.open(MEMBER_IDENTITY, member_id, row["identity"])  # type: ignore[index]
    quiet = None
    if row["quiet_start"] and row["quiet_end"]:  # type: ignore[index]
        quiet = QuietHours(parse_hhmm(row["quiet_start"]), parse_hhmm(row["quiet_end"]))  # type: ignore[index]
    return MemberRecord(
        id=member_id,
        platform=row["platform"],  # type: ignore[index]
        user_id=user_id,
        timezone=row["timezone"],  # type: ignore[index]
        quiet=quiet,
        unreachable=row["unreachable_at"] is not None,  # type: ignore[index]
        unreachable_told=bool(row["unreachable_told"]),  # type: ignore[index]
        sealed_secret=row["secret"],  # type: ignore[index]
        vault=vault,
        language=row["language"],  # type: ignore[index]
        language_chosen=bool(row["language_chosen"]),  # type: ignore[index]
    )


async def get_or_create(tx: Transaction, vault: Vault, member: Member) -> MemberRecord:
    found = await find(tx, vault, member)  # the common case: one statement
    if found is not None:
        return found
    lookup = vault.member_lookup(member)
    # Two first commands at once (PostgreSQL): the unique lookup makes the second
    # wait for the first to commit and then find its row.
    await tx.execute(
        "INSERT INTO members (lookup, platform) VALUES ($1, $2) "
        "ON CONFLICT (platform, lookup) DO NOTHING",
        lookup,
        member.platform,
    )
    row = await tx.fetchrow(
        "SELECT * FROM members WHERE platform = $1 AND lookup = $2", member.platform, lookup
    )
    if row["identity"] is None:  # type: ignore[index]
        await seal_identity(tx, vault, row["id"], member.user_id)  # type: ignore[index]
    return await find(tx, vault, member)  # type: ignore[return-value]


async def seal_identity(
    tx: Transaction, vault: Vault, member_id: int, user_id: str, secret: bytes | None = None
) -> None:
    """Seal the user id and a (new) secret to the row `member_id`."""
    secret = secret if secret is not None else secrets.token_bytes(32)
    await tx.execute(
        "UPDATE members SET identity = $1, secret = $2 WHERE id = $3",
        vault.seal(MEMBER_IDENTITY, member_id, user_id),
        vault.seal(MEMBER_SECRET, member_id, base64.b64encode(secret).decode("ascii")),
        member_id,
    )


def sealed_row(vault: Vault, member_id: int, member: Member) -> tuple[str, str, str, str]:
    """(lookup, platform, identity, secret) of a member row, as stored: for tools
    that write many rows at once (benchmarks, bulk tests)."""
    secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    return (
        vault.member_lookup(member),
        member.platform,
        vault.seal(MEMBER_IDENTITY, member_id, member.user_id),
        vault.seal(MEMBER_SECRET, member_id, secret),
    )


async def find(tx: Transaction, vault: Vault, member: Member) -> MemberRecord | None:
    row = await tx.fetchrow(
        "SELECT * FROM members WHERE platform = $1 AND lookup = $2",
        member.platform,
        vault.member_lookup(member),
    )
    if row is None or row["identity"] is None:
        return None
    return record(row, vault, member.user_id)


async def by_id(tx: Transaction, vault: Vault, member_id: int) -> MemberRecord | None:
    row = await tx.fetchrow("SELECT * FROM members WHERE id = $1", member_id)
    return None if row is None else record(row, vault)


async def set_timezone(tx: Transaction, member_id: int, zone: str) -> None:
    await tx.execute("UPDATE members SET timezone = $1 WHERE id = $2", zone, member_id)


async def set_language(
    tx: Transaction, member_id: int, language: str | None, *, chosen: bool
) -> None:
    """The member's language (None: the community's); `chosen` by the member themself."""
    await tx.execute(
        "UPDATE members SET language = $1, language_chosen = $2 WHERE id = $3",
        language,
        int(chosen),
        member_id,
    )


def locale_for(member: MemberRecord, community_language: str) -> str:
    """What a member reads: their own language, else their community's."""
    return member.language or community_language


async def set_quiet(tx: Transaction, member_id: int, quiet: QuietHours | None) -> None:
    start, end = str(quiet).split("-") if quiet else (None, None)
    await tx.execute(
        "UPDATE members SET quiet_start = $1, quiet_end = $2 WHERE id = $3", start, end, member_id
    )


async def mark_unreachable(tx: Transaction, member_id: int, now: datetime) -> None:
    """DMs to this member fail: stop prompting until they come back. Only the day
    is kept: the moment would line up with whatever was being sent."""
    await tx.execute(
        "UPDATE members SET unreachable_at = $1, unreachable_told = 0 "
        "WHERE id = $2 AND unreachable_at IS NULL",
        day_floor(now),
        member_id,
    )
    await tx.execute("UPDATE schedules SET next_prompt_at = NULL WHERE member_id = $1", member_id)


async def mark_reachable(tx: Transaction, member_id: int) -> None:
    await tx.execute(
        "UPDATE members SET unreachable_at = NULL, unreachable_told = 0 WHERE id = $1", member_id
    )


async def mark_told_unreachable(tx: Transaction, member_id: int) -> None:
    await tx.execute("UPDATE members SET unreachable_told = 1 WHERE id = $1", member_id)


def _clean_name(name: str | None) -> str | None:
    """A display name on one line, printable, not too long; None for nothing."""
    if not name:
        return None
    flat = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    return flat[:NAME_MAX_LENGTH] or None


async def remember_name(tx: Transaction, vault: Vault, member_id: int, name: str | None) -> None:
    """Keep the last display name the platform gave for this member (sealed), for a
    named celebration posted later by a job, without an event."""
    name = _clean_name(name)
    if name is None or name == await display_name(tx, vault, member_id):
        return
    await tx.execute(
        "INSERT INTO member_names (member_id, name) VALUES ($1, $2) "
        "ON CONFLICT (member_id) DO UPDATE SET name = excluded.name",
        member_id,
        vault.seal(MEMBER_NAME, member_id, name),
    )


async def display_name(tx: Transaction, vault: Vault, member_id: int) -> str | None:
    """The last display name seen for this member, or None when none is known."""
    sealed = await tx.fetchval("SELECT name FROM member_names WHERE member_id = $1", member_id)
    return None if sealed is None else vault.open(MEMBER_NAME, member_id, sealed)
