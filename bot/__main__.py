"""Command line: `hearth run`, `hearth config check`, `hearth keys rotate`, `hearth health`,
`hearth db copy`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata

from bot.config import Config
from bot.config_loader import ConfigError, check_config_file, load_config
from bot.crypto import SecretKeyError
from bot.ops.server import ServeError
from bot.storage import DatabaseError


def _start_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use an ISO time like 2026-01-05T08:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def version() -> str:
    try:
        return metadata.version("hearth")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    config_help = "the YAML config file (see config.example.yaml)"
    top = argparse.ArgumentParser(prog="hearth", description="Hearth, a peer-support bot")
    top.add_argument("--version", action="version", version=f"hearth {version()}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the bot with every adapter enabled in FILE",
        description=(
            "Run the bot with every adapter enabled in FILE. With the console adapter, "
            "the playground reads its lines (as NAME, in #CHANNEL, /help, clock +1d, ...) "
            "from standard input, typed at a terminal or piped in as a script, and stops "
            "at the end of input: printf '/help\\n' | hearth run --config FILE"
        ),
    )
    run.add_argument("--config", required=True, metavar="FILE", help=config_help)
    run.add_argument(
        "--clock",
        type=_start_time,
        metavar="TIME",
        help="console: virtual start time in UTC, e.g. 2026-01-05T08:00",
    )
    run.add_argument(
        "--as",
        dest="act_as",
        default="you",
        metavar="NAME",
        help="console: the member you start as",
    )
    run.add_argument(
        "--fresh",
        action="store_true",
        help="console: start from an empty database and key in a temporary folder, "
        "removed at the end (each example script on its own)",
    )
    config = commands.add_parser("config", help="configuration tools")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser("check", help="validate a config file")
    check.add_argument("file", metavar="FILE", help="the YAML config file to validate")
    keys = commands.add_parser("keys", help="the secret key")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser("rotate", help="re-encrypt everything under a new key")
    rotate.add_argument("--config", required=True, metavar="FILE", help=config_help)
    health = commands.add_parser(
        "health", help="ask the running bot's /healthz (needs http.enabled); exit 0 if healthy"
    )
    health.add_argument("--config", required=True, metavar="FILE", help=config_help)
    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    copy = db_commands.add_parser(
        "copy", help="copy every row to a new, empty database (SQLite <-> PostgreSQL)"
    )
    copy.add_argument(
        "source", metavar="SRC_URL", help="the database to copy from, e.g. sqlite:///data/hearth.db"
    )
    copy.add_argument(
        "target",
        metavar="DST_URL",
        help="the new, empty database, e.g. postgresql://hearth@db/hearth",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "config":
        problems = check_config_file(args.file)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) in {args.file}", file=sys.stderr)
            return 1
        print(f"{args.file}: OK")
        return 0
    if args.command == "db":
        from bot.storage.copy import copy_command

        return copy_command(args.source, args.target)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        if args.command == "health":
            return 1  # a health check answers 0 or 1: Docker reserves 2
        print("Hearth did not start: fix the config above.", file=sys.stderr)
        return 2
    if args.command == "health":
        from bot.ops.health import probe

        healthy, answer = probe(config.http)
        print(answer, file=sys.stdout if healthy else sys.stderr)
        return 0 if healthy else 1
    if args.command == "keys":
        from bot.keys import rotate_key_file

        try:
            count = asyncio.run(rotate_key_file(config))
        except (DatabaseError, SecretKeyError) as exc:
            print(f"The key was not rotated: {exc}", file=sys.stderr)
            return 2
        print(
            f"Rotated: {count} sealed values now use the new key in {config.secret_key_file}. "
            "Back up the new key file now; the old key no longer opens anything."
        )
        return 0
    from bot.bootstrap import is_playground, setup_logging

    if args.fresh and not is_playground(config):
        print("--fresh is for the console playground only.", file=sys.stderr)
        return 2
    setup_logging(config, quiet=is_playground(config) and sys.stdout.isatty())
    with contextlib.ExitStack() as cleanup:
        if args.fresh:
            config = _in_fresh_folder(config, cleanup.enter_context(tempfile.TemporaryDirectory()))
        return _run(config, args)


def _in_fresh_folder(config: Config, folder: str) -> Config:
    """The config with its database, key and console files in `folder`."""
    console = dataclasses.replace(config.adapters.console, output_dir=f"{folder}/console")
    return dataclasses.replace(
        config,
        database=f"sqlite:///{folder}/hearth.db",
        secret_key_file=f"{folder}/hearth.key",
        adapters=dataclasses.replace(config.adapters, console=console),
    )


def _run(config: Config, args: argparse.Namespace) -> int:
    from bot.bootstrap import run

    try:
        asyncio.run(run(config, start=args.clock, act_as=args.act_as, config_path=args.config))
    except (DatabaseError, SecretKeyError, ServeError) as exc:
        print(f"Hearth did not start: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
