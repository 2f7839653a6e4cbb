"""Milestones: relapse-safe recovery counters, check-in streak milestones and
celebrations, each shared only the way the member chose (SPEC §2)."""

from typing import Any

from bot.commands import Request
from bot.events import CheckinSaved
from bot.feature import Feature, Router, Wiring
from bot.features.milestones import celebrations, commands, rights, streaks
from bot.features.milestones.detection import MilestoneJob


def _commands(router: Router, wiring: Wiring) -> None:
    commands.register(router)


async def _export(req: Request) -> dict[str, Any]:
    return {"milestones_and_celebrations": await rights.export(req)}


FEATURE = Feature(
    "milestones",
    commands=_commands,
    jobs=lambda s: (MilestoneJob(s.db, s.config, s.vault),),
    relays={"cheer": celebrations.relay_cheers},
    held=(celebrations.HELD,),
    listens={CheckinSaved: streaks.on_checkin},
    export=_export,
    erase=rights.erase,
)
