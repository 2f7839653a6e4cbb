"""The Discord adapter's thin client part: discord.py's client, the port's
actions (send, reply, react, delete) and the handlers that feed interactions
and DMs to the core. What commands there are and what they mean is the core's
(`Core.declared`); `tree` draws them as slash commands, `translate` the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp
import discord

from adapters.discord import translate, views
from adapters.discord.responder import BACKLOG, DEFER_AFTER, Responder
from adapters.discord.tree import CatalogueTranslator, build_tree
from bot.config import Community, Config
from bot.port import (
    SUGGEST_COMMUNITY,
    Adapter,
    Command,
    Core,
    Declarations,
    DeliveryError,
    Event,
    Form,
    Member,
    Message,
    Place,
    RateLimited,
    Unreachable,
    text,
)

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Servers (channels, roles) and DMs; no message content, no member list. Server
    messages arrive (without their words) so answers in a group check-in thread count."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    wanted.guild_messages = True
    return wanted


class _HearthClient:
    """What Hearth adds to discord.py's client: setup, modal submits, DMs."""

    adapter: DiscordAdapter

    async def setup_hook(self) -> None:
        await self.adapter.setup(self)  # type: ignore[arg-type]

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await self.adapter.on_form(interaction)

    async def on_message(self, message: discord.Message) -> None:
        if isinstance(message.channel, discord.Thread):
            await self.adapter.on_thread_message(message, message.channel)
            return
        await self.adapter.on_dm(message)


class DiscordLoginError(SystemExit):
    """Discord refused the token or could not be reached: a SystemExit, so
    `hearth run` stops and says why instead of running deaf."""


class HearthClient(_HearthClient, discord.Client):
    pass


class HearthShardedClient(_HearthClient, discord.AutoShardedClient):
    pass


#: the longest 429 wait (s) discord.py sits out inside a send; discord.py's own floor
MAX_RATELIMIT_WAIT = 30.0
#: the name a member's DM channel id is kept under in `core.store` (sealed, erased
#: with the member): a restart does not ask Discord for every channel again
DM_CHANNEL = "dm_channel"

# Discord shows at most 25 suggestions, each up to 100 characters (name and value).
SUGGESTIONS_MAX = 25
SUGGESTION_MAX_LENGTH = 100


def _allowed_mentions(rendered: translate.Rendered) -> discord.AllowedMentions:
    """Nobody, as for every message; for one that calls moderators (a crisis alert
    nobody took), exactly those it names: never @everyone, never another role."""
    if not (rendered.mention_users or rendered.mention_roles):
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False,
        users=[discord.Object(u) for u in rendered.mention_users] or False,
        roles=[discord.Object(r) for r in rendered.mention_roles] or False,
        replied_user=False,
    )


class DiscordAdapter(Adapter):
    platform = translate.PLATFORM
    private_commands = True
    shows_attachments = True

    def __init__(
        self,
        config: Config,
        *,
        defer_after: float = DEFER_AFTER,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.settings = config.adapters.discord
        self.defer_after = defer_after
        self.core: Core | None = None
        self.declared: Declarations | None = None  # what the tree was built from
        self.tree: discord.app_commands.CommandTree[Any] | None = None
        self._logged_in = False
        self._runner: asyncio.Task[None] | None = None
        self._dm_channels: dict[int, int] = {}  # user id → DM channel id
        self._dm_kept: set[int] = set()  # user ids whose DM channel is in core.store
        self._responders: dict[str, Responder] = {}  # interaction id → its answer
        self._in_core = 0  # events handed to the core and not yet done: a backlog
        options: dict[str, Any] = {
            "intents": intents(),
            "allowed_mentions": discord.AllowedMentions.none(),
            "max_messages": None,  # keep no members' messages in memory
            "chunk_guilds_at_startup": False,
            # Every 429 reaches the core, which holds back the sends of every
            # process; one asking for longer than this fails the send instead of
            # holding the outbox (discord.py waits out shorter ones by itself).
            "http_trace": self._rate_limit_trace(),
            "max_ratelimit_timeout": MAX_RATELIMIT_WAIT,
            **(client_options or {}),
        }
        # discord.py logs request bodies and gateway events at DEBUG: members' words.
        library_log = logging.getLogger("discord")
        if library_log.getEffectiveLevel() < logging.INFO:
            library_log.setLevel(logging.INFO)
        # Hearth never joins voice: skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        shards = self.settings.shards
        if shards.count is not None:
            options["shard_count"] = shards.count
            if shards.ids:
                options["shard_ids"] = list(shards.ids)
            self.client: discord.Client = HearthShardedClient(**options)
        else:
            self.client = HearthClient(**options)
        self.client.adapter = self  # type: ignore[attr-defined]

    def _rate_limit_trace(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()

        async def on_request_end(_session: Any, _context: Any, params: Any) -> None:
            response = params.response
            # "shared": a resource's own limit, not this bot's doing nor its budget
            if response.status != 429 or response.headers.get("X-RateLimit-Scope") == "shared":
                return
            if self.core is None:
                return
            try:
                await self.core.slow_down(self.platform, translate.retry_after(response.headers))
            except Exception:
                log.exception("a 429 could not be passed on to the send budget")

        trace.on_request_end.append(on_request_end)
        return trace

    # --- lifecycle --------------------------------------------------------------

    def communities(self) -> tuple[Community, ...]:
        source = self.core.config if self.core is not None else self.config
        return source.communities_on(self.platform)

    async def start(self, core: Core) -> None:
        """Log in (a bad token fails here, loudly), then keep the gateway open."""
        await self.login(core)
        self._runner = asyncio.create_task(self._connect(), name="hearth-discord-gateway")

    async def login(self, core: Core) -> None:
        """Log in over HTTP and set up (commands, buttons); sends work from here on."""
        self.core = core
        try:
            await self.client.login(self.settings.token)
        except discord.LoginFailure:
            await self.client.close()
            raise DiscordLoginError(
                "Discord refused the bot token (adapters.discord.token)."
            ) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            await self.client.close()
            raise DiscordLoginError(f"Cannot log in to Discord: {exc}") from None
        self._logged_in = True

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except Exception:
            log.exception("discord gateway stopped")

    @property
    def connected(self) -> bool:  # type: ignore[override]
        return self._logged_in and self.client.is_ready() and not self.client.is_closed()

    async def close(self) -> None:
        self._logged_in = False
        await self.client.close()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    async def setup(self, client: discord.Client) -> None:
        """Called by discord.py once logged in: commands, lasting buttons, sync."""
        assert self.core is not None, "start(core) before logging in"
        communities = self.communities()
        self.declared = self.core.declared(self.platform)
        guild_ids = sorted({int(c.guild_id) for c in communities if c.guild_id})
        self.tree = build_tree(
            client,
            self,
            self.declared,
            guild_ids,
            global_dm=self.settings.sync_global,
            pick_community=len(communities) > 1,
        )
        # Descriptions and choice labels in each shipped language, before any sync.
        await self.tree.set_translator(CatalogueTranslator())
        client.add_dynamic_items(views.ChoiceButton)
        ids = self.settings.shards.ids
        if not ids or 0 in ids:  # one process syncs, not every shard
            await self.sync(guild_ids)

    async def sync(self, guild_ids: list[int]) -> None:
        assert self.tree is not None
        for guild_id in guild_ids:
            try:
                synced = await self.tree.sync(guild=discord.Object(id=guild_id))
                log.info("%d slash commands synced to guild %s", len(synced), guild_id)
            except discord.HTTPException as exc:
                # Most often the bot was invited without the applications.commands scope.
                log.error("slash commands for guild %s not synced: %s", guild_id, exc)
        if self.settings.sync_global:
            try:
                await self.tree.sync()
            except discord.HTTPException as exc:
                log.error("global slash commands not synced: %s", exc)

    # --- inbound ----------------------------------------------------------------

    async def on_command(
        self, interaction: discord.Interaction, command: Command, values: dict[str, Any]
    ) -> None:
        # The tree's own option in a DM (`tree.COMMUNITY_OPTION`), not one the core declared.
        picked = values.pop("community", None) if command.option("community") is None else None
        # In a server the server decides the community; the option is for DMs.
        community = picked if interaction.guild_id is None else None
        given = {name: value for name, value in values.items() if value is not None}
        form = command.form_for(given)
        if form is not None and await self._open(interaction, command, form, given, community):
            return
        event = translate.invoked(interaction, command.path, given, community=community)
        await self._handle(interaction, event)

    async def on_choice(self, interaction: discord.Interaction, command: str) -> None:
        found = self.declared.form_for_choice(command) if self.declared is not None else None
        if found is not None:
            declared, values = found
            form = declared.form_for(values)
            if form is not None and await self._open(interaction, declared, form, values):
                return
        await self._handle(interaction, translate.choice_event(interaction, command))

    async def on_form(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        invocation = translate.form_invocation(str(data.get("custom_id", "")))
        if invocation is None:  # not a form Hearth opened (or a client's mangled copy of one)
            log.info("interaction %s: an unknown form; dropped", interaction.id)
            # A form opened before an upgrade, say: what was written cannot be read back.
            with contextlib.suppress(discord.HTTPException):
                locale = translate.reading_locale(translate.locale_of(interaction))
                expired = text("discord.form_expired", locale)
                await interaction.response.send_message(expired, ephemeral=True)
            return
        fields = translate.submitted_values(data.get("components", []))
        event = translate.invoked(
            interaction,
            invocation.command,
            invocation.values,
            fields=fields,
            community=invocation.community,
        )
        await self._handle(interaction, event)

    async def on_dm(self, message: discord.Message) -> None:
        event = translate.dm_event(message)
        if event is None or self.core is None:
            return
        self._dm_channels[message.author.id] = message.channel.id
        self._in_core += 1
        try:
            await self.core.handle(event)
        except Exception:
            log.exception("discord DM %s failed", message.id)
        finally:
            self._in_core -= 1

    async def on_thread_message(self, message: discord.Message, thread: discord.Thread) -> None:
        """A message in a thread: the core counts it if the thread is a group check-in
        it opened, and leaves any other thread alone."""
        event = translate.thread_event(message, str(thread.id), str(thread.parent_id))
        if event is None or self.core is None:
            return
        try:
            await self.core.handle(event)
        except Exception:
            log.exception("discord thread message %s failed", message.id)

    async def _open(
        self,
        interaction: discord.Interaction,
        command: Command,
        form: Form,
        values: Mapping[str, object],
        community: str | None = None,
    ) -> bool:
        """Show `form` for this invocation; False when Discord could not carry it
        (then the invocation goes to the core as it is, without the member's words)."""
        # Drawn by the adapter, in answer to this interaction: in its app's language.
        locale = translate.reading_locale(translate.locale_of(interaction))
        modal = translate.modal(command, form, values, community, locale)
        if modal is None:
            log.info("interaction %s: form %s too long to open", interaction.id, form.name)
            return False
        drawn = views.HearthForm(modal)
        try:
            await interaction.response.send_modal(drawn)
        except discord.HTTPException as exc:
            log.warning("interaction %s: form not opened (%s)", interaction.id, exc.status)
        finally:
            drawn.stop()
        return True

    async def _handle(self, interaction: discord.Interaction, event: Event) -> None:
        if self.core is None:
            return
        if interaction.guild_id is None and interaction.channel_id is not None:
            self._dm_channels[interaction.user.id] = interaction.channel_id
        responder = Responder(interaction, defer_after=self.defer_after)
        self._responders[event.event_id] = responder
        if self._in_core >= BACKLOG:  # the answer would queue behind theirs
            await responder.defer_now()
        else:
            responder.start()
        self._in_core += 1
        try:
            await self.core.handle(event)
        except Exception:
            log.exception("discord interaction %s failed", interaction.id)
        finally:
            self._in_core -= 1
            self._responders.pop(event.event_id, None)
            await responder.finish()

    async def suggest(
        self, source: str, interaction: discord.Interaction, typed: str
    ) -> list[tuple[str, str]]:
        """Autocomplete, asked of the core: (what the member sees, the value sent)."""
        if self.core is None:
            return []
        command = interaction.command
        path = tuple(command.qualified_name.split()) if command is not None else ()
        in_dm = interaction.guild_id is None
        picked = getattr(interaction.namespace, "community", None)
        try:
            found = await self.core.suggest(
                translate.member_of(interaction.user),
                source,
                typed,
                command=path,
                space=None if in_dm else str(interaction.guild_id),
                # what the member picked so far, in a DM; not what they are typing now
                community=picked if in_dm and source != SUGGEST_COMMUNITY else None,
            )
        except Exception:
            log.exception("interaction %s: suggestions failed", interaction.id)
            return []
        # A longer value could not be sent back whole: better not offered than cut.
        fitting = [value for value in found if 0 < len(value) <= SUGGESTION_MAX_LENGTH]
        return [(value, value) for value in fitting[:SUGGESTIONS_MAX]]

    # --- outbound (the port) -------------------------------------------------------

    def _kwargs(
        self, message: Message, locale: str | None = None
    ) -> tuple[dict[str, Any], translate.Rendered]:
        rendered = translate.render(message, translate.reading_locale(locale))
        if rendered.clipped:
            log.warning("a message was clipped to Discord's length limits")
        kwargs: dict[str, Any] = {"allowed_mentions": _allowed_mentions(rendered)}
        if rendered.content is not None:
            kwargs["content"] = rendered.content
        if rendered.embed is not None:
            kwargs["embed"] = views.embed(rendered.embed)
        if (view := views.button_view(rendered.buttons)) is not None:
            kwargs["view"] = view
        if (file := views.file(rendered.attachment)) is not None:
            kwargs["file"] = file
        return kwargs, rendered

    async def _known_dm_channel(self, user_id: int) -> int | None:
        """The member's DM channel, if this process saw it or the store keeps it."""
        if user_id in self._dm_channels:
            return self._dm_channels[user_id]
        if self.core is None:
            return None
        kept = await self.core.store.member_state(Member(self.platform, str(user_id)), DM_CHANNEL)
        if kept is None or not kept.isdigit():
            return None
        self._dm_channels[user_id] = int(kept)
        self._dm_kept.add(user_id)
        return int(kept)

    async def _channel_id(self, place: Place) -> int:
        if not place.target.isdigit():
            raise DeliveryError("not a Discord id: check the community's channels in the config")
        if not place.is_dm:
            return int(place.target)
        user_id = int(place.target)
        channel_id = await self._known_dm_channel(user_id)
        if channel_id is None:  # POST /users/@me/channels: a request of its own
            data = await self.client.http.start_private_message(user_id)
            channel_id = self._dm_channels[user_id] = int(data["id"])
        if user_id not in self._dm_kept and self.core is not None:
            # Kept only for members Hearth sends to (an interaction's channel is seen
            # for anyone who uses a command), so the next start need not ask again.
            member = Member(self.platform, str(user_id))
            await self.core.store.save_member_state(member, DM_CHANNEL, str(channel_id))
            self._dm_kept.add(user_id)
        return channel_id

    async def ready_for(self, place: Place) -> bool:
        """A DM whose channel is not known yet takes a request to open it first."""
        if not place.is_dm or not place.target.isdigit():
            return True
        return await self._known_dm_channel(int(place.target)) is not None

    async def prepare(self, place: Place) -> None:
        with self._failures(place):
            await self._channel_id(place)

    async def send(self, place: Place, message: Message) -> str:
        kwargs, rendered = self._kwargs(message)
        if rendered.nonce is not None:
            kwargs["nonce"] = rendered.nonce  # discord.py sends it with enforce_nonce
        with self._failures(place):
            channel_id = await self._channel_id(place)
            if rendered.reply_to is not None:
                kwargs["reference"] = discord.MessageReference(
                    message_id=rendered.reply_to, channel_id=channel_id, fail_if_not_exists=False
                )
            sent = await self.client.get_partial_messageable(channel_id).send(**kwargs)
        return str(sent.id)

    async def open_thread(self, place: Place, message: Message, name: str) -> str:
        """The post, then a thread started on it (its id is the post's). A retry after
        the post went out posts once (the nonce) and finds the thread already there."""
        message_id = await self.send(place, message)
        with self._failures(place):
            try:
                await self.client.http.start_thread_with_message(
                    int(place.target),
                    int(message_id),
                    name=translate.thread_name(name),
                    auto_archive_duration=translate.THREAD_ARCHIVE_MINUTES,
                )
            except discord.HTTPException as exc:
                if exc.code != translate.THREAD_ALREADY_CREATED:
                    raise
        return message_id

    @contextlib.contextmanager
    def _failures(self, place: Place) -> Iterator[None]:
        """discord.py's errors as the port's: Unreachable for a DM Discord refuses
        (one request, never retried), DeliveryError for what may pass."""
        if not self._logged_in:
            raise DeliveryError("discord is not logged in")
        try:
            yield
        except discord.RateLimited as exc:  # longer than discord.py waits by itself
            raise RateLimited(exc.retry_after) from None
        except discord.HTTPException as exc:
            if exc.status == 429:  # still limited after discord.py's own retries
                raise RateLimited(translate.retry_after(exc.response.headers)) from None
            if place.is_dm and translate.is_unreachable(exc.code):
                raise Unreachable(f"discord error {exc.code}") from None
            raise DeliveryError(f"discord {exc.status} (code {exc.code})") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(type(exc).__name__) from None

    async def reply(self, event: Event, message: Message) -> None:
        responder = self._responders.get(event.event_id)
        if responder is not None:
            kwargs, _ = self._kwargs(message, event.locale)
            await responder.send(kwargs)
            return
        # Not an interaction (a DM typed to the bot): answer in that DM.
        try:
            await self.send(Place.dm(event.member), message)
        except DeliveryError as exc:
            log.warning("reply to %s not delivered (%s)", event.event_id, type(exc).__name__)

    async def _message(self, place: Place, message_id: str) -> discord.PartialMessage:
        channel = self.client.get_partial_messageable(await self._channel_id(place))
        return channel.get_partial_message(int(message_id))

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        with self._failures(place):
            await (await self._message(place, message_id)).add_reaction(emoji)

    async def delete(self, place: Place, message_id: str) -> None:
        with self._failures(place):
            try:
                await (await self._message(place, message_id)).delete()
            except discord.NotFound:
                return  # already gone: what a take-down wants
