"""Crisis alerts that a moderator answers (issue 22, docs/crisis.md): `mod take aN`
("I'm on it": a button on Discord, a 🙋 reaction on Matrix), and the job that raises
an alert nobody took within `safety.alert_ack_minutes` again, once, calling the
moderators. The alerts themselves are raised by bot/safety/alerts.py, whatever
held what they are about."""

from __future__ import annotations

from typing import Any

from bot.feature import Feature, Router, Wiring
from bot.features.crisis_alerts.handlers import TAKE, take
from bot.features.crisis_alerts.jobs import AlertJob
from bot.requests import Request
from bot.safety import alerts


def _handlers(router: Router, wiring: Wiring) -> None:
    wiring.mod_commands["take"] = take
    wiring.mod_usage.append("alerts.mod_usage")  # an id: `help mod` renders it


async def _export(req: Request) -> dict[str, Any]:
    """A moderator's part: the crisis alerts they took (their moderation log has them
    too). A member who is no moderator took none."""
    taken = []
    for community in req.config.communities_on(req.member.member.platform):
        taken += await alerts.taken_by(req.tx, req.vault, req.member.member, community)
    return {"crisis_alerts_taken": taken} if taken else {}


FEATURE = Feature(
    "crisis_alerts",
    handlers=_handlers,
    commands=lambda config: (TAKE,),
    jobs=lambda s: (AlertJob(s.db, s.vault, s.config),),
    export=_export,
    privacy="alerts.privacy",
)
