"""`mod reload`: re-read the YAML file and apply it without a restart, or keep
the running config and say privately what is wrong, line by line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import audit
from bot.commands import Args, Refusal, Request
from bot.config_loader import ConfigError, Problem
from bot.feature import Reloader
from bot.port import Message
from bot.reload import RESTART_ONLY, ReloadPlan, ReloadUnavailable

SHOWN_PATHS = 12  # key paths listed in a reply; the rest are counted


def problem_line(problem: Problem) -> str:
    """A problem for a chat reply: its line and key path. For operator-only keys
    (database, adapters, …) not the message, which could quote a value."""
    where = f"line {problem.line}" if problem.line is not None else Path(problem.source).name
    key = problem.key_path
    if key and key.split(".")[0].split("[")[0] in RESTART_ONLY:
        return f"• {where}, {key}: not valid (`hearth config check` on the server says why)"
    return f"• {where}, {key}: {problem.message}" if key else f"• {where}: {problem.message}"


def summary(plan: ReloadPlan) -> str:
    """The changed key paths, for the moderator log (paths only, never values)."""
    text = "changed " + ", ".join(map(_short_path, plan.applied)) if plan.applied else "no changes"
    if plan.kept:
        text += "; waiting for a restart: " + ", ".join(map(_short_path, plan.kept))
    return text


def _short_path(path: str) -> str:
    return path.removeprefix("communities.")


def _listed(paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return shown + (f" and {more} more" if more > 0 else "")


def make_handler(reloader: Reloader) -> Callable[[Request, Args], Awaitable[None]]:
    async def reload(req: Request, args: Args) -> None:
        try:
            plan = reloader.plan_reload()
        except ReloadUnavailable:
            raise Refusal(
                "This Hearth was not started from a config file, so there is nothing to re-read."
            ) from None
        except ConfigError as error:
            count = len(error.problems)
            raise Refusal(
                f"I did not reload: the file has {count} problem{'s' if count != 1 else ''}, "
                "so the running configuration stays as it was.\n"
                + "\n".join(problem_line(p) for p in error.problems)
            ) from None
        detail = summary(plan)
        for community in plan.config.communities:  # a reload touches every community's settings
            await audit.record(
                req.tx,
                req.vault,
                community.name,
                req.member.member,
                "reload",
                None,
                detail,
                req.now,
            )

        async def apply() -> Message:
            # Only once the log entry is durable: a failed commit changes nothing.
            reloader.reload(plan.config)
            return Message(describe(plan))

        req.later(apply)

    return reload


def describe(plan: ReloadPlan) -> str:
    if plan.applied:
        text = "Reloaded. Now in effect: " + _listed(plan.applied) + "."
    else:
        text = "Reloaded: nothing that applies live has changed."
    if plan.kept:
        text += (
            "\nThese changed in the file but only take effect after a restart, so the running "
            "values are kept for now: " + _listed(plan.kept) + "."
        )
    return text
