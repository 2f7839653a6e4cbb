"""Hearth itself: wiring the features together and turning events into
durable changes and private replies.

An event is handled in one transaction: its platform id is claimed (a replay
has no second effect), the handler writes, and only after the commit is
durable are the replies sent. Bad input rolls everything back.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot import invocations, members, texts
from bot.adapter_store import AdapterState
from bot.clock import Clock
from bot.config import Community, Config
from bot.direct import DirectReply
from bot.feature import Feature, Services, Subscriber, Suggester, Wiring
from bot.features import (
    buddies,
    checkins,
    crisis_alerts,
    encouragement,
    groupcheckin,
    help,
    language,
    milestones,
    moderation_tools,
    mydata,
    safety,
    safetyplan,
    sharing,
)
from bot.housekeeping import Housekeeping
from bot.localtime import day_floor
from bot.members import MemberRecord
from bot.metrics import Metrics
from bot.moderators import add_mod_command, is_moderator
from bot.mornings import MorningForecast
from bot.outbox import OutboxDeliverer, find_sent
from bot.port import (
    SUGGEST_COMMAND,
    SUGGEST_COMMUNITY,
    SUGGEST_TIMEZONE,
    Adapter,
    ChoicePicked,
    Command,
    CommandGiven,
    Declarations,
    DeliveryError,
    Event,
    Group,
    Invoked,
    Member,
    Message,
    MessagePosted,
    Place,
    ReactionAdded,
    Words,
)
from bot.relays import RelayJob
from bot.reload import ReloadPlan, ReloadUnavailable, plan_reload
from bot.requests import (
    Args,
    Handler,
    Refusal,
    Request,
    Router,
    scope_choices,
    split_command,
    take_community_option,
)
from bot.scheduler import Scheduler
from bot.storage import Database, Transaction
from bot.texts import text
from bot.vault import Vault

log = logging.getLogger(__name__)

#: every feature, once; its order is the order of `help` (ARCHITECTURE.md)
FEATURES: tuple[Feature, ...] = (
    help.FEATURE,
    checkins.FEATURE,
    milestones.FEATURE,
    safety.FEATURE,
    mydata.FEATURE,
    language.FEATURE,
    sharing.FEATURE,
    moderation_tools.FEATURE,
    buddies.FEATURE,
    crisis_alerts.FEATURE,
    encouragement.FEATURE,
    groupcheckin.FEATURE,
    safetyplan.FEATURE,
)

#: the core's own group: `mod …`, filled by the features (bot/moderators.py)
MOD_GROUP = Group("mod", Words("discord.group_mod"), moderators=True)

#: a NUL (PostgreSQL refuses it in text) and lone surrogates, which a platform's JSON
#: may carry (`"\ud800"`) and no engine can encode as UTF-8
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# In English: a failure may come before the member (and their language) is known.
SORRY = text("core.sorry")
UNREACHABLE_NOTICE = text("core.unreachable_notice")  # English; the reply uses req.t


class _Early(Exception):
    """A refusal found before the member's language is known (an unknown command,
    which community): worded once it is (`Hearth._early_locale`)."""

    def __init__(self, message_id: str, /, **values: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.values = values


class Hearth:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        vault: Vault,
        metrics: Metrics | None = None,
        config_path: str | os.PathLike[str] | None = None,
        features: tuple[Feature, ...] = FEATURES,
    ) -> None:
        self.config = config
        self.config_path = config_path  # read again by `plan_reload` (mod reload, SIGHUP)
        self.metrics = metrics or Metrics()
        self.db = db
        self.vault = vault
        self.clock = clock
        self.store = AdapterState(db, vault, clock)  # the adapters' own state (bot/port.py)
        self.adapters = dict(adapters)
        self.router = Router()
        self.features = features
        for feature in features:
            if feature.catalogue is not None:
                texts.include(feature.catalogue)
        wiring = Wiring(
            held=tuple(kind for f in features for kind in f.held),
            data_parts=tuple(f for f in features if f.export or f.erase),
            reloader=self,
        )
        for feature in features:
            feature.handlers(self.router, wiring)
        add_mod_command(self.router, wiring.mod_commands, wiring.mod_usage)
        self.mod_commands = wiring.mod_commands  # `declared` offers only these
        self._declared: dict[str, Declarations] = {}  # by platform, until a reload
        self._suggesters: dict[str, Suggester] = {
            name: suggester for f in features for name, suggester in f.suggests.items()
        }
        self.listeners: dict[type, list[Subscriber]] = {}
        for feature in features:
            for kind, listener in feature.listens.items():
                self.listeners.setdefault(kind, []).append(listener)
        self.outbox = OutboxDeliverer(
            db, vault, self.adapters, self.metrics, config=config, clock=clock
        )
        self.relays = RelayJob(
            db,
            vault,
            config,
            resolvers={kind: r for f in features for kind, r in f.relays.items()},
        )
        services = self._services = Services(db, config, vault, self.metrics)
        jobs = [job for feature in features for job in feature.jobs(services)]
        housekeeping = Housekeeping(db, config, clock.now())
        forecast = MorningForecast(db, config, clock.now())  # waves the rate cannot carry
        # Everything that reads the config outside an event: `reload` swaps it in each.
        self._config_readers = (*jobs, self.relays, housekeeping, forecast, self.outbox)
        self.scheduler = Scheduler(clock, [*jobs, self.relays, self.outbox, housekeeping, forecast])

    # --- inbound ------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        """Handle one platform event; never raises for a member's mistake."""
        adapter = self.adapters[event.member.platform]
        kind = type(event).__name__
        self.metrics.event_handled(kind)
        config = self.config  # a reload meanwhile applies from the next event on
        exposed: list[Event] = []  # a private command typed where others see it
        try:
            request = await self._apply(event, config, exposed)
        except Refusal as refusal:
            await self._withdraw(adapter, exposed)
            self.metrics.error("refusal")
            for message in (Message(refusal.message), *refusal.also):
                await adapter.reply(event, message)
            return
        except Exception:
            self.metrics.error("failure")
            log.exception("%s %s failed", kind, event.event_id)
            await adapter.reply(event, Message(SORRY))
            return
        await self._withdraw(adapter, exposed)
        if request is None:
            return
        log.debug("%s %s handled", kind, event.event_id)
        if request.erased:
            await self.db.compact()
        several = len(config.communities_on(event.member.platform)) > 1
        for message in request.replies:
            if isinstance(message, DirectReply):
                await self._reply_by_dm(adapter, event, message)
                continue
            await adapter.reply(event, self._scoped(message, request, several))
        for make_reply in request.deferred:
            try:
                message = await make_reply()
            except Exception:
                log.exception("%s %s: a reply could not be prepared", kind, event.event_id)
                continue
            await adapter.reply(event, self._scoped(message, request, several))
        self.scheduler.wake()

    @staticmethod
    async def _reply_by_dm(adapter: Adapter, event: Event, message: DirectReply) -> None:
        """In a DM, an ordinary reply; asked elsewhere, sent to the member's DM, and
        where they asked only a word that it is there (or that it could not go)."""
        if event.place.is_dm:
            await adapter.reply(event, message.plain())
            return
        try:
            await adapter.send(Place.dm(event.member), message.plain())
        except DeliveryError as exc:
            log.info("%s: a reply by DM not delivered (%s)", event.event_id, type(exc).__name__)
            await adapter.reply(event, Message(message.undelivered))
            return
        await adapter.reply(event, Message(message.instead))

    @staticmethod
    async def _withdraw(adapter: Adapter, exposed: list[Event]) -> None:
        for event in exposed:
            try:
                await adapter.withdraw(event)
            except Exception:
                log.warning("%s: the member's words could not be taken down", event.event_id)

    @staticmethod
    def _scoped(message: Message, request: Request, several: bool) -> Message:
        """In a DM shared by several communities, a choice must say which one it is for."""
        return scope_choices(message, request.community.name) if several else message

    async def _apply(self, event: Event, config: Config, exposed: list[Event]) -> Request | None:
        """Run the event's handler in one transaction; None when there is nothing to do."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            command = await self._command_for(tx, event)
            if command is None:
                return None
            if not await self._claim(tx, event, now):
                log.info("%s %s seen before; ignored", type(event).__name__, event.event_id)
                return None
            try:
                handler, args, community_name, values = self._resolve(event, command, config)
                first_word = split_command(command_words(command))[0]
                community = self._community_for(event, community_name, config, first_word)
            except _Early as early:
                locale = await self._early_locale(tx, event, config)
                raise Refusal(text(early.message_id, locale, **early.values)) from None
            member = await members.get_or_create(tx, self.vault, event.member)
            member = await self._remember_app_locale(tx, event, member)
            adapter = self.adapters[event.member.platform]
            request = Request(
                event,
                member,
                community,
                tx,
                now,
                args,
                self.vault,
                config,
                attachments_shown=adapter.shows_attachments,
                private_commands=adapter.private_commands,
                prefix=adapter.command_prefix,
                values=values,
                fields=event.fields if isinstance(event, Invoked) else {},
                listeners=self.listeners,
                locale=members.locale_for(member, community.language),
                reading=self.db.reading,
                metrics=self.metrics,
            )
            await self._tell_if_unreachable(request)
            route = self.router.find(split_command(command_words(command))[0])
            if route and route.private and route.private(args) and not event.unseen:
                exposed.append(event)
            await handler(request)
            return request

    def _resolve(
        self, event: Event, command: str | Command, config: Config
    ) -> tuple[Handler, Args, str | None, dict[str, object]]:
        """What answers the event: its handler, the words it reads, the community
        named (`--community`, or picked on the platform) and typed values. Refusals
        here are in English: the member (and their language) is not known yet."""
        if isinstance(command, Command):
            assert isinstance(event, Invoked)
            values = invocations.checked_values(command, event.values)
            form = command.form_for(values)
            if event.fields and form is not None and form.name in self.router.forms:
                args = Args(invocations.words_for(command, values))
                return self.router.forms[form.name], args.shift(), event.community, values
            words = invocations.words_for(command, values)
            name, args = split_command(words)
            route = self.router.find(name)
            if route is None:
                raise _Early("core.unknown_command", command=name[:40])
            return route.handler, args, event.community, values
        name, args = split_command(command)
        route = self.router.find(name)
        if route is None:
            raise _Early("core.unknown_command", command=name[:40])
        community_name, args = take_community_option(args)
        return route.handler, args, community_name, {}

    async def _claim(self, tx: Transaction, event: Event, now: datetime) -> bool:
        """Claim the event's id (False: seen before), one member's events one at a
        time across processes (PostgreSQL): two `share` commands at once must not
        both pass a cooldown, nor two first commands both create the member. A
        transaction-scoped advisory lock on a number derived from the member's
        keyed lookup, released at commit, taken in the claim's own statement (one
        round trip). SQLite has one writer at a time already."""
        platform = event.member.platform
        # hashed: a platform's event id can be looked up on the platform, with its author
        values = [platform, self.vault.lookup("event", platform, event.event_id), day_floor(now)]
        source = "VALUES ($1, $2, $3)"
        if tx.dialect.member_lock_row is not None:
            lookup = self.vault.member_lookup(event.member)
            number = int.from_bytes(base64.urlsafe_b64decode(lookup + "==")[:8], "big", signed=True)
            source = f"SELECT $1, $2, $3 FROM {tx.dialect.member_lock_row}"
            values.append(number)
        claimed = await tx.execute(
            f"INSERT INTO processed_events (platform, event_key, seen_at) {source} "
            "ON CONFLICT (platform, event_key) DO NOTHING",
            *values,
        )
        return claimed == 1

    async def _command_for(self, tx: Transaction, event: Event) -> str | Command | None:
        """The command an event stands for, if any: words, or a declared command.
        Words no database keeps (`_UNSTORABLE`) are refused before anything reads them."""
        command = await self._find_command(tx, event)
        if command is not None and any(_UNSTORABLE.search(words) for words in _typed(event)):
            raise Refusal(text("core.unstorable_character"))
        return command

    async def _find_command(self, tx: Transaction, event: Event) -> str | Command | None:
        if isinstance(event, Invoked):
            platform = event.member.platform
            return invocations.find(self.declared(platform).commands, event)
        if isinstance(event, CommandGiven):
            return event.text
        if isinstance(event, ChoicePicked):
            return event.command
        if isinstance(event, ReactionAdded):
            sent = await find_sent(tx, self.vault, event.member.platform, event.message_id)
            choice = (
                next((c for c in sent.choices if c.emoji == event.emoji), None) if sent else None
            )
            return choice.command if choice else None
        if isinstance(event, MessagePosted) and event.thread is not None:
            return await groupcheckin.answer_words(tx, self.vault, event)  # or another thread
        if isinstance(event, MessagePosted) and event.place.is_dm:
            text = event.text.strip()
            if text in {"1", "2", "3", "4", "5"}:
                return f"checkin {text}"  # a mood typed as the answer to a prompt
            asked = help.plain_help(text, self.router)  # `help` typed without a prefix
            if asked is not None:
                return asked
            return f"{safety.PLAIN_TEXT} {text}"  # words, not a command: listened to with care
        return None

    def _community_for(
        self, event: Event, name: str | None, config: Config, command: str = ""
    ) -> Community:
        mine = config.communities_on(event.member.platform)
        if name is not None:
            found = next((c for c in mine if c.name == name), None)
            if found is None:
                if not mine:
                    raise _Early("core.unknown_community_none", name=name[:40])
                names = ", ".join(c.name for c in mine)
                raise _Early("core.unknown_community", name=name[:40], communities=names)
            return found
        if event.space is not None:
            for community in mine:
                if community.guild_id == event.space:
                    return community
        if not event.place.is_dm:
            for community in mine:
                channels = community.channels
                if event.place.target in (
                    channels.shares,
                    channels.mod_queue,
                    channels.celebrations,
                ):
                    return community
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise _Early("core.no_community_here")
        if command in (MOD_GROUP.name, help.NAME):
            # A moderator of one of them means that one; `help` answers for any of them
            # (it lists `mod` wherever the member moderates, bot/features/help.py).
            moderated = [c for c in mine if is_moderator(event, c)]
            if len(moderated) == 1 or command == help.NAME:
                return (moderated or mine)[0]
        names = ", ".join(c.name for c in mine)
        raise _Early("core.which_community", communities=names)

    async def _early_locale(self, tx: Transaction, event: Event, config: Config) -> str:
        """The language of a refusal before the command's community is known: the
        member's own choice, else their app's, else what they were last read in,
        else their communities' language when they share one (English otherwise)."""
        member = await members.find(tx, self.vault, event.member)
        if member is not None and member.language_chosen and member.language:
            return member.language
        app = texts.shipped(event.locale) if event.locale else None
        if app or (member is not None and member.language):
            return app or member.language  # type: ignore[union-attr, return-value]
        spoken = {c.language for c in config.communities_on(event.member.platform)}
        return spoken.pop() if len(spoken) == 1 else texts.ENGLISH

    @staticmethod
    async def _remember_app_locale(
        tx: Transaction, event: Event, member: MemberRecord
    ) -> MemberRecord:
        """The language the member's app is set to (Discord's interaction locale), when
        Hearth speaks it: kept on the member, so what Hearth sends them later (a prompt,
        a relay) is in it too. A language the member chose (`language de`) wins: an
        app's locale never replaces it (bot/features/language.py)."""
        if event.locale is None or member.language_chosen:
            return member
        found = texts.shipped(event.locale)
        if found is None or found == member.language:
            return member
        await members.set_language(tx, member.id, found, chosen=False)
        return dataclasses.replace(member, language=found)

    async def _tell_if_unreachable(self, req: Request) -> None:
        member: MemberRecord = req.member
        if member.unreachable and not member.unreachable_told:
            await members.mark_told_unreachable(req.tx, member.id)
            req.say(req.t("core.unreachable_notice"))

    async def slow_down(self, platform: str, seconds: float) -> None:
        """The platform answered "too many requests" (the port's `Core.slow_down`):
        the outbox of every process on this database waits as long as it asks."""
        until = self.clock.now() + timedelta(seconds=max(seconds, 0.0))
        await self.outbox.pacing.hold(platform, until)

    # --- what adapters offer members -------------------------------------------

    def declared(self, platform: str) -> Declarations:
        """Every command the features declare and the router answers, in the
        features' order, with their groups (the port's `Core.declared`)."""
        found = self._declared.get(platform)
        if found is None:
            found = self._declared[platform] = self._declare(platform)
        return found

    def _declare(self, platform: str) -> Declarations:
        here = dataclasses.replace(self.config, communities=self.config.communities_on(platform))
        commands: list[Command] = []
        groups: dict[str, Group] = {MOD_GROUP.name: MOD_GROUP}
        for feature in self.features:
            groups.update((group.name, group) for group in feature.groups)
            commands += [c for c in feature.commands(here) if self._answered(c)]
        return Declarations(tuple(commands), groups)

    def _answered(self, command: Command) -> bool:
        """Declared commands the core does not answer (a feature left out) are not offered."""
        if self.router.find(command.root) is None:
            return False
        return command.root != MOD_GROUP.name or command.path[1] in self.mod_commands

    async def suggest(
        self,
        member: Member,
        source: str,
        typed: str,
        *,
        command: tuple[str, ...] = (),
        space: str | None = None,
        community: str | None = None,
    ) -> list[str]:
        """Autocomplete for `source` (the port's `Core.suggest`)."""
        mine = self.config.communities_on(member.platform)
        if source == SUGGEST_TIMEZONE:
            names: list[str] | tuple[str, ...] = invocations.zone_names()
        elif source == SUGGEST_COMMUNITY:
            names = [c.name for c in mine]
        elif source == SUGGEST_COMMAND:
            names = [route.name for route in self.router.listed]
        elif source in self._suggesters:
            # The community the command is for: the server's, else the one picked, else all.
            chosen = [c for c in mine if space is not None and c.guild_id == space]
            chosen = chosen or [c for c in mine if c.name == community] or list(mine)
            found = [c.name for c in chosen]
            names = await self._suggesters[source](self._services, member, found, command)
        else:
            names = []
        return invocations.best_matches(names, typed)

    # --- configuration ---------------------------------------------------------

    def plan_reload(self) -> ReloadPlan:
        """Read the config file again and say what would change; raises
        `ConfigError` for an invalid file, `ReloadUnavailable` without one."""
        if self.config_path is None:
            raise ReloadUnavailable("started without a config file")
        read_at_start = {
            platform: adapter.community_keys_read_at_start
            for platform, adapter in self.adapters.items()
        }
        return plan_reload(self.config, self.config_path, read_at_start=read_at_start)

    def reload(self, config: Config) -> None:
        """Run with `config` from now on. Events already in hand finish with the one
        they started with; the outbox, schedules and queues live in the database
        and are not touched."""
        self.config = config
        self._services = dataclasses.replace(self._services, config=config)
        self._declared.clear()  # mood labels may have changed
        for reader in self._config_readers:
            reader.config = config
        self.scheduler.wake()  # thresholds or times may have changed what is due

    # --- lifecycle ------------------------------------------------------------

    async def advance_to(self, when: datetime) -> None:
        """Move the virtual clock (the console playground, tests) and run what falls due."""
        await self.scheduler.advance_to(when)

    async def settle(self) -> None:
        """Run whatever is due now (prompts, outbox): used after each console line."""
        await self.scheduler.run_due()

    def start_background(self) -> None:
        self.scheduler.spawn("scheduler", self.scheduler.run_forever())

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.scheduler.run_due()  # flush what is due before closing


def _typed(event: Event) -> list[str]:
    """Everything a member typed into an event, for checks before it is read."""
    if isinstance(event, CommandGiven | MessagePosted):
        return [event.text]
    if isinstance(event, ChoicePicked):
        return [event.command]
    if isinstance(event, Invoked):
        typed = [str(value) for value in event.values.values() if isinstance(value, str)]
        return [*typed, *event.fields.values(), event.community or ""]
    return []


def command_words(command: str | Command) -> str:
    return command if isinstance(command, str) else command.command_words
