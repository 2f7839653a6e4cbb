"""discord.py's command tree, built from the declaration in `commands.py`.

Server commands are registered per configured guild (they appear at once).
Optionally the same commands, minus `/mod`, are registered globally for DMs
only, so a server never shows them twice. Each callback hands the invocation
back to the adapter; discord.py does the parsing, checks and autocomplete.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord import commands as spec
from bot.texts import text

if TYPE_CHECKING:
    from adapters.discord.client import DiscordAdapter

Suggest = Callable[[str, discord.Interaction, str], Awaitable[list[tuple[str, str]]]]

COMMUNITY_OPTION = spec.Option(
    "community",
    text("discord.option_community"),
    autocomplete=spec.COMMUNITY,
    max_length=32,
)
# Members never see /mod in their command list; the core still checks every use.
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)
DM_ONLY = app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
SERVER_INSTALL = app_commands.AppInstallationType(guild=True, user=False)


def _annotation(option: spec.Option) -> Any:
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
        return [app_commands.Choice(name=name[:100], value=value) for name, value in found[:25]]

    return complete


def _callback(
    adapter: DiscordAdapter, leaf: spec.Leaf, options: tuple[spec.Option, ...]
) -> Callable[..., Awaitable[None]]:
    async def invoke(interaction: discord.Interaction, **values: Any) -> None:
        await adapter.on_command(interaction, leaf, values)

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
    invoke.__qualname__ = invoke.__name__ = leaf.qualified_name.replace(" ", "_")
    descriptions = {o.name: o.description for o in options}
    choices = {
        o.name: [app_commands.Choice(name=name, value=value) for name, value in o.choices]
        for o in options
        if o.choices
    }
    completers = {
        o.name: _autocompleter(o.autocomplete, adapter.suggest) for o in options if o.autocomplete
    }
    app_commands.describe(**descriptions)(invoke)
    if choices:
        app_commands.choices(**choices)(invoke)
    if completers:
        app_commands.autocomplete(**completers)(invoke)
    return invoke


def _commands(
    adapter: DiscordAdapter, leaves: Iterable[spec.Leaf], *, dm: bool, pick_community: bool
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """One scope's top-level commands and groups."""
    scope: dict[str, Any] = (
        {"allowed_contexts": DM_ONLY, "allowed_installs": SERVER_INSTALL} if dm else {}
    )
    top: dict[str, app_commands.Command[Any, ..., Any] | app_commands.Group] = {}
    for leaf in leaves:
        if dm and leaf.root in spec.MODERATOR_GROUPS:
            continue  # moderating needs the server's roles: never from a DM
        options = leaf.options + ((COMMUNITY_OPTION,) if dm and pick_community else ())
        callback = _callback(adapter, leaf, options)
        if len(leaf.path) == 1:
            top[leaf.root] = app_commands.Command(
                name=leaf.root, description=leaf.description, callback=callback, **scope
            )
            continue
        group = top.get(leaf.root)
        if group is None:
            moderators = leaf.root in spec.MODERATOR_GROUPS
            group = top[leaf.root] = app_commands.Group(
                name=leaf.root,
                description=spec.GROUPS[leaf.root],
                default_permissions=MODERATOR_PERMISSIONS if moderators else None,
                guild_only=moderators,
                **scope,
            )
        assert isinstance(group, app_commands.Group)
        group.add_command(
            app_commands.Command(
                name=leaf.path[1], description=leaf.description, callback=callback, parent=group
            )
        )
    return list(top.values())


def build_tree(
    client: discord.Client,
    adapter: DiscordAdapter,
    leaves: Iterable[spec.Leaf],
    guild_ids: Iterable[int],
    *,
    global_dm: bool,
    pick_community: bool,
) -> app_commands.CommandTree[Any]:
    leaves = tuple(leaves)
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    guilds = [discord.Object(id=guild_id) for guild_id in guild_ids]
    if guilds:
        for command in _commands(adapter, leaves, dm=False, pick_community=False):
            tree.add_command(command, guilds=guilds)
    if global_dm:
        for command in _commands(adapter, leaves, dm=True, pick_community=pick_community):
            tree.add_command(command)
    return tree
