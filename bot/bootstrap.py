"""The composition root: open what the config names, wire it, run it, close it."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.app import Hearth
from bot.clock import Clock, FakeClock, SystemClock
from bot.config import Config
from bot.console_ledger import ConsoleLedger
from bot.crypto import load_or_create_secret
from bot.keys import refuse_if_rotation_unfinished
from bot.metrics import Metrics
from bot.ops.hangup import reload_on_hangup
from bot.ops.server import serving
from bot.ops.shutdown import FLUSH_WITHIN, finish, stop_on_signals, until_stopped
from bot.port import Adapter
from bot.privacy_upgrade import converters
from bot.storage import open_database
from bot.vault import Vault

log = logging.getLogger(__name__)


# What every LogRecord carries; anything else on a record came in through `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line for log shippers: UTC time, level, logger, message,
    and any `extra=` fields (ids and counts, never what a member wrote)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def is_playground(config: Config) -> bool:
    """Only the console: the playground, on a virtual clock."""
    adapters = config.adapters
    return adapters.console.enabled and not (adapters.discord.enabled or adapters.matrix.enabled)


def setup_logging(config: Config, stream: TextIO = sys.stderr, *, quiet: bool = False) -> None:
    """Logs to `stream`. `quiet` shows only warnings and worse there: the playground
    played in a terminal, where INFO lines would mix into the conversation."""
    handler = logging.StreamHandler(stream)
    if quiet:
        handler.setLevel(logging.WARNING)
    if config.log.format == "json":
        handler.setFormatter(JsonLogFormatter())
        logging.captureWarnings(True)  # so a warning is a JSON line too, not raw text
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.log.level)


def console_channels(config: Config) -> set[str]:
    """The channels the console's communities name: where `in #CHANNEL` may go."""
    names: set[str] = set()
    for community in config.communities_on("console"):
        names.update(n for n in vars(community.channels).values() if isinstance(n, str) and n)
        # a weekly group check-in thread's channel, where the community has one
        group = getattr(getattr(community, "peers", None), "group_checkin", None)
        if isinstance(getattr(group, "channel", None), str):
            names.add(group.channel)
    return names


async def run(
    config: Config,
    *,
    start: datetime | None = None,
    act_as: str = "you",
    lines: AsyncIterator[str] | None = None,
    out: TextIO = sys.stdout,
    stopping: asyncio.Event | None = None,
    flush_within: float = FLUSH_WITHIN,
    config_path: str | None = None,
) -> None:
    """Run Hearth until the console's input ends or `stopping` is set (SIGTERM and
    SIGINT set it); without a console, until then. `config_path` is the file that
    `mod reload` and SIGHUP read again."""
    from adapters.console import ConsoleAdapter, ConsoleSession, stdin_lines

    console_only = is_playground(config)
    # The playground runs on a virtual clock that only `clock` lines move, so a
    # script always prints the same thing; real platforms need real time.
    clock: Clock = FakeClock(start or SystemClock().now()) if console_only else SystemClock()
    background = not isinstance(clock, FakeClock)
    adapters: dict[str, Adapter] = {}
    console = None
    if config.adapters.console.enabled:
        console = ConsoleAdapter(out, Path(config.adapters.console.output_dir))
        adapters[console.platform] = console
    discord = None
    if config.adapters.discord.enabled:
        from adapters.discord import DiscordAdapter  # discord.py only when Discord is used

        discord = adapters["discord"] = DiscordAdapter(config)

    refuse_if_rotation_unfinished(config)
    vault = Vault(load_or_create_secret(config.secret_key_file))
    matrix = None
    if config.adapters.matrix.enabled:
        from adapters.matrix.client import MatrixAdapter  # nio only when Matrix is used

        matrix = adapters["matrix"] = MatrixAdapter(config, vault)
    stopping = stopping or asyncio.Event()
    async with await open_database(config.database, converters=converters(vault)) as db:
        await db.mark_in_use()  # until it closes: `hearth keys rotate` waits for us
        if console is not None:
            # a message printed before a crash stays printed once
            console.remember_deliveries(ConsoleLedger(db, lambda key: vault.lookup("console", key)))
        hearth = Hearth(config, db, clock, adapters, vault, Metrics(), config_path)
        with stop_on_signals(stopping), reload_on_hangup(hearth):
            async with serving(config.http, hearth, background=background):
                log.info("Hearth started with %s", ", ".join(adapters) or "no adapters")
                if background:
                    hearth.start_background()
                try:
                    if matrix is not None:
                        await matrix.start(hearth)  # logs in and catches up, or says why not
                    if discord is not None:
                        await discord.start(hearth)  # logs in (a bad token stops here)
                    if console is not None:
                        session = ConsoleSession(
                            hearth,
                            console,
                            clock if isinstance(clock, FakeClock) else None,
                            act_as,
                            channels=lambda: console_channels(hearth.config),
                        )
                        await hearth.settle()
                        if lines is None and sys.stdin.isatty():
                            session.greet()
                        await session.run(until_stopped(lines or stdin_lines(), stopping))
                    else:
                        await stopping.wait()
                finally:
                    await finish(hearth, flush_within)
        log.info("Hearth stopped")
