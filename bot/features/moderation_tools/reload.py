"""`mod reload`: re-read the YAML file and apply it without a restart, or keep
the running config and say privately what is wrong, line by line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import audit
from bot.config_loader import ConfigError, Problem
from bot.feature import Reloader
from bot.port import Message
from bot.reload import RESTART_ONLY, ReloadPlan, ReloadUnavailable
from bot.requests import Args, Refusal, Request
from bot.texts import ENGLISH, plural, text

SHOWN_PATHS = 12  # key paths listed in a reply; the rest are counted


def problem_line(problem: Problem, locale: str = ENGLISH) -> str:
    """A problem for a chat reply: its line and key path. For operator-only keys
    (database, adapters, …) not the message, which could quote a value."""
    if problem.line is not None:
        where = text("mod.reload_line", locale, line=problem.line)
    else:
        where = Path(problem.source).name
    key = problem.key_path
    if key and key.split(".")[0].split("[")[0] in RESTART_ONLY:
        return text("mod.reload_problem_restart_only", locale, where=where, key=key)
    if key:
        return text("mod.reload_problem_key", locale, where=where, key=key, problem=problem.message)
    return text("mod.reload_problem", locale, where=where, problem=problem.message)


def summary(plan: ReloadPlan) -> str:
    """The changed key paths, for the moderator log (paths only, never values)."""
    text = "changed " + ", ".join(map(_short_path, plan.applied)) if plan.applied else "no changes"
    if plan.kept:
        text += "; waiting for a restart: " + ", ".join(map(_short_path, plan.kept))
    return text


def _short_path(path: str) -> str:
    return path.removeprefix("communities.")


def _listed(paths: tuple[str, ...], locale: str) -> str:
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return plural("mod.reload_listed_more", more, locale, paths=shown) if more > 0 else shown


def make_handler(reloader: Reloader) -> Callable[[Request, Args], Awaitable[None]]:
    async def reload(req: Request, args: Args) -> None:
        try:
            plan = reloader.plan_reload()
        except ReloadUnavailable:
            raise Refusal(req.t("mod.reload_unavailable")) from None
        except ConfigError as error:
            lines = [
                req.plural("mod.reload_invalid", len(error.problems)),
                *(problem_line(p, req.locale) for p in error.problems),
            ]
            raise Refusal("\n".join(lines)) from None
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
            return Message(describe(plan, req.locale))

        req.later(apply)

    return reload


def describe(plan: ReloadPlan, locale: str = ENGLISH) -> str:
    if plan.applied:
        lines = [text("mod.reload_applied", locale, paths=_listed(plan.applied, locale))]
    else:
        lines = [text("mod.reload_nothing", locale)]
    if plan.kept:
        lines.append(text("mod.reload_kept", locale, paths=_listed(plan.kept, locale)))
    return "\n".join(lines)
