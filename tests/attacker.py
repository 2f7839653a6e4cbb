"""The attacker of docs/privacy.md: someone with a copy of the database and not
the key. Each function reads a copy the way they would, and says what it found.

A copy is a snapshot (`snapshot`): every row of every table, as values. The
test that plays the scenario is the oracle: it holds the key, so it knows who
wrote what (`authors`) and can judge whether the attacker got it right.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.anonymity import item_token, target_token
from bot.storage import Database
from bot.storage.migrations import table_names
from bot.vault import MEMBER_IDENTITY, MEMBER_SECRET, Vault

Snapshot = dict[str, list[dict[str, Any]]]
RowRef = tuple[str, int]  # (table, index of the row in the snapshot)

# Rows that belong to a member by their member id (or are the member).
MEMBER_TABLES = (
    "members",
    "checkins",
    "schedules",
    "prompt_slots",
    "checkin_breaks",
    "checkin_streaks",  # the kept run: its last day is a check-in's own day
    "care_notices",
    "contact_requests",
    "milestone_counters",
    "streak_milestones",
    "adapter_member_state",
    "member_names",
    "safety_plans",
    "encouragement_optins",
    "buddy_members",
    "buddy_met",
)
# Rows written for something anonymous, whoever wrote it.
ANONYMOUS_TABLES = (
    "shares",
    "share_replies",
    "share_supports",
    "share_reports",
    "share_blocks",
    "share_drafts",
    "celebration_cheers",
    "crisis_alerts",  # an alert about a held share, reply, celebration or note
    "encouragement_notes",
    "encouragement_receipts",
)
EPOCH = range(1_000_000_000, 4_000_000_000)  # 2001 to 2096: any value there may be a time


async def snapshot(db: Database) -> Snapshot:
    copy: Snapshot = {}
    for table in table_names():
        rows = await db.fetch(f"SELECT * FROM {table}")
        copy[table] = [dict(zip(row.keys(), tuple(row), strict=True)) for row in rows]
    return copy


def member_of(table: str, row: dict[str, Any]) -> int | None:
    """The member a row plainly belongs to, as the copy itself says."""
    if table == "members":
        return row["id"]
    if table in MEMBER_TABLES or table in ("outbox", "celebrations"):
        return row.get("member_id")
    return None


def is_anonymous(table: str, row: dict[str, Any]) -> bool:
    if table in ANONYMOUS_TABLES:
        return True
    return table in ("celebrations", "outbox") and row.get("member_id") is None


# --- the oracle ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Oracle:
    names: dict[int, str]  # member row id → user id
    authors: dict[RowRef, int]  # anonymous item → its author's member row id


def oracle(copy: Snapshot, vault: Vault, communities: Iterable[str]) -> Oracle:
    """Who is who and who wrote what, as only the key can tell."""
    names, secrets = {}, {}
    for row in copy["members"]:
        names[row["id"]] = vault.open(MEMBER_IDENTITY, row["id"], row["identity"])
        secrets[row["id"]] = base64.b64decode(vault.open(MEMBER_SECRET, row["id"], row["secret"]))
    tokens: dict[str, int] = {}
    for member_id, secret in secrets.items():
        for community in communities:
            for kind in ("share", "reply", "celebration", "encouragement"):
                for k in range(1, 40):
                    tokens[item_token(secret, kind, community, k)] = member_id
            tokens[target_token(secret, "draft", community)] = member_id
        for share in copy["shares"]:
            tokens[target_token(secret, "support", share["id"])] = member_id
            for reply in range(0, 20):
                tokens[target_token(secret, "report", share["id"], reply)] = member_id
        for celebration in copy["celebrations"]:
            tokens[target_token(secret, "cheer", celebration["id"])] = member_id
        for note in copy.get("encouragement_notes", ()):
            tokens[target_token(secret, "encouragement-received", note["id"])] = member_id
    authors: dict[RowRef, int] = {}
    for table, column in (
        ("shares", "owner"),
        ("share_replies", "owner"),
        ("celebrations", "owner"),
        ("share_drafts", "owner"),
        ("share_supports", "supporter_key"),
        ("share_reports", "reporter_key"),
        ("celebration_cheers", "cheerer_key"),
        ("encouragement_notes", "owner"),
        ("encouragement_receipts", "receiver_key"),
    ):
        for index, row in enumerate(copy.get(table, ())):
            if row.get(column) in tokens:
                authors[(table, index)] = tokens[row[column]]
    return Oracle(names, authors)


# --- the attacks ---------------------------------------------------------------------------


def _values(row: dict[str, Any]) -> Iterable[Any]:
    for value in row.values():
        if isinstance(value, (bytes, memoryview)):
            yield bytes(value)
        elif isinstance(value, str) and len(value) >= 12:
            yield value
        elif isinstance(value, int) and value >= 2**32:
            yield value  # random ids, not counters or times


def shared_values(copy: Snapshot) -> list[tuple[Any, list[RowRef]]]:
    """Values that two rows hold alike, where one of them is anonymous: what would tie
    an anonymous item to another item, or to a member."""
    holders: dict[Any, set[RowRef]] = defaultdict(set)
    for table, rows in copy.items():
        for index, row in enumerate(rows):
            for value in _values(row):
                holders[value].add((table, index))
    found = []
    for value, refs in holders.items():
        if len(refs) > 1 and any(is_anonymous(t, copy[t][i]) for t, i in refs):
            found.append((value, sorted(refs)))
    return found


def _times(row: dict[str, Any]) -> list[int]:
    return [v for v in row.values() if isinstance(v, int) and v in EPOCH]


def time_joins(
    copy: Snapshot, authors: dict[RowRef, int], offsets: Iterable[int], slack: int = 60
) -> list[tuple[RowRef, int, int]]:
    """Anonymous items whose times, shifted by a known offset, fall within `slack`
    seconds of times on one member's rows and no other's: (item, time, member)."""
    member_times: list[tuple[int, int]] = []
    for table, rows in copy.items():
        for row in rows:
            member = member_of(table, row)
            if member is not None:
                member_times += [(t, member) for t in _times(row)]
    named = []
    for (table, index), author in authors.items():
        for moment in _times(copy[table][index]):
            for offset in offsets:
                near = {m for t, m in member_times if abs(moment - offset - t) <= slack}
                if near == {author}:
                    named.append(((table, index), moment, author))
    return named


def platform_ids_in(data: bytes, ids: Iterable[str]) -> list[str]:
    return [i for i in ids if i.encode() in data]


def sqlite_files(url: str) -> list[Path]:
    path = Path(url.removeprefix("sqlite:///"))
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


async def postgres_files(db: Database) -> list[Path]:
    """The files of every table, index and TOAST table in the database's schema,
    after a checkpoint has written them out (the test connects as a superuser)."""
    await db.execute("CHECKPOINT")
    base = Path(await db.fetchval("SHOW data_directory"))
    rows = await db.fetch(
        "SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND pg_relation_filepath(c.oid) IS NOT NULL "
        "UNION SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.reltoastrelid <> 0"
    )
    files = []
    for row in rows:
        first = base / row["path"]
        files += [
            p
            for p in first.parent.glob(first.name + "*")
            if re.fullmatch(re.escape(first.name) + r"(\.\d+)?", p.name)
        ]
    return files
