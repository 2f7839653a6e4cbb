"""Milestones: relapse-safe recovery counters, check-in streak milestones and
celebrations, each shared only the way the member chose (SPEC §2)."""

from collections.abc import Sequence
from typing import Any

from bot.events import CheckinSaved
from bot.feature import Feature, Router, Services, Wiring
from bot.features.milestones import celebrations, commands, handlers, rights, streaks
from bot.features.milestones.detection import MilestoneJob
from bot.features.milestones.names import counter_names
from bot.port import Member
from bot.requests import Request


def _handlers(router: Router, wiring: Wiring) -> None:
    handlers.register(router)


async def _counters(
    services: Services, member: Member, communities: Sequence[str], command: tuple[str, ...]
) -> list[str]:
    names = await counter_names(services.db, services.vault, member, communities)
    if command == ("milestone", "visibility"):
        names.append("streak")  # the check-in streak's own name
    return names


async def _export(req: Request) -> dict[str, Any]:
    return {"milestones_and_celebrations": await rights.export(req)}


FEATURE = Feature(
    "milestones",
    handlers=_handlers,
    commands=commands.commands,
    groups=(commands.GROUP,),
    suggests={commands.MILESTONE_SUGGESTIONS: _counters},
    jobs=lambda s: (MilestoneJob(s.db, s.config, s.vault),),
    relays={"cheer": celebrations.relay_cheers},
    held=(celebrations.HELD,),
    listens={CheckinSaved: streaks.on_checkin},
    export=_export,
    erase=rights.erase,
)
