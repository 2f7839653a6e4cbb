"""Anonymous sharing: shares, vetting, anonymous replies and support relayed to
the author, reports, and blocks that never unmask anyone (SPEC §2)."""

from bot.feature import Feature, Router, Wiring
from bot.features.sharing import commands, erasure, handlers, moderation


def _handlers(router: Router, wiring: Wiring) -> None:
    handlers.register(router)
    moderation.add_to(wiring)


FEATURE = Feature(
    "sharing",
    handlers=_handlers,
    commands=commands.commands,
    groups=(commands.GROUP,),
    relays={"support": handlers.relay_support, "reply": handlers.relay_replies},
    export=erasure.export,
    erase=erasure.erase,
)
