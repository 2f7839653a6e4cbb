"""A member's safety plan as stored: one row, its steps sealed together to the row,
and where a guided walk through the steps stands."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.localtime import epoch
from bot.storage import Transaction
from bot.vault import SAFETY_PLAN, Vault


@dataclass
class Plan:
    member_id: int
    community: str
    #: step number → the member's words (a skipped step is absent)
    steps: dict[int, str] = field(default_factory=dict)
    #: the step the member's next plain DM answers, if any, until `asking_until`
    asking: int | None = None
    asking_until: int | None = None
    #: after that step, go on to the next one (a walk through all six)
    walking: bool = False
    #: the offer to write a plan was made once, after a hard moment
    offered: bool = False
    remind_time: str | None = None
    remind_at: int | None = None

    @property
    def written(self) -> bool:
        return bool(self.steps)

    def ask(self, step: int, now: datetime, *, walking: bool) -> None:
        self.asking, self.walking = step, walking
        self.asking_until = epoch(now + ASK_WAITS)

    def stop_asking(self) -> None:
        self.asking, self.asking_until, self.walking = None, None, False


#: how long a question waits for the member's next plain DM: words sent long after
#: it (days later, about something else) are not taken for an answer
ASK_WAITS = timedelta(hours=2)


async def load(
    tx: Transaction, vault: Vault, member_id: int, now: datetime | None = None
) -> Plan | None:
    """The member's plan; a question asked longer ago than `ASK_WAITS` before `now`
    no longer waits for an answer."""
    row = await tx.fetchrow("SELECT * FROM safety_plans WHERE member_id = $1", member_id)
    if row is None:
        return None
    steps: dict[int, str] = {}
    if row["steps"]:
        opened = json.loads(vault.open(SAFETY_PLAN, member_id, row["steps"]))
        steps = {int(step): words for step, words in opened.items()}
    plan = Plan(
        member_id,
        row["community"],
        steps,
        row["asking"],
        row["asking_until"],
        bool(row["walking"]),
        bool(row["offered"]),
        row["remind_time"],
        row["remind_at"],
    )
    if now is not None and (plan.asking_until or 0) <= epoch(now):
        plan.stop_asking()
    return plan


async def load_or_new(
    tx: Transaction, vault: Vault, member_id: int, community: str, now: datetime | None = None
) -> Plan:
    return await load(tx, vault, member_id, now) or Plan(member_id, community)


async def save(tx: Transaction, vault: Vault, plan: Plan) -> None:
    """Write the whole plan, its steps sealed afresh to the member's row."""
    sealed = None
    if plan.steps:
        words = json.dumps({str(k): v for k, v in sorted(plan.steps.items())}, ensure_ascii=False)
        sealed = vault.seal(SAFETY_PLAN, plan.member_id, words)
    await tx.execute(
        "INSERT INTO safety_plans (member_id, community, steps, asking, walking, offered, "
        "remind_time, remind_at, asking_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (member_id) DO UPDATE SET community = $2, steps = $3, asking = $4, "
        "walking = $5, offered = $6, remind_time = $7, remind_at = $8, asking_until = $9",
        plan.member_id,
        plan.community,
        sealed,
        plan.asking,
        int(plan.walking),
        int(plan.offered),
        plan.remind_time,
        plan.remind_at,
        plan.asking_until,
    )
