"""The weekly group check-in thread (docs/peers.md): opt-in per community, opened
by Hearth at the community's local time, skipped after a week nobody answered.
Nothing in it is anonymous; Hearth only starts it and counts its answers."""

from __future__ import annotations

from typing import Any

from bot.feature import Feature, Router, Wiring
from bot.features.groupcheckin import handlers
from bot.features.groupcheckin.handlers import answer_words
from bot.features.groupcheckin.threads import GroupCheckinJob
from bot.requests import Request

__all__ = ["FEATURE", "answer_words"]


def _handlers(router: Router, wiring: Wiring) -> None:
    handlers.register(router)


async def _export(req: Request) -> dict[str, Any]:
    """Nothing: a group check-in keeps no member's data, only how many answered each
    week. A part of `mydata` all the same, so the `privacy` card says so."""
    return {}


FEATURE = Feature(
    "groupcheckin",
    handlers=_handlers,
    jobs=lambda s: (GroupCheckinJob(s.db, s.config, s.vault),),
    export=_export,
    privacy="groupcheckin.privacy",
)
