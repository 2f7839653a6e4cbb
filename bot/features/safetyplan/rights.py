"""The safety plan in `mydata export`; `mydata delete` needs nothing more here, since
the plan's row cascades with the member's (and the outbox's DMs to them go too)."""

from __future__ import annotations

from typing import Any

from bot.features.safetyplan import store
from bot.features.safetyplan.steps import STEPS, title
from bot.localtime import from_epoch
from bot.requests import Request
from bot.texts import text


async def export(req: Request) -> dict[str, Any]:
    plan = await store.load(req.tx, req.vault, req.member.id)
    if plan is None:
        return {}
    return {
        "safety_plan": {
            "steps": [
                {"step": step, "title": text(title(step)), "words": plan.steps.get(step)}
                for step in STEPS
            ],
            "reminders": "monthly" if plan.remind_time else "off",
            "reminder_time": plan.remind_time,
            "next_reminder_at": (
                from_epoch(plan.remind_at).isoformat() if plan.remind_at is not None else None
            ),
            "offered_after_a_hard_moment": plan.offered,
        }
    }
