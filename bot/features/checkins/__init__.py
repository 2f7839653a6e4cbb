"""Private mood check-ins: commands, prompts, streaks and history."""

from bot.feature import Feature, Router, Services, Wiring
from bot.features.checkins import commands, handlers, rights
from bot.features.checkins.prompts import PromptJob


def _handlers(router: Router, wiring: Wiring) -> None:
    handlers.register(router)


FEATURE = Feature(
    "checkins",
    handlers=_handlers,
    commands=commands.commands,
    groups=(commands.GROUP,),
    jobs=lambda s: (PromptJob(s.db, s.config, s.vault, s.metrics),),
    export=rights.export,
)

__all__ = ["FEATURE", "Services"]
