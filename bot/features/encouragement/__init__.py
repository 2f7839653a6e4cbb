"""Encouragement notes: kind words members write for "someone having a hard day",
checked like a share, delivered by DM after a low check-in to members who asked,
and thanked anonymously (SPEC §2 "Peers supporting peers")."""

from bot.events import CareGiven, CheckinSaved
from bot.feature import Feature, Router, Wiring
from bot.features.encouragement import commands, delivery, notes, review, rights
from bot.requests import Request


async def encourage(req: Request) -> None:
    if notes.is_thanks(req.args.words):
        await delivery.thank(req, req.args)
    else:
        await notes.write(req, req.args.text.strip())


def _handlers(router: Router, wiring: Wiring) -> None:
    router.add(
        "encourage",
        encourage,
        "encouragement.usage",
        "encouragement.summary",
        private=lambda args: not notes.is_thanks(args.words),
    )
    router.add_subcommand("checkin", "encouragement", delivery.opt, "encouragement.checkin_usage")


FEATURE = Feature(
    "encouragement",
    handlers=_handlers,
    commands=commands.commands,
    relays={delivery.RELAY: delivery.relay_thanks},
    held=(review.HELD,),
    listens={CheckinSaved: delivery.on_checkin, CareGiven: delivery.on_care},
    export=rights.export,
    erase=rights.erase,
    privacy="encouragement.privacy",
)
