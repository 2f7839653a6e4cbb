"""SIGHUP: re-read the config file, as `mod reload` does (`kill -HUP`, `systemctl reload`).

On success the reload is applied and recorded in every community's moderator
log as the operator's; on failure the running config stays and the log says
which lines and key paths are wrong — never their values, which may be secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot import audit
from bot.config_loader import ConfigError
from bot.features.moderation_tools.reload import summary
from bot.reload import ReloadUnavailable

if TYPE_CHECKING:
    from bot.app import Hearth

log = logging.getLogger(__name__)


@contextlib.contextmanager
def reload_on_hangup(hearth: Hearth) -> Iterator[None]:
    """Within the block, SIGHUP reloads the config (where the platform has SIGHUP)."""
    hangup = getattr(signal, "SIGHUP", None)  # Windows has none
    loop = asyncio.get_running_loop()
    installed = False
    if hangup is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(hangup, _on_hangup, hearth)
            installed = True
    try:
        yield
    finally:
        if installed and hangup is not None:
            loop.remove_signal_handler(hangup)


def _on_hangup(hearth: Hearth) -> None:
    log.info("SIGHUP received: reloading the config")
    hearth.scheduler.spawn("config-reload", reload_from_signal(hearth))


async def reload_from_signal(hearth: Hearth) -> bool:
    """Reload and record it; False (and the running config kept) if the file is invalid."""
    try:
        plan = hearth.plan_reload()
    except ReloadUnavailable:
        log.warning("config reload: Hearth was not started from a config file")
        return False
    except ConfigError as error:
        where = "; ".join(
            f"line {p.line or '?'} {p.key_path or '(the file)'}" for p in error.problems
        )
        log.error(
            "config reload refused, the running config is kept: %d problem(s) at %s",
            len(error.problems),
            where,
        )
        return False
    now = hearth.clock.now()
    detail = summary(plan)
    async with hearth.db.transaction() as tx:
        for community in plan.config.communities:
            await audit.record(tx, hearth.vault, community.name, None, "reload", None, detail, now)
    hearth.reload(plan.config)
    log.info(
        "config reloaded: %d change(s) applied (%s); %d wait for a restart (%s)",
        len(plan.applied),
        ", ".join(plan.applied) or "none",
        len(plan.kept),
        ", ".join(plan.kept) or "none",
    )
    return True
