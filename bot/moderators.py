"""Who moderates a community (named users, Discord roles, Matrix power level), and
how a feature puts what it held back into the moderators' queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.config import Community
from bot.port import Event
from bot.requests import Args, Refusal, Request, Router


@dataclass(frozen=True)
class HeldKind:
    """Content one feature held for review (a celebration that sounded like a crisis):
    listed by `mod queue`, decided by `mod approve PREFIX N` / `mod reject PREFIX N`."""

    prefix: str  # "c": `mod approve c7`, never mistaken for share #7
    noun: str
    pending: Callable[[Request], Awaitable[list[str]]]  # the queue's lines
    approve: Callable[[Request, int], Awaitable[None]]
    reject: Callable[[Request, int, str], Awaitable[None]]  # with the moderator's note


def is_moderator(event: Event, community: Community) -> bool:
    moderators = community.moderators
    if event.member.user_id in moderators.users:
        return True
    if any(role in moderators.roles for role in event.roles):
        return True
    level = event.power_levels.get(community.name)
    return level is not None and level >= moderators.power_level


ModHandler = Callable[[Request, Args], Awaitable[None]]


def add_mod_command(
    router: Router, subcommands: Mapping[str, ModHandler], usage: Sequence[str]
) -> None:
    """`mod SUBCOMMAND …`, for moderators only: the features fill the table."""

    async def mod(req: Request) -> None:
        if not is_moderator(req.event, req.community):
            raise Refusal(req.t("mod.only_moderators", community=req.community.name))
        name = req.args.word(0)
        handler = subcommands.get(name or "")
        if handler is None:
            commands = ", ".join(f"`mod {n}`" for n in subcommands)  # command words, as typed
            raise Refusal(req.t("mod.commands_list", commands=commands))
        await handler(req, req.args.shift())

    router.add("mod", mod, usage, "mod.summary")  # catalogue ids: `help` renders them
