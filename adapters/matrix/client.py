"""The Matrix adapter: logging in as the same device every time, and carrying
the core's actions out (send, reply by DM, react, redact, upload).

Inbound events come from `adapters.matrix.sync`. Encryption: every device of
the rooms' members receives the room keys without being marked verified
(nio's `ignore_unverified_devices`), the trust-on-first-use a bot that cannot
compare emoji can offer; see the README's Matrix section.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
import uuid
from collections import OrderedDict
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    LocalProtocolError,
    LoginError,
    MatrixRoom,
    RoomCreateError,
    RoomPreset,
    SendRetryError,
    UploadError,
    WhoamiError,
)
from nio.exceptions import EncryptionError, OlmUnverifiedDeviceError

from adapters.matrix import translate
from adapters.matrix.errors import NETWORK_ERRORS, MatrixLoginError
from adapters.matrix.logs import contain_library_logs
from adapters.matrix.rooms import Rooms
from adapters.matrix.session import Session, SessionStore
from adapters.matrix.state import MatrixState
from adapters.matrix.sync import SyncLoop
from bot.config import Config
from bot.port import (
    Adapter,
    Attachment,
    Choice,
    Core,
    DeliveryError,
    Event,
    Message,
    Place,
    Secrets,
    Unreachable,
)

log = logging.getLogger(__name__)

DEVICE_NAME = "Hearth"
ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
#: a DM is the member's and the bot's alone: no guest may join it
NO_GUESTS = {
    "type": "m.room.guest_access",
    "state_key": "",
    "content": {"guest_access": "forbidden"},
}
#: the homeserver's answer to a reaction the bot already added (after its
#: transaction ids expired): the reaction is there, which is what was asked
_ALREADY_REACTED = "M_DUPLICATE_ANNOTATION"
#: the words a member may type after the prefix besides the declared commands
_ALWAYS_COMMANDS = frozenset({"help"})
_LOCAL = (LocalProtocolError, SendRetryError, OlmUnverifiedDeviceError, EncryptionError)
_REMEMBERED_CHOICES = 1000


def transaction_id(secret: bytes, key: str | None, part: str) -> str:
    """A stable transaction id for an outbox key, so a retried send posts once.

    Keyed, because keys are guessable ("decision:5:published" names share 5): a
    plain hash seen by the homeserver on a DM would tell it who wrote share 5."""
    if key is None:
        return uuid.uuid4().hex
    digest = hmac.new(secret, f"{key}\x00{part}".encode(), hashlib.sha256).hexdigest()
    return "hearth-" + digest[:40]


class MatrixAdapter(Adapter):
    platform = translate.PLATFORM
    command_prefix = "!"
    shows_attachments = True
    # Its rooms are joined and mapped to communities once, at start (the weekly group
    # check-in's room among them, under `peers`).
    community_keys_read_at_start = ("channels", "peers")

    def __init__(self, config: Config, secrets: Secrets, *, timeline_limit: int = 100) -> None:
        contain_library_logs()
        self.settings = config.adapters.matrix
        self.sessions = SessionStore(self.settings.store_path, secrets)
        self._txn_secret = secrets.derive_key("matrix transaction ids")
        self.client = AsyncClient(
            self.settings.homeserver.rstrip("/"),
            self.settings.user_id,
            store_path=str(self.sessions.folder),
            config=AsyncClientConfig(
                encryption_enabled=True,
                pickle_key=self.sessions.pickle_key,
                store_sync_tokens=False,  # Hearth saves it, and only after handling a batch
                request_timeout=30,
                max_timeouts=2,  # then the outbox backs off, instead of a send hanging
                max_limit_exceeded=None,  # M_LIMIT_EXCEEDED: wait as long as the server says
            ),
        )
        self.rooms = Rooms(self.client, config.communities_on(self.platform))
        self.timeline_limit = timeline_limit
        self.connected = False
        self.state: MatrixState | None = None
        self.sync: SyncLoop | None = None
        self._dm_rooms: dict[str, str] = {}
        self.hints = translate.Hints(_ALWAYS_COMMANDS, self.command_prefix)
        self._opening_dm = asyncio.Lock()  # the outbox and a reply must not open two
        # The choices offered on recent messages. Replies are not in the outbox at
        # all, and an outbox message's id is recorded only after its reactions are
        # added, so a quick tap could otherwise miss it.
        self.offered: OrderedDict[str, tuple[Choice, ...]] = OrderedDict()

    # --- lifecycle ----------------------------------------------------------------

    async def start(self, core: Core) -> None:
        """Log in, catch up once, then keep syncing in the background."""
        await self._log_in()
        roots = {command.root for command in core.declared(self.platform).commands}
        self.hints = translate.Hints(_ALWAYS_COMMANDS | roots, self.command_prefix)
        self.state = MatrixState(core.store, self.client.user_id)
        self.sync = SyncLoop(self, core.handle, self.state, self.timeline_limit)
        await self.sync.start()

    async def _log_in(self) -> None:
        settings, client = self.settings, self.client
        self.sessions.prepare()
        saved = self.sessions.load(settings.user_id)
        device_id = settings.device_id or (saved.device_id if saved else "")
        token = settings.access_token or (saved.access_token if saved else "")
        try:
            if token and await self._restore(device_id, token):
                return
            if not settings.password:
                raise MatrixLoginError(
                    f"The homeserver refused the access token for {settings.user_id}."
                )
            client.device_id = device_id or None  # the same device again when we know it
            answer = await client.login(settings.password, device_name=DEVICE_NAME)
        except NETWORK_ERRORS as exc:
            raise MatrixLoginError(f"Cannot reach {settings.homeserver}: {exc}") from exc
        except ValueError as exc:  # vodozemac refuses a store pickled under another key
            raise MatrixLoginError(
                f"The Matrix crypto store in {self.sessions.folder} does not open "
                f"({type(exc).__name__}). If the secret key was rotated, move that folder "
                "aside: Hearth then starts as a new device."
            ) from exc
        if isinstance(answer, LoginError):
            raise MatrixLoginError(f"Matrix login for {settings.user_id} failed: {answer.message}")
        self.sessions.save(Session(client.user_id, client.device_id, client.access_token))
        log.info("logged in to Matrix as device %s", client.device_id)

    async def _restore(self, device_id: str, token: str) -> bool:
        client = self.client
        client.access_token = token
        who = await client.whoami()
        if isinstance(who, WhoamiError):
            client.access_token = ""
            return False
        device_id = device_id or who.device_id or ""
        if not device_id:
            raise MatrixLoginError("Set adapters.matrix.device_id: the token names no device.")
        client.restore_login(who.user_id, device_id, token)  # opens the crypto store
        self.sessions.save(Session(who.user_id, device_id, token))
        log.info("resumed the Matrix session as device %s", device_id)
        return True

    async def close(self) -> None:
        if self.sync is not None:
            await self.sync.stop()
        await self.client.close()
        self.connected = False

    # --- the port's actions ---------------------------------------------------------

    async def send(self, place: Place, message: Message) -> str:
        room_id = await self._room_for(place)
        key = message.idempotency_key
        # What goes to a member's own DM should reach their phone; room posts stay quiet.
        content = translate.message_content(message, self.hints, notify=place.is_dm)
        event_id = await self._send_event(
            place, room_id, "m.room.message", content, self._txn(key, "message")
        )
        if message.attachment is not None:
            await self._send_attachment(place, room_id, message.attachment, key)
        await self._offer_choices(place, room_id, event_id, message)
        return event_id

    async def reply(self, event: Event, message: Message) -> None:
        # Rooms have no ephemeral messages: a private answer is a DM.
        await self.send(Place.dm(event.member), message)

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        room_id = await self._room_for(place)
        content = translate.reaction_content(message_id, emoji)
        txn = self._txn(message_id, f"react {emoji}")
        await self._send_event(place, room_id, "m.reaction", content, txn, done=_ALREADY_REACTED)

    async def delete(self, place: Place, message_id: str) -> None:
        await self.redact(await self._room_for(place), message_id)

    async def withdraw(self, event: Event) -> None:
        """A private command typed in a room: redacted, when Hearth has the power to.
        Best effort: the core answers by DM either way."""
        if event.place.is_dm:
            return
        room_id = event.place.target
        if not self.rooms.can_redact(room_id):
            log.info("room %s: no power to redact %s", room_id, event.event_id)
            return
        try:
            await self.redact(room_id, event.event_id)
        except DeliveryError as exc:
            log.warning("room %s: %s not redacted (%s)", room_id, event.event_id, exc)

    async def redact(self, room_id: str, event_id: str) -> None:
        try:
            answer = await self.client.room_redact(
                room_id, event_id, tx_id=self._txn(event_id, "redact")
            )
        except NETWORK_ERRORS + _LOCAL as exc:
            raise DeliveryError(f"redaction failed: {type(exc).__name__}") from exc
        if isinstance(answer, ErrorResponse):
            raise DeliveryError(f"redaction refused: {answer.status_code}")

    # --- sending ----------------------------------------------------------------------

    def _txn(self, key: str | None, part: str) -> str:
        return transaction_id(self._txn_secret, key, part)

    async def _send_event(
        self,
        place: Place,
        room_id: str,
        kind: str,
        content: dict[str, Any],
        txn: str,
        *,
        done: str | None = None,
    ) -> str:
        """The event's id; `done` names an error code that means it is there already."""
        try:
            answer = await self.client.room_send(
                room_id, kind, content, tx_id=txn, ignore_unverified_devices=True
            )
        except NETWORK_ERRORS + _LOCAL as exc:
            raise DeliveryError(f"send failed: {type(exc).__name__}") from exc
        if isinstance(answer, ErrorResponse):
            if done is not None and answer.status_code == done:
                return ""
            if place.is_dm and answer.status_code == "M_FORBIDDEN":
                raise Unreachable("the bot may no longer write in this DM")
            raise DeliveryError(f"send refused: {answer.status_code}")
        return answer.event_id

    async def _send_attachment(
        self, place: Place, room_id: str, attachment: Attachment, key: str | None
    ) -> None:
        room = self.client.rooms.get(room_id)
        encrypted = bool(room and room.encrypted)
        try:
            uploaded, keys = await self.client.upload(
                lambda *_: io.BytesIO(attachment.data),
                content_type=translate.mimetype_of(attachment),
                filename=attachment.filename,
                encrypt=encrypted,
                filesize=len(attachment.data),
            )
        except NETWORK_ERRORS as exc:
            raise DeliveryError(f"upload failed: {type(exc).__name__}") from exc
        if isinstance(uploaded, UploadError):
            raise DeliveryError(f"upload refused: {uploaded.status_code}")
        content = translate.attachment_content(attachment, uploaded.content_uri, keys)
        await self._send_event(
            place, room_id, "m.room.message", content, self._txn(key, "attachment")
        )

    async def _offer_choices(
        self, place: Place, room_id: str, event_id: str, message: Message
    ) -> None:
        """Each choice with an emoji becomes the bot's own reaction, one tap away."""
        if message.choices:
            self.offered[event_id] = message.choices
            while len(self.offered) > _REMEMBERED_CHOICES:
                self.offered.popitem(last=False)
        for choice in message.choices:
            if not choice.emoji:
                continue
            try:
                await self.react(place, event_id, choice.emoji)
            except DeliveryError as exc:  # the text already says what to type instead
                log.warning("reaction on %s not added: %s", event_id, exc)

    # --- rooms ------------------------------------------------------------------------

    async def _room_for(self, place: Place) -> str:
        return await self.dm_room(place.target) if place.is_dm else place.target

    def note_dm(self, user_id: str, room_id: str) -> bool:
        """Remember where a member talks to us; True if that is news."""
        known = self._dm_rooms.get(user_id) == room_id
        self._dm_rooms[user_id] = room_id
        return not known

    async def dm_room(self, user_id: str) -> str:
        """The member's DM room: the one they use, else a new one, else Unreachable."""
        assert self.state is not None, "start() first"
        room_id = self._dm_rooms.get(user_id) or await self.state.dm_room(user_id)
        if room_id and self.rooms.dm_partner(room_id) == user_id:
            self._dm_rooms[user_id] = room_id
            return room_id
        room = self.rooms.room(room_id) if room_id else None
        if room is not None and user_id not in room.users:
            # They left it (or declined it): that is closing their DMs, not a reason to re-invite.
            raise Unreachable("the member left their DM with the bot")
        if not self.rooms.shares_community(user_id):
            raise Unreachable("the member shares no community room with the bot")
        async with self._opening_dm:
            room_id = self._dm_rooms.get(user_id)
            if room_id and self.rooms.dm_partner(room_id) == user_id:
                return room_id  # opened while we waited
            room_id = await self._create_dm(user_id)
            await self.state.remember_dm(user_id, room_id)
            self._dm_rooms[user_id] = room_id
        return room_id

    async def _create_dm(self, user_id: str) -> str:
        """A DM as Element opens one: the member holds the same power as the bot
        (`trusted_private_chat`: in room version 12 they are a creator too), and
        no guest access."""
        try:
            answer = await self.client.room_create(
                is_direct=True,
                preset=RoomPreset.trusted_private_chat,
                invite=[user_id],
                initial_state=[ENCRYPTION, NO_GUESTS],
            )
        except NETWORK_ERRORS as exc:
            raise DeliveryError(f"DM not created: {type(exc).__name__}") from exc
        if isinstance(answer, RoomCreateError):
            if answer.status_code in ("M_FORBIDDEN", "M_NOT_FOUND", "M_INVALID_PARAM", "M_UNKNOWN"):
                raise Unreachable(f"the member cannot be invited: {answer.status_code}")
            raise DeliveryError(f"DM not created: {answer.status_code}")
        # Sending may come before the next sync shows the room: seed what nio needs
        # to encrypt for the invited member's devices.
        room = MatrixRoom(answer.room_id, self.client.user_id, encrypted=True)
        room.add_member(self.client.user_id, None, None)
        room.add_member(user_id, None, None, invited=True)
        self.client.rooms.setdefault(answer.room_id, room)
        self.client.encrypted_rooms.add(answer.room_id)
        log.info("created DM room %s", answer.room_id)
        return answer.room_id
