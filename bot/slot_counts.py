"""How the check-in prompts fared, counted as it happens: `prompt_slot_counts`
holds, per community and due moment, how many prompts are in each state and
how late those delivered reached their member. `mod stats` reads a window of
these counts (a few rows per due moment), never the slots themselves, so its
cost does not grow with the community.

Counts only: no row names a member, and a due moment is shared by everyone
whose prompt falls then. Every change to a slot or to its outbox row moves the
slot between states in the same transaction: `leave` before the change, `join`
after (bot/features/checkins/prompts.py, bot/outbox.py, bot/housekeeping.py,
`mydata delete`).

A slot's state, read as `mod stats` always read it (its outbox row looked up
only while it is not delivered; a row already forgotten says nothing):
- missed: found past the catch-up window, never queued;
- undelivered: its row expired, was unreachable, failed or was cancelled;
- sent: delivered, or its row says sent (or is gone); `lateness` is when it
  reached the member (if never, when it was queued) less when it was due;
- waiting: still to be sent.
"""

from __future__ import annotations

from typing import Any

from bot.storage import Transaction

UNDELIVERED = ("expired", "unreachable", "failed", "cancelled")
_STATUS = "o.status"
STATE = (
    "CASE WHEN s.outcome = 'missed' THEN 'missed' "
    f"WHEN {_STATUS} IN ({', '.join(repr(s) for s in UNDELIVERED)}) THEN 'undelivered' "
    f"WHEN {_STATUS} IS NULL OR {_STATUS} = 'sent' THEN 'sent' ELSE 'waiting' END"
)
LATENESS = (
    f"CASE WHEN s.outcome = 'sent' AND ({_STATUS} IS NULL OR {_STATUS} = 'sent') "
    "THEN coalesce(s.delivered_at, s.decided_at) - s.due_at ELSE 0 END"
)
SLOTS = "FROM prompt_slots s LEFT JOIN outbox o ON o.id = s.outbox_id AND s.delivered_at IS NULL"

# Every slot counted: what migration 21 wrote (tests compare the two).
REBUILD = (
    "INSERT INTO prompt_slot_counts (community, due_at, state, lateness, n) "
    f"SELECT s.community, s.due_at, {STATE}, {LATENESS}, count(*) {SLOTS} WHERE true "
    "GROUP BY 1, 2, 3, 4"
)


async def _move(tx: Transaction, sign: int, where: str, values: tuple[Any, ...]) -> None:
    rows = await tx.fetch(
        f"SELECT s.community AS community, s.due_at AS due_at, {STATE} AS state, "
        f"{LATENESS} AS lateness, count(*) AS n {SLOTS} WHERE {where} GROUP BY 1, 2, 3, 4",
        *values,
    )
    for row in rows:
        await tx.execute(
            "INSERT INTO prompt_slot_counts (community, due_at, state, lateness, n) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community, due_at, state, lateness) "
            "DO UPDATE SET n = prompt_slot_counts.n + excluded.n",
            row["community"],
            int(row["due_at"]),
            row["state"],
            int(row["lateness"]),
            sign * int(row["n"]),
        )


async def leave(tx: Transaction, where: str, *values: Any) -> None:
    """Take the slots `where` (SQL over `s`, the slot, and `o`) out of their state's count."""
    await _move(tx, -1, where, values)


async def join(tx: Transaction, where: str, *values: Any) -> None:
    """Count the slots `where` in the state they are now in."""
    await _move(tx, 1, where, values)


def ids_in(column: str, ids: list[int], first: int = 1) -> str:
    return f"{column} IN ({', '.join(f'${n + first}' for n in range(len(ids)))})"
