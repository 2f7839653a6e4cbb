"""Buddies: members who opt in are paired by shared interests (never a diagnosis)
and compatible time zones, each asked first; once both accept they learn each
other's names and talk on the platform directly, with gentle reminders to reach
out (SPEC §2 "Peers supporting peers", docs/peers.md)."""

from typing import Any

from bot.feature import Feature, Router, Wiring
from bot.features.buddies import commands, handlers, rights
from bot.features.buddies.job import BuddyJob
from bot.requests import Request


def _handlers(router: Router, wiring: Wiring) -> None:
    handlers.register(router)


async def _export(req: Request) -> dict[str, Any]:
    return await rights.export(req)


FEATURE = Feature(
    "buddies",
    handlers=_handlers,
    commands=commands.commands,
    groups=(commands.GROUP,),
    jobs=lambda s: (BuddyJob(s.db, s.config, s.vault, s.metrics),),
    export=_export,
    erase=rights.erase,
    privacy="buddies.privacy",
)
