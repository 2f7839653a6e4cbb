"""What a feature is: one folder that declares, once, what it brings.

A feature's `__init__.py` (or module, for the small ones) holds `FEATURE`, a
`Feature`. `bot/app.py` iterates over one tuple of them: it adds their
commands, builds their jobs, routes their relays and the core events they
listen to, reviews what they held in one `mod queue`, and asks each for its
part of a member's `mydata export` and `mydata delete`. Features never import
each other: what one needs from another travels as a core event
(bot/events.py) or through these declarations. ARCHITECTURE.md tells more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.config import Config
from bot.metrics import Metrics
from bot.moderators import HeldKind, ModHandler
from bot.port import Command, Group, Member
from bot.relays import Resolver
from bot.requests import Request, Router
from bot.scheduler import Job
from bot.storage import Database
from bot.vault import Vault

Subscriber = Callable[[Request, Any], Awaitable[None]]
#: autocomplete values for a member: (services, member, community names, command path)
Suggester = Callable[["Services", Member, Sequence[str], tuple[str, ...]], Awaitable[list[str]]]


class Reloader(Protocol):
    """What `mod reload` needs of the running bot (bot/app.py is one): a plan
    (bot/reload.py's `ReloadPlan`, read by the moderator tools) and applying it."""

    def plan_reload(self) -> Any: ...

    def reload(self, config: Config) -> None: ...


@dataclass(frozen=True)
class Services:
    """The shared parts a feature's jobs are built from."""

    db: Database
    config: Config
    vault: Vault
    metrics: Metrics


@dataclass
class Wiring:
    """What spans features, handed to each feature's `commands` when it registers:
    every feature's held items and data parts, the `mod` subcommand table they
    fill together, and the running bot for `mod reload`."""

    held: tuple[HeldKind, ...]
    data_parts: tuple[Feature, ...]
    reloader: Reloader
    mod_commands: MutableMapping[str, ModHandler] = field(default_factory=dict)
    mod_usage: list[str] = field(default_factory=list)


def _no_handlers(router: Router, wiring: Wiring) -> None:
    return None


def _no_commands(config: Config) -> Sequence[Command]:
    return ()


def _no_jobs(services: Services) -> Sequence[Job]:
    return ()


@dataclass(frozen=True)
class Feature:
    name: str
    #: adds the handlers of its commands (and `mod` subcommands) to the router
    handlers: Callable[[Router, Wiring], None] = _no_handlers
    #: its commands as members invoke them: typed options, limits, forms (bot/port.py);
    #: Discord's slash commands are made from these
    commands: Callable[[Config], Sequence[Command]] = _no_commands
    #: first words its commands share (`checkin …`), with what they are for
    groups: tuple[Group, ...] = ()
    #: autocomplete sources it answers (`Option.suggest`), by name
    suggests: Mapping[str, Suggester] = field(default_factory=dict)
    #: a folder of its own catalogue (`<locale>/LC_MESSAGES/*.po`), beside bot/texts'
    catalogue: Path | None = None
    #: its scheduled jobs; each has a `config` the bot replaces on reload
    jobs: Callable[[Services], Sequence[Job]] = _no_jobs
    #: resolvers for its kinds of batched relay (bot/relays.py), by kind
    relays: Mapping[str, Resolver] = field(default_factory=dict)
    #: what it holds back for moderators, reviewed in `mod queue`
    held: tuple[HeldKind, ...] = ()
    #: core events it acts on (bot/events.py), by event type
    listens: Mapping[type, Subscriber] = field(default_factory=dict)
    #: its part of `mydata export`: top-level keys of the member's file
    export: Callable[[Request], Awaitable[dict[str, Any]]] | None = None
    #: its part of `mydata delete`, for what does not cascade from the member's row
    erase: Callable[[Request], Awaitable[None]] | None = None
    #: a catalogue id: its lines of the `privacy` card (what it stores, who sees it),
    #: shown after the card's own to a member of any community (bot/features/safety.py)
    privacy: str = ""
