"""Finding a member by a keyed hash of their id, against finding them by the id itself.

Measured, on one SQLite file and in one run:

1. Hearth's lookup, `bot.members.find`: the keyed hash of (platform, user id),
   one index probe on `members.lookup`, the member's record built from the row
   (everything an event's transaction does to learn who is speaking; the sealed
   secret is opened only by requests that need it);
2. the baseline: the same probe on a plain table keyed by (platform, user id),
   as the members table was before migration 7 kept no id in the clear, and the
   same record built from the row.

Both run over the same 10,000 members in random order, several rounds
alternating (the machine is noisy); medians are compared. The target: the
keyed lookup keeps at least 0.8 of the plain lookup's rate.

`.venv/bin/python bench/members.py` runs it alone; `make bench` with the rest.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import members  # noqa: E402
from bot.members import sealed_row  # noqa: E402
from bot.port import Member  # noqa: E402
from bot.storage import open_database  # noqa: E402
from bot.vault import Vault  # noqa: E402

SECRET = bytes(range(32))
MEMBERS = 10_000
LOOKUPS = 10_000
ROUNDS = 10
TARGET = 0.8


@dataclass(frozen=True)
class Lookup:
    keyed: list[float]  # lookups per second, each round
    plain: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.keyed) / statistics.median(self.plain)

    @property
    def ok(self) -> bool:
        return self.ratio >= TARGET


async def run(count: int = MEMBERS, lookups: int = LOOKUPS, rounds: int = ROUNDS) -> Lookup:
    vault = Vault(SECRET)
    people = [Member("discord", str(10**17 + n)) for n in range(count)]
    with tempfile.TemporaryDirectory() as workdir:
        db = await open_database(f"sqlite:///{workdir}/members.db")
        try:
            async with db.transaction() as tx:
                for n, member in enumerate(people, 1):
                    await tx.execute(
                        "INSERT INTO members (id, lookup, platform, identity, secret) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        n,
                        *sealed_row(vault, n, member),
                    )
                await tx.execute(
                    "CREATE TABLE plain_members AS SELECT id, platform, lookup AS user_id, "
                    "identity, secret, timezone, quiet_start, quiet_end, unreachable_at, "
                    "unreachable_told, language, language_chosen FROM members"
                )
                await tx.execute(
                    "CREATE UNIQUE INDEX plain_key ON plain_members (platform, user_id)"
                )
                for n, member in enumerate(people, 1):
                    await tx.execute(
                        "UPDATE plain_members SET user_id = $1 WHERE id = $2", member.user_id, n
                    )
            order = random.Random(7).choices(people, k=lookups)
            keyed: list[float] = []
            plain: list[float] = []

            async def by_hash() -> None:
                async with db.transaction() as tx:
                    started = time.perf_counter()
                    for member in order:
                        assert await members.find(tx, vault, member) is not None
                    keyed.append(lookups / (time.perf_counter() - started))

            async def by_id() -> None:
                async with db.transaction() as tx:
                    started = time.perf_counter()
                    for member in order:
                        row = await tx.fetchrow(
                            "SELECT * FROM plain_members WHERE platform = $1 AND user_id = $2",
                            member.platform,
                            member.user_id,
                        )
                        assert members.record(row, vault, member.user_id) is not None
                    plain.append(lookups / (time.perf_counter() - started))

            await by_hash()  # warm-up: both tables' pages in the cache
            await by_id()
            keyed.clear()
            plain.clear()
            for turn in range(rounds):  # alternating which goes first
                for measure in (by_hash, by_id) if turn % 2 == 0 else (by_id, by_hash):
                    await measure()
        finally:
            await db.close()
    return Lookup(keyed, plain)


def summary_rows(lookup: Lookup) -> list[tuple[str, ...]]:
    return [
        (
            "member lookups/s, keyed hash",
            f"{statistics.median(lookup.keyed):,.0f}",
            f"{statistics.median(lookup.plain):,.0f} by plain (platform, user id)",
            f"{lookup.ratio:.2f}",
            f"≥ {TARGET}: {'yes' if lookup.ok else 'no'}",
        )
    ]


def main() -> None:
    lookup = asyncio.run(run())
    for row in summary_rows(lookup):
        print("  ".join(row))


if __name__ == "__main__":
    main()
