"""A member's own counter names, for platforms that suggest them as the member
types (Discord autocomplete). Read-only; nothing about anyone else."""

from __future__ import annotations

from collections.abc import Iterable

from bot import members
from bot.features.milestones import counters
from bot.port import Member
from bot.storage import Database
from bot.vault import Vault


async def counter_names(
    db: Database, vault: Vault, member: Member, communities: Iterable[str]
) -> list[str]:
    """The names of `member`'s counters in `communities`, sorted; [] for a stranger."""
    async with db.transaction() as tx:
        record = await members.find(tx, vault, member)
        if record is None:
            return []
        names: set[str] = set()
        for community in communities:
            names.update(c.name for c in await counters.of_member(tx, vault, record.id, community))
    return sorted(names)
