"""The Matrix adapter's small parts without a homeserver: the saved session, log
containment, who counts as a moderator or a DM partner, and sending through a
homeserver stand-in that rate-limits (the real nio client runs above it)."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest.importorskip("nio")

from aiohttp import web  # noqa: E402
from nio import AsyncClient, MatrixRoom  # noqa: E402
from nio.events.room_events import Event as NioEvent  # noqa: E402

from adapters.matrix.client import MatrixAdapter, transaction_id  # noqa: E402
from adapters.matrix.errors import MatrixLoginError  # noqa: E402
from adapters.matrix.logs import WITHHELD, contain_library_logs, release_library_logs  # noqa: E402
from adapters.matrix.rooms import Rooms  # noqa: E402
from adapters.matrix.session import SESSION_FILE, Session, SessionStore  # noqa: E402
from adapters.matrix.state import MatrixState  # noqa: E402
from adapters.matrix.translate import CREATOR_POWER  # noqa: E402
from bot.adapter_store import AdapterState  # noqa: E402
from bot.config import AdapterSettings, Channels, Community, Config, MatrixSettings  # noqa: E402
from bot.port import CommandGiven, DeliveryError, Member, Message, Place, Unreachable  # noqa: E402
from bot.vault import Vault  # noqa: E402

SECRET = bytes(range(32))
HEARTH, ANN, MOD, OWNER = "@hearth:h.test", "@ann:h.test", "@mod:h.test", "@owner:h.test"
SHARES, DM, GROUP = "!shares:h.test", "!dm:h.test", "!group:h.test"


@pytest.fixture(autouse=True)
def _nio_logs_released() -> Iterator[None]:
    """Each adapter contains nio's logs; afterwards they are released, so a later
    test's log capture (pytest hooks non-propagating loggers) sees what Hearth's
    handlers would, not nio's raw text."""
    yield
    release_library_logs()


# --- the session under store_path ------------------------------------------------------


def test_the_session_keeps_the_device_and_seals_the_token(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "store", Vault(SECRET))
    store.prepare()
    store.save(Session(HEARTH, "DEVICE1", "syt_secret_token"))
    saved = (tmp_path / "store" / SESSION_FILE).read_text()
    assert "syt_secret_token" not in saved and json.loads(saved)["device_id"] == "DEVICE1"
    assert store.load(HEARTH) == Session(HEARTH, "DEVICE1", "syt_secret_token")
    assert store.load("@someone-else:h.test") is None
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "store" / SESSION_FILE).stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "store").stat().st_mode) == 0o700

    other = SessionStore(tmp_path / "store", Vault(bytes(32)))
    assert other.load(HEARTH) == Session(HEARTH, "DEVICE1", "")  # same device, token unreadable


def test_the_store_pickle_key_comes_from_the_secret_not_from_nio() -> None:
    key = SessionStore("unused", Vault(SECRET)).pickle_key
    assert key != "DEFAULT_KEY" and len(key) == 44
    assert key != SessionStore("unused", Vault(bytes(32))).pickle_key
    assert key == SessionStore("unused", Vault(SECRET)).pickle_key


# --- logs ----------------------------------------------------------------------------------


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {self.format(record)}")


def test_nio_logs_never_carry_what_members_wrote() -> None:
    contain_library_logs()
    collect = Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)  # the most Hearth's config can ask for
    try:
        words = "I relapsed last night"
        logging.getLogger("nio.events.misc").warning(f"Error validating event: {words}")
        logging.getLogger("nio.client").warning("Got 429, sleeping for %dms (%s)", 500, words)
        logging.getLogger("nio.rooms").info(f"Room !x handling {words}")
        logging.getLogger("nio.responses").debug(f"event {words}")
        logging.getLogger("peewee").debug(("INSERT INTO accounts", [words]))
    finally:
        root.removeHandler(collect)
        root.setLevel(old_level)
    assert not any(words in line for line in collect.lines)
    assert collect.lines == [
        f"nio.events.misc a nio message at test_matrix_client.py:{_line('Error validating')} "
        f"({WITHHELD})",
        f"nio.client Got 429, sleeping for 500ms ({WITHHELD})",
    ]


def _line(text: str) -> int:
    source = Path(__file__).read_text().splitlines()
    return next(n for n, line in enumerate(source, 1) if text in line and "warning" in line)


# --- what is kept in Hearth's database (both engines) ------------------------------------


async def test_the_sync_position_and_dm_rooms_are_kept_in_the_database(harness) -> None:
    store = AdapterState(harness.db, harness.hearth.vault, harness.clock)  # the app's `store`
    tables = MatrixState(store, HEARTH)
    assert await tables.sync_token() is None
    await tables.save_sync_token("s1_first")
    await tables.save_sync_token("s2_second")
    assert await tables.sync_token() == "s2_second"
    assert await MatrixState(store, "@new:h.test").sync_token() is None

    await tables.remember_dm(ANN, "!old:h.test")
    await tables.remember_dm(ANN, "!new:h.test")
    assert await tables.dm_room(ANN) == "!new:h.test"
    # `mydata delete` removes the member row; their DM room goes with it.
    await harness.db.execute(
        "DELETE FROM members WHERE id = $1", await harness.member_id(ANN, "matrix")
    )
    assert await tables.dm_room(ANN) is None


# --- rooms: DMs, moderators -------------------------------------------------------------


def _room(room_id: str, members: dict[str, int], version: str = "12") -> MatrixRoom:
    room = MatrixRoom(room_id, HEARTH)
    room.room_version = version
    for user_id, level in members.items():
        room.add_member(user_id, None, None)
        room.power_levels.users[user_id] = level
    return room


@pytest.fixture
def rooms() -> Rooms:
    client = AsyncClient("http://127.0.0.1:9", HEARTH)
    client.user_id = HEARTH
    client.rooms = {
        SHARES: _room(SHARES, {HEARTH: 50, ANN: 0, MOD: 50, OWNER: 0}),
        DM: _room(DM, {HEARTH: 100, ANN: 0}),
        GROUP: _room(GROUP, {HEARTH: 0, ANN: 0, MOD: 0}),
    }
    circle = Community("circle", "matrix", channels=Channels(shares=SHARES))
    found = Rooms(client, [circle])
    create = {"type": "m.room.create", "sender": OWNER, "state_key": "", "content": {}}
    create |= {"event_id": "$create", "origin_server_ts": 1}
    found.note_state(SHARES, [NioEvent.parse_event({**create, "content": {"room_version": "12"}})])
    return found


def test_a_dm_is_a_room_shared_with_exactly_one_member(rooms: Rooms) -> None:
    assert rooms.dm_partner(DM) == ANN
    assert rooms.dm_partner(GROUP) is None  # a third person would see what is typed
    assert rooms.dm_partner(SHARES) is None  # a community room never is, however small
    assert rooms.shares_community(ANN) and not rooms.shares_community("@eve:h.test")


def test_a_members_display_name_is_theirs_or_none_never_their_id(rooms: Rooms) -> None:
    assert rooms.display_name(DM, ANN) is None  # none set: not "@ann:h.test"
    rooms.client.rooms[DM].users[ANN].display_name = "Ann"
    assert rooms.display_name(DM, ANN) == "Ann"
    assert rooms.display_name(DM, "@eve:h.test") is None
    assert rooms.display_name("!unknown:h.test", ANN) is None


def test_a_moderator_is_judged_by_power_in_the_community_rooms(rooms: Rooms) -> None:
    assert rooms.level_in(SHARES, MOD) == 50
    assert rooms.level_in(SHARES, OWNER) == CREATOR_POWER  # room version 12 creator
    # By DM or in a room: their power in each community's rooms, for the core to pick
    # the community the command is for; none for a community they are not in.
    assert rooms.levels_of(MOD) == {"circle": 50}
    assert rooms.levels_of(MOD).get("elsewhere") is None
    assert rooms.levels_of(ANN) == {"circle": 0}
    assert rooms.levels_of("@eve:h.test") == {}
    assert rooms.can_redact(SHARES)


def test_power_is_the_highest_in_the_community_and_never_borrowed(rooms: Rooms) -> None:
    queue, other = "!queue:h.test", "!other:h.test"
    rooms.client.rooms[queue] = _room(queue, {HEARTH: 50, ANN: 20})
    rooms.client.rooms[other] = _room(other, {HEARTH: 50, ANN: 100})
    rooms.community_rooms[queue] = rooms.community_rooms[SHARES]
    rooms.community_rooms[other] = Community("elsewhere", "matrix", channels=Channels(other))
    assert rooms.levels_of(ANN) == {"circle": 20, "elsewhere": 100}
    rooms.client.rooms[other].users[ANN].invited = True  # invited is not in it
    assert rooms.levels_of(ANN) == {"circle": 20}


# --- sending through a homeserver that says "slow down" --------------------------------------


@pytest.fixture
async def homeserver() -> AsyncIterator[tuple[str, list[str]]]:
    """Answers M_LIMIT_EXCEEDED to every first try of a transaction, then accepts it."""
    seen: list[str] = []

    async def send(request: web.Request) -> web.Response:
        seen.append(request.path)
        room = request.match_info["room"]
        if room == "!closed:h.test":
            return web.json_response({"errcode": "M_FORBIDDEN", "error": "no"}, status=403)
        if room == "!decided:h.test" and request.match_info["kind"] == "m.reaction":
            body = {"errcode": "M_DUPLICATE_ANNOTATION", "error": "Can't send same reaction twice"}
            return web.json_response(body, status=400)
        if seen.count(request.path) == 1:
            body = {"errcode": "M_LIMIT_EXCEEDED", "error": "slow", "retry_after_ms": 20}
            return web.json_response(body, status=429)
        return web.json_response({"event_id": f"$event{len(set(seen))}"})

    async def whoami(request: web.Request) -> web.Response:
        return web.json_response({"user_id": HEARTH, "device_id": "HEARTHDEVICE"})

    async def redact(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"event_id": "$redaction"})

    app = web.Application()
    app.router.add_put("/_matrix/client/v3/rooms/{room}/send/{kind}/{txn}", send)
    app.router.add_get("/_matrix/client/v3/account/whoami", whoami)
    app.router.add_put("/_matrix/client/v3/rooms/{room}/redact/{event}/{txn}", redact)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


def adapter_for(url: str, store: Path, secret: bytes = SECRET, **login: str) -> MatrixAdapter:
    settings = MatrixSettings(
        enabled=True, homeserver=url, user_id=HEARTH, store_path=str(store), **login
    )
    return MatrixAdapter(Config(adapters=AdapterSettings(matrix=settings)), Vault(secret))


async def test_a_rate_limited_send_waits_and_posts_once(
    homeserver: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, seen = homeserver
    adapter = adapter_for(url, tmp_path, password="x")
    adapter.client.access_token, adapter.client.user_id = "token", HEARTH
    try:
        shares = Place.channel("matrix", SHARES)
        message = Message("📝 Anonymous share #1", idempotency_key="share:circle:1")
        first = await adapter.send(shares, message)
        again = await adapter.send(shares, message)  # a retry after a lost answer
        with pytest.raises(DeliveryError) as refused:
            await adapter.send(Place.channel("matrix", "!closed:h.test"), Message("hi"))
        assert not isinstance(refused.value, Unreachable)  # a room, not a member's DM
    finally:
        await adapter.client.close()
    txn_key = Vault(SECRET).derive_key("matrix transaction ids")
    txn = transaction_id(txn_key, "share:circle:1", "message")
    assert first == again == "$event1"
    assert seen[:3] == [seen[0]] * 3 and seen[0].endswith(f"/m.room.message/{txn}")
    assert txn != transaction_id(bytes(32), "share:circle:1", "message")  # keyed: unguessable


async def test_a_private_command_typed_in_a_room_is_redacted_when_hearth_may(
    homeserver: tuple[str, list[str]], tmp_path: Path
) -> None:
    """The core says which commands are private and asks (`withdraw`); the adapter
    redacts where its power level allows, and never touches a DM."""
    url, seen = homeserver
    adapter = adapter_for(url, tmp_path, password="x")
    adapter.client.access_token, adapter.client.user_id = "token", HEARTH
    adapter.client.rooms = {
        SHARES: _room(SHARES, {HEARTH: 50, ANN: 0}),  # redacting needs 50
        GROUP: _room(GROUP, {HEARTH: 0, ANN: 0}),
    }
    ann = Member("matrix", ANN)

    def typed(place: Place) -> CommandGiven:
        return CommandGiven("$typed", ann, place, "share nobody should read this here")

    try:
        await adapter.withdraw(typed(Place.channel("matrix", GROUP)))  # no power: left as is
        await adapter.withdraw(typed(Place.dm(ann)))  # only Ann saw it
        assert seen == []
        await adapter.withdraw(typed(Place.channel("matrix", SHARES)))
    finally:
        await adapter.client.close()
    (redaction,) = seen
    assert redaction.startswith(f"/_matrix/client/v3/rooms/{SHARES}/redact/$typed/")


async def test_the_crypto_store_opens_only_with_the_deployments_secret(
    homeserver: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, _ = homeserver
    identity = []
    for secret in (SECRET, SECRET):  # a restart: the same device and the same keys
        adapter = adapter_for(url, tmp_path, secret, access_token="syt_token")
        await adapter._log_in()
        identity.append((adapter.client.device_id, adapter.client.olm.account.identity_keys))
        await adapter.client.close()
    assert identity[0] == identity[1] and identity[0][0] == "HEARTHDEVICE"
    assert list(tmp_path.glob("*HEARTHDEVICE*.db"))  # nio's store, beside the session

    stranger = adapter_for(url, tmp_path, bytes(32), access_token="syt_token")
    with pytest.raises(MatrixLoginError, match="secret key was rotated"):
        await stranger._log_in()
    await stranger.client.close()


async def test_a_reaction_already_there_is_a_reaction_done(
    homeserver: tuple[str, list[str]], tmp_path: Path
) -> None:
    """A queue post marked as handled once more (a retry after the homeserver forgot
    the transaction): Synapse refuses a second identical annotation, which is what
    the core asked for, so the outbox is not sent back to retry it forever."""
    url, seen = homeserver
    adapter = adapter_for(url, tmp_path, password="x")
    adapter.client.access_token, adapter.client.user_id = "token", HEARTH
    try:
        await adapter.react(Place.channel("matrix", "!decided:h.test"), "$queued", "✅")
        with pytest.raises(DeliveryError):  # any other refusal still is one
            await adapter.react(Place.channel("matrix", "!closed:h.test"), "$queued", "✅")
    finally:
        await adapter.client.close()
    assert seen[0].startswith("/_matrix/client/v3/rooms/!decided:h.test/send/m.reaction/")
