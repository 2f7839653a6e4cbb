"""The composition root: open what the config names, wire it, run it, close it."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.app import Hearth
from bot.clock import Clock, FakeClock, SystemClock
from bot.config import Config
from bot.crypto import load_or_create_secret
from bot.keys import refuse_if_rotation_unfinished
from bot.port import Adapter
from bot.storage import open_database
from bot.vault import Vault

log = logging.getLogger(__name__)


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(config: Config, stream: TextIO = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    if config.log.format == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.log.level)


async def run(
    config: Config,
    *,
    start: datetime | None = None,
    act_as: str = "you",
    lines: AsyncIterator[str] | None = None,
    out: TextIO = sys.stdout,
) -> None:
    """Run Hearth until the console's input ends (or, without a console, forever)."""
    from adapters.console import ConsoleAdapter, ConsoleSession, stdin_lines

    console_only = config.adapters.console.enabled and not (
        config.adapters.discord.enabled or config.adapters.matrix.enabled
    )
    # The playground runs on a virtual clock that only `clock` lines move, so a
    # script always prints the same thing; real platforms need real time.
    clock: Clock = FakeClock(start or SystemClock().now()) if console_only else SystemClock()
    adapters: dict[str, Adapter] = {}
    console = None
    if config.adapters.console.enabled:
        console = ConsoleAdapter(out, Path(config.adapters.console.output_dir))
        adapters[console.platform] = console
    if config.adapters.discord.enabled or config.adapters.matrix.enabled:
        raise SystemExit("The Discord and Matrix adapters are not part of this version yet.")

    refuse_if_rotation_unfinished(config)
    vault = Vault(load_or_create_secret(config.secret_key_file))
    async with await open_database(config.database) as db:
        hearth = Hearth(config, db, clock, adapters, vault)
        log.info("Hearth started with %s", ", ".join(adapters) or "no adapters")
        if not isinstance(clock, FakeClock):
            hearth.start_background()
        try:
            if console is not None:
                session = ConsoleSession(
                    hearth, console, clock if isinstance(clock, FakeClock) else None, act_as
                )
                await hearth.settle()
                if lines is None and sys.stdin.isatty():
                    session.greet()
                await session.run(lines if lines is not None else stdin_lines())
        finally:
            await hearth.stop()
        log.info("Hearth stopped")
