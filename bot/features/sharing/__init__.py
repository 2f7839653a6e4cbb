"""Anonymous sharing: shares, vetting, anonymous replies and support relayed to
the author, reports, and blocks that never unmask anyone (SPEC §2)."""

from bot.feature import Feature, Router, Wiring
from bot.features.sharing import commands, erasure, moderation


def _commands(router: Router, wiring: Wiring) -> None:
    commands.register(router)
    moderation.add_to(wiring)


FEATURE = Feature(
    "sharing",
    commands=_commands,
    relays={"support": commands.relay_support},
    export=erasure.export,
    erase=erasure.erase,
)
