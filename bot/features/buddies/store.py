"""Buddies as stored: who opted in (their interests sealed), the pairings proposed
and formed, and whom each member has met (so no pair forms twice unless both ask).

A pairing row names its two members (they are told each other's names once both
accept, so Hearth must know them); what outlives it is only `buddy_met`: on each
member's own row a keyed hash under the *partner's* secret (bot/anonymity.py's
`target_token`), so a copy of the database cannot tell who met whom, and once a
member erases their data the hashes that stood for them point to no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.anonymity import target_token
from bot.localtime import day_floor, epoch, from_epoch
from bot.members import MemberRecord
from bot.storage import Transaction
from bot.vault import BUDDY_PAIR_TAG, BUDDY_TAGS, Vault

SEPARATOR = "\n"  # between sealed tags ("night shifts" has a space)
WAITING, ASKED, PAIRED = "waiting", "asked", "paired"
PROPOSED = "proposed"
CADENCES = ("weekly", "twice-weekly", "off")


@dataclass(frozen=True)
class Membership:
    member_id: int
    community: str
    tags: tuple[str, ...]
    state: str
    joined_on: int
    match_after: datetime | None
    next_reminder_at: datetime | None
    budget_since: datetime | None
    budget_used: int
    reached_on: int | None


@dataclass(frozen=True)
class Pair:
    id: int
    community: str
    member_a: int
    member_b: int
    status: str
    accepted_a: bool
    accepted_b: bool
    tag: str | None
    cadence: str
    formed_on: int | None
    quiet_asker: int | None
    deadline: datetime | None

    def other(self, member_id: int) -> int:
        return self.member_b if member_id == self.member_a else self.member_a

    def accepted_by(self, member_id: int) -> bool:
        return self.accepted_a if member_id == self.member_a else self.accepted_b


def _key(member_id: int, community: str) -> str:
    return f"{member_id}:{community}"


def _moment(value: int | None) -> datetime | None:
    return None if value is None else from_epoch(value)


def _membership(row: object, vault: Vault) -> Membership:
    r = row  # type: ignore[assignment]
    tags = vault.open(BUDDY_TAGS, _key(r["member_id"], r["community"]), r["tags"])  # type: ignore[index]
    return Membership(
        member_id=r["member_id"],  # type: ignore[index]
        community=r["community"],  # type: ignore[index]
        tags=tuple(t for t in tags.split(SEPARATOR) if t),
        state=r["state"],  # type: ignore[index]
        joined_on=r["joined_on"],  # type: ignore[index]
        match_after=_moment(r["match_after"]),  # type: ignore[index]
        next_reminder_at=_moment(r["next_reminder_at"]),  # type: ignore[index]
        budget_since=_moment(r["budget_since"]),  # type: ignore[index]
        budget_used=r["budget_used"],  # type: ignore[index]
        reached_on=r["reached_on"],  # type: ignore[index]
    )


def _pair(row: object, vault: Vault) -> Pair:
    r = row  # type: ignore[assignment]
    tag = r["tag"]  # type: ignore[index]
    return Pair(
        id=r["id"],  # type: ignore[index]
        community=r["community"],  # type: ignore[index]
        member_a=r["member_a"],  # type: ignore[index]
        member_b=r["member_b"],  # type: ignore[index]
        status=r["status"],  # type: ignore[index]
        accepted_a=bool(r["accepted_a"]),  # type: ignore[index]
        accepted_b=bool(r["accepted_b"]),  # type: ignore[index]
        tag=vault.open(BUDDY_PAIR_TAG, r["id"], tag) if tag else None,  # type: ignore[index]
        cadence=r["cadence"],  # type: ignore[index]
        formed_on=r["formed_on"],  # type: ignore[index]
        quiet_asker=r["quiet_asker"],  # type: ignore[index]
        deadline=_moment(r["deadline"]),  # type: ignore[index]
    )


# --- memberships -----------------------------------------------------------------


async def membership(
    tx: Transaction, vault: Vault, member_id: int, community: str
) -> Membership | None:
    row = await tx.fetchrow(
        "SELECT * FROM buddy_members WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    return None if row is None else _membership(row, vault)


async def memberships_of(tx: Transaction, vault: Vault, member_id: int) -> list[Membership]:
    rows = await tx.fetch(
        "SELECT * FROM buddy_members WHERE member_id = $1 ORDER BY community", member_id
    )
    return [_membership(row, vault) for row in rows]


async def waiting_in(tx: Transaction, vault: Vault, community: str) -> list[Membership]:
    rows = await tx.fetch(
        "SELECT * FROM buddy_members WHERE community = $1 AND state = $2 ORDER BY member_id",
        community,
        WAITING,
    )
    return [_membership(row, vault) for row in rows]


async def join(
    tx: Transaction,
    vault: Vault,
    member_id: int,
    community: str,
    tags: tuple[str, ...],
    now: datetime,
    joined_on: int,
) -> None:
    await tx.execute(
        "INSERT INTO buddy_members (member_id, community, tags, state, joined_on, match_after) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        member_id,
        community,
        vault.seal(BUDDY_TAGS, _key(member_id, community), SEPARATOR.join(tags)),
        WAITING,
        joined_on,
        epoch(now),
    )


async def set_tags(
    tx: Transaction, vault: Vault, member_id: int, community: str, tags: tuple[str, ...]
) -> None:
    await tx.execute(
        "UPDATE buddy_members SET tags = $1 WHERE member_id = $2 AND community = $3",
        vault.seal(BUDDY_TAGS, _key(member_id, community), SEPARATOR.join(tags)),
        member_id,
        community,
    )


async def leave(tx: Transaction, member_id: int, community: str) -> None:
    await tx.execute(
        "DELETE FROM buddy_members WHERE member_id = $1 AND community = $2", member_id, community
    )


async def set_state(
    tx: Transaction,
    member_id: int,
    community: str,
    state: str,
    *,
    match_after: datetime | None = None,
    expect: str | None = None,
) -> bool:
    """Move a membership to `state` (from `expect` only, when given): False if it was
    not there, e.g. another process proposed this member a moment ago."""
    sql = (
        "UPDATE buddy_members SET state = $1, match_after = $2, next_reminder_at = NULL, "
        "budget_since = NULL, budget_used = 0 WHERE member_id = $3 AND community = $4"
    )
    values: list[object] = [
        state,
        None if match_after is None else epoch(match_after),
        member_id,
        community,
    ]
    if expect is not None:
        sql += " AND state = $5"
        values.append(expect)
    return await tx.execute(sql, *values) == 1


async def set_match_after(
    tx: Transaction, member_id: int, community: str, when: datetime | None
) -> None:
    await tx.execute(
        "UPDATE buddy_members SET match_after = $1 WHERE member_id = $2 AND community = $3",
        None if when is None else epoch(when),
        member_id,
        community,
    )


async def set_reminder(
    tx: Transaction,
    member_id: int,
    community: str,
    when: datetime | None,
    *,
    budget_since: datetime | None = None,
    budget_used: int | None = None,
) -> None:
    if budget_used is None:
        await tx.execute(
            "UPDATE buddy_members SET next_reminder_at = $1 WHERE member_id = $2 "
            "AND community = $3",
            None if when is None else epoch(when),
            member_id,
            community,
        )
        return
    await tx.execute(
        "UPDATE buddy_members SET next_reminder_at = $1, budget_since = $2, budget_used = $3 "
        "WHERE member_id = $4 AND community = $5",
        None if when is None else epoch(when),
        None if budget_since is None else epoch(budget_since),
        budget_used,
        member_id,
        community,
    )


async def mark_reached(tx: Transaction, member_id: int, community: str, now: datetime) -> None:
    await tx.execute(
        "UPDATE buddy_members SET reached_on = $1 WHERE member_id = $2 AND community = $3",
        day_floor(now),
        member_id,
        community,
    )


# --- pairs ----------------------------------------------------------------------


async def open_pair(tx: Transaction, vault: Vault, member_id: int, community: str) -> Pair | None:
    """The member's proposed or formed pairing here, if any (at most one)."""
    row = await tx.fetchrow(
        "SELECT * FROM buddy_pairs WHERE community = $1 AND (member_a = $2 OR member_b = $2) "
        "ORDER BY id DESC LIMIT 1",
        community,
        member_id,
    )
    return None if row is None else _pair(row, vault)


async def pair_by_id(tx: Transaction, vault: Vault, pair_id: int) -> Pair | None:
    row = await tx.fetchrow("SELECT * FROM buddy_pairs WHERE id = $1", pair_id)
    return None if row is None else _pair(row, vault)


async def propose(
    tx: Transaction,
    vault: Vault,
    community: str,
    member_a: int,
    member_b: int,
    tag: str,
    deadline: datetime,
) -> int:
    pair_id = await tx.fetchval(
        "INSERT INTO buddy_pairs (community, member_a, member_b, status, deadline) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        community,
        member_a,
        member_b,
        PROPOSED,
        epoch(deadline),
    )
    await tx.execute(
        "UPDATE buddy_pairs SET tag = $1 WHERE id = $2",
        vault.seal(BUDDY_PAIR_TAG, pair_id, tag),
        pair_id,
    )
    return int(pair_id)


async def accept(tx: Transaction, pair: Pair, member_id: int) -> None:
    column = "accepted_a" if member_id == pair.member_a else "accepted_b"
    await tx.execute(f"UPDATE buddy_pairs SET {column} = 1 WHERE id = $1", pair.id)


async def form(tx: Transaction, pair: Pair, now: datetime, formed_on: int) -> None:
    await tx.execute(
        "UPDATE buddy_pairs SET status = $1, accepted_a = 1, accepted_b = 1, formed_on = $2, "
        "deadline = NULL WHERE id = $3",
        PAIRED,
        formed_on,
        pair.id,
    )
    await tx.execute(
        "INSERT INTO buddy_days (community, day, pairs) VALUES ($1, $2, 1) "
        "ON CONFLICT (community, day) DO UPDATE SET pairs = buddy_days.pairs + 1",
        pair.community,
        formed_on,
    )


async def set_cadence(tx: Transaction, pair_id: int, cadence: str) -> None:
    await tx.execute("UPDATE buddy_pairs SET cadence = $1 WHERE id = $2", cadence, pair_id)


async def set_quiet(
    tx: Transaction, pair_id: int, asker: int | None, deadline: datetime | None
) -> None:
    await tx.execute(
        "UPDATE buddy_pairs SET quiet_asker = $1, deadline = $2 WHERE id = $3",
        asker,
        None if deadline is None else epoch(deadline),
        pair_id,
    )


async def remove_pair(tx: Transaction, pair_id: int) -> None:
    await tx.execute("DELETE FROM buddy_pairs WHERE id = $1", pair_id)


async def pairs_due(tx: Transaction, vault: Vault, now: datetime, limit: int) -> list[Pair]:
    rows = await tx.fetch(
        "SELECT * FROM buddy_pairs WHERE deadline <= $1 ORDER BY deadline LIMIT $2",
        epoch(now),
        limit,
    )
    return [_pair(row, vault) for row in rows]


# --- whom a member has met ----------------------------------------------------------


def met_token(partner: MemberRecord, community: str) -> str:
    """How a member's `buddy_met` row names a partner: under the partner's secret."""
    return target_token(partner.secret, "buddy", community)


async def remember_met(
    tx: Transaction,
    member: MemberRecord,
    partner: MemberRecord,
    community: str,
    *,
    paired: bool,
) -> None:
    """Each remembers the other (each on their own row): never proposed again unless
    both ask (`buddy again`), which is used up by the pairing it allows. Only a
    pairing that formed counts as "the last buddy" (`position`; 0 for a proposal)."""
    for one, other in ((member, partner), (partner, member)):
        position = 0
        if paired:
            position = await tx.fetchval(
                "SELECT coalesce(max(position), 0) + 1 FROM buddy_met WHERE member_id = $1 "
                "AND community = $2",
                one.id,
                community,
            )
        await tx.execute(
            "INSERT INTO buddy_met (member_id, community, partner, again, position) "
            "VALUES ($1, $2, $3, 0, $4) ON CONFLICT (member_id, community, partner) "
            "DO UPDATE SET again = 0, position = "
            "CASE WHEN excluded.position > 0 THEN excluded.position "
            "ELSE buddy_met.position END",
            one.id,
            community,
            met_token(other, community),
            int(position),
        )


async def met_by(tx: Transaction, member_id: int, community: str) -> dict[str, bool]:
    """The partners a member has met here (their tokens), each with whether the
    member asked to be paired with them again."""
    rows = await tx.fetch(
        "SELECT partner, again FROM buddy_met WHERE member_id = $1 AND community = $2",
        member_id,
        community,
    )
    return {row["partner"]: bool(row["again"]) for row in rows}


async def ask_again(tx: Transaction, member_id: int, community: str) -> bool:
    """`buddy again`: the member would be paired with their last buddy again."""
    position = await tx.fetchval(
        "SELECT max(position) FROM buddy_met WHERE member_id = $1 AND community = $2 "
        "AND position > 0",
        member_id,
        community,
    )
    if position is None:
        return False
    await tx.execute(
        "UPDATE buddy_met SET again = 1 WHERE member_id = $1 AND community = $2 AND position = $3",
        member_id,
        community,
        position,
    )
    return True


async def met_count(tx: Transaction, member_id: int) -> int:
    return int(await tx.fetchval("SELECT count(*) FROM buddy_met WHERE member_id = $1", member_id))
