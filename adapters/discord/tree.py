"""discord.py's command tree, built from what the core declares (`Core.declared`).

Server commands are registered per configured guild (they appear at once).
Optionally the same commands, minus moderator groups, are registered globally
for DMs only, so a server never shows them twice. Each callback hands the
invocation back to the adapter with its typed values; discord.py does the
parsing, the checks of each option's limits and the autocomplete.

Names are the same English words everywhere (members type them); descriptions
and choice labels carry their catalogue `Words`, which `CatalogueTranslator`
renders in each shipped language when the tree syncs.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord.translate import shipped_locale
from bot.port import (
    ENGLISH,
    SUGGEST_COMMUNITY,
    Command,
    Declarations,
    Group,
    Option,
    Words,
)

if TYPE_CHECKING:
    from adapters.discord.client import DiscordAdapter

log = logging.getLogger(__name__)

Suggest = Callable[[str, discord.Interaction, str], Awaitable[list[tuple[str, str]]]]

#: in a DM shared by several communities, the member says which one they mean
COMMUNITY_OPTION = Option(
    "community",
    Words("discord.option_community"),
    suggest=SUGGEST_COMMUNITY,
    max_length=32,
)
# Members never see moderator groups in their command list; the core still checks every use.
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)
DM_ONLY = app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
SERVER_INSTALL = app_commands.AppInstallationType(guild=True, user=False)
DESCRIPTION_MAX = 100  # a command's, an option's, a choice's name
TopLevel = app_commands.Command[Any, ..., Any] | app_commands.Group


def _clip(text: str, limit: int = DESCRIPTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(words: Words, limit: int = DESCRIPTION_MAX) -> app_commands.locale_str:
    """What Discord shows for `words` by default: English. The catalogue reference
    rides along (`extras["words"]`), so `CatalogueTranslator` gives each locale its own."""
    return app_commands.locale_str(_clip(words(ENGLISH), limit), words=words)


#: what a member types stays the same English word everywhere (help and docs agree)
_NAMES = frozenset(
    {
        app_commands.TranslationContextLocation.command_name,
        app_commands.TranslationContextLocation.group_name,
        app_commands.TranslationContextLocation.parameter_name,
    }
)


class CatalogueTranslator(app_commands.Translator):
    """Descriptions (of commands, groups and options) and choice labels in each
    Discord locale Hearth ships a catalogue for; None (Discord shows the English
    default) for any other locale, for English itself, for words not yet translated
    and for names, which are never localised."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        words = string.extras.get("words")
        if not isinstance(words, Words) or context.location in _NAMES:
            return None
        catalogue = shipped_locale(locale.value)
        if catalogue is None or catalogue == ENGLISH:
            return None
        rendered = _clip(words(catalogue))
        return rendered if rendered != string.message else None


def _annotation(option: Option) -> Any:
    if option.kind is bool:
        return bool
    if option.kind is int and (option.min_value is not None or option.max_value is not None):
        return app_commands.Range[int, option.min_value, option.max_value]
    if option.kind is str and option.max_length and not option.choices:
        return app_commands.Range[str, 1, option.max_length]
    return option.kind


def _autocompleter(source: str, suggest: Suggest) -> Callable[..., Awaitable[list[Any]]]:
    async def complete(interaction: discord.Interaction, current: str) -> list[Any]:
        found = await suggest(source, interaction, current)
        return [app_commands.Choice(name=name, value=value) for name, value in found]

    return complete


def _callback(
    adapter: DiscordAdapter, command: Command, options: tuple[Option, ...]
) -> Callable[..., Awaitable[None]]:
    async def invoke(interaction: discord.Interaction, **values: Any) -> None:
        await adapter.on_command(interaction, command, values)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in options:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    # discord.py reads the options from the callback's signature.
    invoke.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    invoke.__qualname__ = invoke.__name__ = "_".join(command.path)
    app_commands.describe(**{o.name: shown(o.description) for o in options})(invoke)
    choices = {
        o.name: [app_commands.Choice(name=shown(label), value=value) for label, value in o.choices]
        for o in options
        if o.choices
    }
    if choices:
        app_commands.choices(**choices)(invoke)
    completers = {o.name: _autocompleter(o.suggest, adapter.suggest) for o in options if o.suggest}
    if completers:
        app_commands.autocomplete(**completers)(invoke)
    return invoke


class _Scope:
    """One scope's top-level commands and groups (the servers', or DMs')."""

    def __init__(self, declared: Declarations, *, dm: bool) -> None:
        self.declared = declared
        self.dm = dm
        self.top: dict[str, TopLevel] = {}
        self._groups: dict[tuple[str, ...], app_commands.Group] = {}

    def moderators_only(self, command: Command) -> bool:
        group = self.declared.groups.get(command.root)
        return group is not None and group.moderators

    def _declared_group(self, path: tuple[str, ...]) -> Group | None:
        groups = self.declared.groups
        return groups.get(" ".join(path)) or groups.get(path[-1])

    def group(self, path: tuple[str, ...]) -> app_commands.Group:
        """The group for `path` (`("checkin",)`), made on first use, parents first."""
        if path in self._groups:
            return self._groups[path]
        parent = self.group(path[:-1]) if len(path) > 1 else None
        declared = self._declared_group(path)
        if declared is None:
            log.warning("no group declared for %r: described by its name", " ".join(path))
            description: str | app_commands.locale_str = path[-1]
        else:
            description = shown(declared.description)
        moderators = declared is not None and declared.moderators and parent is None
        scope: dict[str, Any] = {}
        if parent is None:
            scope = self._scope() | {
                "default_permissions": MODERATOR_PERMISSIONS if moderators else None,
                "guild_only": moderators,
            }
        made = app_commands.Group(name=path[-1], description=description, parent=parent, **scope)
        self._groups[path] = made
        if parent is None:
            self.top[path[0]] = made
        return made

    def _scope(self) -> dict[str, Any]:
        if not self.dm:
            return {}
        return {"allowed_contexts": DM_ONLY, "allowed_installs": SERVER_INSTALL}

    def add(self, command: Command, callback: Callable[..., Awaitable[None]]) -> None:
        if len(command.path) == 1:
            self.top[command.root] = app_commands.Command(
                name=command.root,
                description=shown(command.description),
                callback=callback,
                **self._scope(),
            )
            return
        parent = self.group(command.path[:-1])
        parent.add_command(
            app_commands.Command(
                name=command.path[-1],
                description=shown(command.description),
                callback=callback,
                parent=parent,
            )
        )


def _commands(
    adapter: DiscordAdapter, declared: Declarations, *, dm: bool, pick_community: bool
) -> list[TopLevel]:
    """One scope's top-level commands and groups, in the order the core declared them."""
    scope = _Scope(declared, dm=dm)
    for command in declared.commands:
        if dm and scope.moderators_only(command):
            continue  # moderating needs the server's roles: never from a DM
        picks = dm and pick_community and command.option(COMMUNITY_OPTION.name) is None
        options = command.options + ((COMMUNITY_OPTION,) if picks else ())
        scope.add(command, _callback(adapter, command, options))
    return list(scope.top.values())


def build_tree(
    client: discord.Client,
    adapter: DiscordAdapter,
    declared: Declarations,
    guild_ids: Iterable[int],
    *,
    global_dm: bool,
    pick_community: bool,
) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    guilds = [discord.Object(id=guild_id) for guild_id in guild_ids]
    if guilds:
        for command in _commands(adapter, declared, dm=False, pick_community=False):
            tree.add_command(command, guilds=guilds)
    if global_dm:
        for command in _commands(adapter, declared, dm=True, pick_community=pick_community):
            tree.add_command(command)
    return tree
