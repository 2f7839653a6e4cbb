"""Safety plans members write for themselves (Stanley–Brown's six steps in plain
words): written one step at a time, sealed, shown only to them, and first in the
answer when Hearth hears a crisis (docs/safetyplan.md)."""

from bot.events import CareGiven, PlainWords
from bot.feature import Feature, Router, Wiring
from bot.features.safetyplan import commands, handlers, in_crisis, rights
from bot.features.safetyplan.reminders import PlanReminderJob


def _handlers(router: Router, wiring: Wiring) -> None:
    handlers.register(router)


FEATURE = Feature(
    "safetyplan",
    handlers=_handlers,
    commands=commands.commands,
    groups=(commands.GROUP,),
    jobs=lambda s: (PlanReminderJob(s.db, s.config, s.vault),),
    listens={
        CareGiven: in_crisis.lead_with_plan,
        PlainWords: handlers.answer_plain_words,
    },
    export=rights.export,
    privacy="safetyplan.privacy",
)

__all__ = ["FEATURE"]
