"""Private mood check-ins: commands, prompts, streaks and history."""

from bot.feature import Feature, Router, Services, Wiring
from bot.features.checkins import commands, rights
from bot.features.checkins.prompts import PromptJob


def _commands(router: Router, wiring: Wiring) -> None:
    commands.register(router)


FEATURE = Feature(
    "checkins",
    commands=_commands,
    jobs=lambda s: (PromptJob(s.db, s.config, s.vault, s.metrics),),
    export=rights.export,
)

__all__ = ["FEATURE", "Services"]
