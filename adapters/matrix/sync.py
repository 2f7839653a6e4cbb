"""The inbound half: sync, decrypt, translate, hand each event to the core, and
only then save the sync token. A crash replays a batch (the core ignores event
ids it has seen) and never drops one; a gap the server left out of a limited
timeline is fetched back; an event whose room key has not arrived yet waits,
holding the saved token back, until it can be read or PENDING_FOR has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nio import (
    InviteMemberEvent,
    JoinError,
    MegolmEvent,
    MessageDirection,
    RoomMessagesError,
    SyncError,
    SyncResponse,
)
from nio.events.misc import BadEvent, UnknownBadEvent
from nio.exceptions import EncryptionError

from adapters.matrix import translate
from adapters.matrix.errors import NETWORK_ERRORS, SyncFailed
from adapters.matrix.state import MatrixState
from bot.port import ChoicePicked, DeliveryError, Event, ReactionAdded

if TYPE_CHECKING:
    from nio import AsyncClient
    from nio import Event as NioEvent
    from nio.responses import InviteInfo

    from adapters.matrix.client import MatrixAdapter

log = logging.getLogger(__name__)

LONG_POLL_MS = 30_000
RETRY_AFTER = (1, 2, 5, 10, 30, 60)  # seconds between failed syncs, growing
PENDING_FOR = 600.0  # seconds an undecryptable event waits for its room key
GAP_LIMIT = 2000  # events fetched back per room after a long absence
UNDECIDED_FOR = 5  # batches a DM invite may wait for the community rooms' member lists
STOP_WITHIN = 5.0  # seconds the event in hand may take when stopping


class _Stopped(Exception):
    """Stopping between two events of a batch: its token is not saved, so it replays."""


@dataclass
class _Pending:
    room_id: str
    event: MegolmEvent
    since: str | None  # the token its batch was fetched with: replay from here
    seen_at: float


class SyncLoop:
    def __init__(
        self,
        adapter: MatrixAdapter,
        handle: Callable[[Event], Awaitable[None]],
        state: MatrixState,
        timeline_limit: int,
    ) -> None:
        self.adapter = adapter
        self.client = adapter.client
        self.rooms = adapter.rooms
        self.handle = handle
        self.state = state
        self.filter = {"room": {"timeline": {"limit": timeline_limit}}}
        self.since: str | None = None
        self._saved: str | None = None
        self.batches = 0  # handled so far (tests wait on it)
        self._pending: dict[str, _Pending] = {}
        # DM invites that came before the community rooms' members were known
        self._undecided: dict[str, tuple[InviteInfo, int]] = {}
        self._batch = asyncio.Lock()
        self._stopping = False
        self._caught_up = False  # the first sync (with full state) has been handled
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Catch up once (full state, so room members and power levels are known),
        then keep syncing in the background; a homeserver that is down is retried."""
        self.since = self._saved = await self.state.sync_token()
        try:
            await self._catch_up()
        except SyncFailed as exc:
            log.warning("Matrix is not answering (%s); trying again in the background", exc)
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def _catch_up(self) -> None:
        await self._sync_once(first=True)
        self._caught_up = True
        await self._join_community_rooms()

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        if not self._batch.locked():
            task.cancel()  # only a long poll was in flight
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, STOP_WITHIN)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                if self._caught_up:
                    await self._sync_once(first=False)
                else:
                    await self._catch_up()
                failures = 0
            except _Stopped:
                return
            except Exception as exc:
                self.adapter.connected = False
                delay = RETRY_AFTER[min(failures, len(RETRY_AFTER) - 1)]
                failures += 1
                if isinstance(exc, SyncFailed):
                    log.warning("Matrix sync failed (%s); trying again in %d s", exc, delay)
                else:  # a bug: the batch was not saved, so it replays after the pause
                    log.exception("Matrix sync batch failed; trying again in %d s", delay)
                await asyncio.sleep(delay)

    async def _sync_once(self, *, first: bool) -> None:
        try:
            response = await self.client.sync(
                timeout=0 if first else LONG_POLL_MS,
                sync_filter=self.filter,
                since=self.since,
                full_state=True if first else None,
            )
        except NETWORK_ERRORS as exc:
            raise SyncFailed(type(exc).__name__) from exc
        if isinstance(response, SyncError):
            raise SyncFailed(f"{response.status_code}: {response.message}")
        self.adapter.connected = True
        await exchange_keys(self.client)
        async with self._batch:
            batch_since = self.since
            await self._take(response, batch_since)
            self.since = response.next_batch
            await self._retry_pending()
            checkpoint = self._checkpoint()
            if checkpoint != self._saved:  # an idle long poll changes nothing
                await self.state.save_sync_token(checkpoint)
                self._saved = checkpoint
        self.batches += 1

    def _checkpoint(self) -> str:
        """Where a restart should resume: before the oldest event still unread."""
        for pending in self._pending.values():
            if pending.since is not None:
                return pending.since
        assert self.since is not None
        return self.since

    # --- one batch ------------------------------------------------------------------

    async def _take(self, response: SyncResponse, since: str | None) -> None:
        rooms = response.rooms
        await self._reconsider_invites()
        for room_id, invited in rooms.invite.items():
            await self._consider_invite(room_id, invited)
        for room_id, joined in rooms.join.items():
            self.rooms.note_state(room_id, [*joined.state, *joined.timeline.events])
            if since is None:
                continue  # a first start: what was said before Hearth came is not for it
            events = list(joined.timeline.events)
            if joined.timeline.limited and joined.timeline.prev_batch:
                events = await self._missed(room_id, joined.timeline.prev_batch, since) + events
            for event in events:
                if self._stopping:
                    raise _Stopped
                await self._dispatch(room_id, event, since)

    async def _missed(self, room_id: str, prev_batch: str, since: str) -> list[NioEvent]:
        """Events between our last token and the start of a limited timeline."""
        found: list[NioEvent] = []
        start = prev_batch
        while len(found) < GAP_LIMIT:
            answer = await self.client.room_messages(
                room_id, start=start, end=since, direction=MessageDirection.back, limit=100
            )
            if isinstance(answer, RoomMessagesError):
                log.warning("room %s: missed events not fetched (%s)", room_id, answer.status_code)
                break
            found.extend(answer.chunk)
            if not answer.chunk or not answer.end or answer.end == start:
                break
            start = answer.end
        else:
            log.warning("room %s: over %d missed events; the oldest skipped", room_id, GAP_LIMIT)
        found.reverse()
        if found:
            log.info("room %s: %d missed events fetched back", room_id, len(found))
        return found

    async def _dispatch(self, room_id: str, event: NioEvent, since: str | None) -> None:
        if isinstance(event, BadEvent | UnknownBadEvent):
            # Fails the spec's schema (a field missing or of the wrong type): dropped,
            # so the batch goes on and the sync position moves past it.
            log.info(
                "event %s in %s is malformed; dropped", getattr(event, "event_id", "?"), room_id
            )
            return
        sender = getattr(event, "sender", None)
        if not isinstance(sender, str) or sender == self.client.user_id:
            return  # none or malformed (translate would drop it too), or our own
        if isinstance(event, MegolmEvent):
            if event.event_id not in self._pending:
                log.info("event %s in %s waits for its room key", event.event_id, room_id)
                self._pending[event.event_id] = _Pending(room_id, event, since, time.monotonic())
            return
        partner = self.rooms.dm_partner(room_id)
        if partner is None and room_id not in self.rooms.community_rooms:
            return  # a room Hearth has no business in
        if partner is not None and partner != sender:
            return
        # Every community's power, wherever it was typed: the core judges by the one it resolves.
        levels, name = self.rooms.levels_of(sender), self.rooms.display_name(room_id, sender)
        where = translate.Where(room_id, partner, levels, name)
        core = translate.inbound(event, where)
        if core is None:
            return
        if partner is not None and self.adapter.note_dm(partner, room_id):
            await self.state.remember_dm(partner, room_id)
        if isinstance(core, ReactionAdded) and core.message_id in self.adapter.offered:
            core = self._picked(core)
        if core is None:
            return
        try:
            await self.handle(core)
        except DeliveryError as exc:
            log.warning("event %s handled; its answer was not delivered (%s)", event.event_id, exc)
        except Exception:
            log.exception("event %s could not be handled", event.event_id)

    def _picked(self, reaction: ReactionAdded) -> ChoicePicked | None:
        """A tap on a choice the bot offered lately; older ones the core finds in its outbox."""
        choices = self.adapter.offered[reaction.message_id]
        choice = next((c for c in choices if c.emoji == reaction.emoji), None)
        if choice is None:
            return None
        return ChoicePicked(
            reaction.event_id,
            reaction.member,
            reaction.place,
            choice.command,
            power_levels=reaction.power_levels,
            display_name=reaction.display_name,
        )

    async def _retry_pending(self) -> None:
        for event_id, pending in list(self._pending.items()):
            try:
                event = self.client.decrypt_event(pending.event)
            except EncryptionError:
                if time.monotonic() - pending.seen_at > PENDING_FOR:
                    log.warning("event %s never became readable; skipped", event_id)
                    del self._pending[event_id]
                continue
            del self._pending[event_id]
            await self._dispatch(pending.room_id, event, pending.since)

    # --- rooms ----------------------------------------------------------------------

    async def _consider_invite(self, room_id: str, invited: InviteInfo) -> None:
        """Join community rooms, and DMs from someone who shares one; ignore the rest."""
        own = self.client.user_id
        invite = next(
            (
                e
                for e in invited.invite_state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == own
                and e.membership == "invite"
            ),
            None,
        )
        if invite is None:
            return
        if room_id not in self.rooms.community_rooms:
            if not invite.content.get("is_direct"):
                log.info("invite to %s ignored: not a direct chat", room_id)
                return
            if not self.rooms.shares_community(invite.sender):
                tries = self._undecided.pop(room_id, (invited, 0))[1] + 1
                if not self.rooms.all_joined() and tries < UNDECIDED_FOR:
                    self._undecided[room_id] = (invited, tries)  # ask again next batch
                    return
                log.info("invite to %s ignored: the inviter shares no community room", room_id)
                return
        self._undecided.pop(room_id, None)
        answer = await self.client.join(room_id)
        if isinstance(answer, JoinError):
            log.warning("could not join %s (%s)", room_id, answer.status_code)
            return
        if room_id not in self.rooms.community_rooms:
            self.adapter.note_dm(invite.sender, room_id)
            await self.state.remember_dm(invite.sender, room_id)
        log.info("joined %s", room_id)

    async def _reconsider_invites(self) -> None:
        """DM invites from before the community rooms were joined, judged again
        now that one more batch of their state is in."""
        for room_id, (invited, _) in list(self._undecided.items()):
            if room_id in self.client.invited_rooms:
                await self._consider_invite(room_id, invited)
            else:
                self._undecided.pop(room_id)  # withdrawn, or joined meanwhile

    async def _join_community_rooms(self) -> None:
        for room_id in self.rooms.community_rooms:
            if room_id in self.client.rooms:
                continue
            answer = await self.client.join(room_id)
            if isinstance(answer, JoinError):
                log.warning("community room %s not joined (%s)", room_id, answer.status_code)


async def exchange_keys(client: AsyncClient) -> None:
    """What nio's sync_forever does between syncs: our keys up, theirs down."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()
