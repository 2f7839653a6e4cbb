"""The plan in a hard moment: when Hearth answers a crisis signal (`CareGiven`), the
member's own words lead — what helps, who they can reach — before the resources.
Without a plan, once ever, a gentle offer to write one on a calmer day: after the
member's own private words only (a check-in, a DM), since remembering it writes to
their row, which anonymous words (a share) must never do."""

from __future__ import annotations

from bot.events import CareGiven
from bot.features.safetyplan import store
from bot.features.safetyplan.steps import IN_A_CRISIS, title
from bot.port import Message
from bot.requests import Request
from bot.texts import text


async def lead_with_plan(req: Request, given: CareGiven) -> None:
    plan = await store.load_or_new(req.tx, req.vault, req.member.id, req.community.name)
    locale = given.locale
    if plan.written:
        parts = [
            text("safetyplan.in_crisis_step", locale, title=text(title(step), locale), words=words)
            for step in IN_A_CRISIS
            if (words := plan.steps.get(step))
        ]
        if parts:
            given.lead.append(
                Message(text("safetyplan.in_crisis", locale, plan="\n\n".join(parts)))
            )
        return
    if plan.offered or not given.private:
        return  # anonymous words (a share): nothing of the moment is written to their row
    plan.offered = True
    await store.save(req.tx, req.vault, plan)
    given.follow.append(Message(text("safetyplan.offer_after_care", locale)))
