"""The Matrix adapter against a real Synapse: members are matrix-nio clients with
encryption, Hearth is the real core on a fake clock (prompts and relay batches
move only when a test says so), and DMs are end-to-end encrypted."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import lookup

pytest.importorskip("nio")
pytest.importorskip("synapse")

from matrix_people import Person  # noqa: E402
from nio import RedactionEvent  # noqa: E402
from ops_support import HEARTH, Running  # noqa: E402
from synapse_support import Synapse  # noqa: E402

from adapters.matrix.client import MatrixAdapter  # noqa: E402
from adapters.matrix.logs import release_library_logs  # noqa: E402
from adapters.matrix.session import SESSION_FILE  # noqa: E402
from adapters.matrix.state import sync_token_key  # noqa: E402
from adapters.matrix.translate import CREATOR_POWER, creators_of, power_level  # noqa: E402
from bot.adapter_store import AdapterState  # noqa: E402
from bot.app import Hearth  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import (  # noqa: E402
    AdapterSettings,
    Channels,
    Community,
    Config,
    ConsoleSettings,
    MatrixSettings,
    Moderators,
    Sharing,
)
from bot.features.checkins.moods import mood_labels  # noqa: E402
from bot.port import Event, Place  # noqa: E402
from bot.storage import Database, open_database  # noqa: E402
from bot.texts import day_short, language_name, text  # noqa: E402
from bot.vault import Vault  # noqa: E402

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin
SECRET = bytes(range(32))


@pytest.fixture(autouse=True)
def _nio_logs_released() -> Iterator[None]:
    """Each adapter contains nio's logs; afterwards they are released, so a later
    test's log capture (pytest hooks non-propagating loggers) sees what Hearth's
    handlers would, not nio's raw text."""
    yield
    release_library_logs()


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    yield server
    server.stop()


async def until(found: Callable[[], object], within: float = 15.0) -> None:
    """Bounded polling of the bot's own state (it syncs in the background)."""
    deadline = time.monotonic() + within
    while not found():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {within:g} s")
        await asyncio.sleep(0.05)


@dataclass
class Bot:
    hearth: Hearth
    adapter: MatrixAdapter
    db: Database

    async def moods(self) -> list[int]:
        return [row[0] for row in await self.db.fetch("SELECT mood FROM checkins ORDER BY id")]


class World:
    """One community on the homeserver: an owner who created its rooms (a room
    version 12 creator), a moderator by power level, two members, and Hearth."""

    def __init__(self, server: Synapse, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.account = server.register()
        self.bot_id = self.account.user_id
        people = (Person(server, server.register()) for _ in "1234")
        self.owner, self.mod, self.ann, self.bob = people
        self.people = [self.owner, self.mod, self.ann, self.bob]
        self.clock = FakeClock(START)
        self.running: list[Bot] = []

    async def build(self, **rooms: bool) -> Bot:
        await self.prepare(**rooms)
        return await self.start()

    async def prepare(
        self, *, shares_encrypted: bool = False, queue: bool = False, celebrations: bool = False
    ) -> None:
        """The community's rooms (each costs the homeserver a moment, so only those
        a test needs), its people in them, and Hearth's config."""
        owner, bot, mod = self.owner, self.bot_id, self.mod.user_id
        powers = {bot: 50, mod: 50}  # Hearth may redact; mod moderates
        members = (bot, mod, self.ann.user_id, self.bob.user_id)
        self.shares = await owner.create_room(
            invite=members, encrypted=shares_encrypted, powers=powers
        )
        self.queue = await owner.create_room(invite=(bot, mod), powers=powers) if queue else None
        self.celebrations = None
        if celebrations:
            self.celebrations = await owner.create_room(invite=members, powers=powers)
        for person in (self.mod, self.ann, self.bob):
            await person.join(self.shares)
            if self.celebrations:
                await person.join(self.celebrations)
        if self.queue:
            await self.mod.join(self.queue)
        settings = MatrixSettings(
            enabled=True,
            homeserver=self.server.url,
            user_id=self.bot_id,
            password=self.account.password,
            store_path=str(self.folder / "matrix-store"),
            send_burst=100,  # the fake clock stands still between steps; pacing is tested apart
        )
        community = Community(
            name="circle",
            platform="matrix",
            channels=Channels(self.shares, self.queue, self.celebrations),
            moderators=Moderators(power_level=50),
            sharing=Sharing(vetting=True, cooldown_minutes=0),
        )
        self.config = Config(
            database=f"sqlite:///{self.folder}/hearth.db",
            adapters=AdapterSettings(console=ConsoleSettings(enabled=False), matrix=settings),
            communities=(community,),
        )

    async def start(self, **options: int) -> Bot:
        adapter = MatrixAdapter(self.config, Vault(SECRET), **options)
        db = await open_database(self.config.database)
        hearth = Hearth(self.config, db, self.clock, {"matrix": adapter}, Vault(SECRET))
        await adapter.start(hearth)
        hearth.start_background()
        bot = Bot(hearth, adapter, db)
        self.running.append(bot)
        return bot

    async def stop(self, bot: Bot) -> None:
        self.running.remove(bot)
        await bot.hearth.stop()
        await bot.adapter.close()
        await bot.db.close()

    async def close(self) -> None:
        for bot in list(self.running):
            await self.stop(bot)
        for person in self.people:
            await person.client.close()

    async def dm(self, person: Person) -> str:
        """The member opens an encrypted DM with Hearth, which joins it."""
        room_id = await person.create_room(invite=(self.bot_id,), encrypted=True, direct=True)

        def joined() -> bool:
            user = person.client.rooms[room_id].users.get(self.bot_id)
            return user is not None and not user.invited

        await person.wait_for(joined)
        return room_id

    def saved(self, person: Person, room_id: str) -> list[object]:
        return [e for e in person.notices(room_id, self.bot_id) if e.body.startswith("Saved")]


@pytest.fixture
async def world(synapse: Synapse, tmp_path: Path) -> AsyncIterator[World]:
    w = World(synapse, tmp_path)
    yield w
    await w.close()


async def test_a_dm_checkin_is_answered_in_the_encrypted_dm_with_a_chart(world: World) -> None:
    bot = await world.build()
    ann = world.ann
    dm = await world.dm(ann)
    await ann.say(dm, "!checkin 4 slept well")
    saved = await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, "Saved"))
    assert saved.decrypted  # Hearth answered inside the encryption
    content = saved.source["content"]
    # In the member's own DM a text, so it can reach their phone (was a notice).
    assert content["msgtype"] == "m.text" and content["m.mentions"] == {}
    assert await bot.moods() == [4]

    await ann.say(dm, "!checkin history")

    def chart() -> object:
        return next(
            (
                e
                for e in ann.from_user(dm, world.bot_id)
                if e.source["content"].get("msgtype") == "m.image"
            ),
            None,
        )

    image = (await ann.wait_for(chart)).source["content"]
    assert image["file"]["url"].startswith("mxc://")  # uploaded encrypted, key in the event
    assert image["info"]["mimetype"] == "image/png"
    # The chart's alt text, for whoever cannot see it; its file name apart.
    assert image["filename"] == "checkin-history.png"
    assert image["body"] and image["body"] != image["filename"]
    assert bot.adapter.connected


async def test_a_member_who_chose_spanish_is_answered_and_prompted_in_spanish(
    world: World,
) -> None:
    bot = await world.build()
    ann = world.ann
    dm = await world.dm(ann)
    await ann.say(dm, "!language es")
    chosen = text("language.set", "es", language=language_name("es"))
    assert chosen != text("language.set", "en", language=language_name("es"))
    await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, chosen))

    await ann.say(dm, "!checkin 4")
    label = mood_labels(world.config.communities[0], "es")[3]
    saved = text("checkins.saved", "es", mood=label, day=day_short(START.date(), "es"))
    await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, saved))
    assert await bot.moods() == [4]

    # What Hearth sends her later, unasked, is in her language too.
    await ann.say(dm, "!checkin schedule 09:00 daily Europe/Berlin")
    await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, "09:00"))
    await bot.hearth.scheduler.advance_to(START + timedelta(hours=1, minutes=1))  # 09:01 Berlin
    prompt = text("checkins.prompt", "es")
    assert prompt != text("checkins.prompt", "en")
    await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, prompt))


async def test_a_scheduled_prompt_is_answered_by_a_reaction_or_a_number(world: World) -> None:
    bot = await world.build()
    ann = world.ann
    dm = await world.dm(ann)
    await ann.say(dm, "!checkin schedule 09:00 daily Europe/Berlin")
    await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, "09:00"))

    await bot.hearth.scheduler.advance_to(START + timedelta(hours=1, minutes=1))  # 09:01 Berlin
    prompt = await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, "Time for your check-in"))
    keycaps = {"1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"}
    await ann.wait_for(lambda: keycaps <= ann.reactions_on(dm, prompt.event_id, world.bot_id))
    assert "!checkin 3" in prompt.body  # what to type, for clients without reactions
    # A prompt the member asked for rings their phone: their own push rules, as
    # the homeserver keeps them, say "notify" for it.
    assert prompt.source["content"]["msgtype"] == "m.text"
    assert await ann.notifies(dm, prompt)

    await ann.react(dm, prompt.event_id, "3️⃣")
    await ann.wait_for(lambda: len(world.saved(ann, dm)) == 1)
    await ann.say(dm, "5")
    await ann.wait_for(lambda: len(world.saved(ann, dm)) == 2)
    assert await bot.moods() == [3, 5]


@pytest.mark.parametrize("shares_encrypted", [False, True], ids=["plain-room", "encrypted-room"])
async def test_a_share_is_vetted_by_power_level_and_posted_without_a_trace(
    world: World, shares_encrypted: bool
) -> None:
    bot = await world.build(shares_encrypted=shares_encrypted, queue=True)
    ann, bob, mod, hearth_id = world.ann, world.bob, world.mod, world.bot_id
    ann_dm, bob_dm = await world.dm(ann), await world.dm(bob)
    await ann.say(ann_dm, "!share This week was heavy, but I made it through")
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "waiting for a moderator"))
    queued = await mod.wait_for(lambda: mod.notice_with(world.queue, hearth_id, "#1 is waiting"))
    assert ann.user_id not in json.dumps(queued.source)

    await bob.say(bob_dm, "!mod approve 1")  # a member: power level 0
    await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "Only moderators"))
    await mod.say(world.queue, "!mod approve 1")  # power level 50, not a creator

    share = await bob.wait_for(lambda: bob.notice_with(world.shares, hearth_id, "share #1"))
    assert share.decrypted is shares_encrypted
    assert "made it through" in share.body
    assert share.source["content"]["m.mentions"] == {}
    assert ann.user_id not in json.dumps(share.source)
    # A post in a room is a notice: nobody's phone rings for it.
    assert share.source["content"]["msgtype"] == "m.notice"
    assert not await bob.notifies(world.shares, share)
    # Each choice's emoji once, what to type as code, no markdown left in the HTML.
    assert "🤝 !support 1 — Support" in share.body.splitlines()
    rich = share.source["content"]["formatted_body"]
    assert "🤝 <code>!support 1</code> — Support" in rich and "`" not in rich
    # Support is a reaction; replying is typed (a public 💬 would show who means to reply).
    offered = {"🤝"}
    await bob.wait_for(lambda: offered == bob.reactions_on(world.shares, share.event_id, hearth_id))
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "now posted"))

    await bob.say(bob_dm, "!reply 1 You are not alone in this")
    reply = await bob.wait_for(lambda: bob.notice_with(world.shares, hearth_id, "not alone"))
    thread = reply.source["content"]["m.relates_to"]
    assert (thread["rel_type"], thread["event_id"]) == ("m.thread", share.event_id)
    assert bob.user_id not in json.dumps(reply.source)

    await bob.react(world.shares, share.event_id, "🤝")
    await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "Sent 🤝"))
    await bot.hearth.scheduler.advance_to(START + timedelta(minutes=16))  # the batch closes
    await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "sent support to your share #1"))
    relayed = await ann.wait_for(lambda: ann.notice_with(ann_dm, hearth_id, "not alone"))
    assert await ann.notifies(ann_dm, relayed)  # the reply she waited for rings
    # How to answer, as she types it on Matrix, drawn as code.
    assert "`!reply 1 " in relayed.body
    assert "<code>!reply 1 " in relayed.source["content"]["formatted_body"]

    # A content warning is a Matrix spoiler; the rooms' creator approves by reacting ✅.
    owner = world.owner
    assert bot.adapter.rooms.level_in(world.queue, owner.user_id) == CREATOR_POWER
    await ann.say(ann_dm, "!share cw grief | My old dog died on Sunday")
    second = await owner.wait_for(lambda: owner.notice_with(world.queue, hearth_id, "#2 is"))
    await owner.wait_for(lambda: owner.reactions_on(world.queue, second.event_id, hearth_id))
    await owner.react(world.queue, second.event_id, "✅")
    warned = await bob.wait_for(lambda: bob.notice_with(world.shares, hearth_id, "share #2"))
    rich = warned.source["content"]["formatted_body"]
    assert '<span data-mx-spoiler="grief">My old dog died on Sunday</span>' in rich


async def test_a_share_typed_in_a_room_is_redacted_and_answered_by_dm(world: World) -> None:
    bot = await world.build()
    bob = world.bob
    typed = await bob.say(world.shares, "!share nobody should read this here")

    def redacted() -> bool:
        return any(
            isinstance(e, RedactionEvent) and e.redacts == typed
            for e in bob.from_user(world.shares, world.bot_id)
        )

    await bob.wait_for(redacted)
    dm = await bob.wait_for(lambda: next(iter(bob.invites - set(bob.client.rooms)), None))
    await bob.join(dm)  # Hearth opened an encrypted DM to answer privately
    answer = await bob.wait_for(lambda: bob.notice_with(dm, world.bot_id, "direct message"))
    assert answer.decrypted
    assert "Discord" not in answer.body and "slash" not in answer.body  # not his platform
    # As Element opens a DM: Bob holds the same power as Hearth, and no guest may join.
    state = await bob.state(dm)
    assert state["m.room.guest_access"]["content"]["guest_access"] == "forbidden"
    create, levels = state["m.room.create"], state["m.room.power_levels"]["content"]
    version = create["content"].get("room_version", "1")

    def power(user_id: str) -> int:
        users, default = levels.get("users", {}), levels.get("users_default", 0)
        return power_level(user_id, users, default, version, creators_of(create))

    assert power(bob.user_id) == power(world.bot_id)
    assert await bot.db.fetchval("SELECT count(*) FROM shares") == 0


async def test_an_invite_from_someone_outside_the_community_is_ignored(world: World) -> None:
    bot = await world.build()
    stranger = Person(world.server, world.server.register())
    world.people.append(stranger)
    room_id = await stranger.create_room(invite=(world.bot_id,), encrypted=True, direct=True)
    await until(lambda: room_id in bot.adapter.client.invited_rooms)
    await world.dm(world.ann)  # a later invite from a member is joined meanwhile
    assert room_id not in bot.adapter.client.rooms
    await stranger.sync()
    assert stranger.client.rooms[room_id].users[world.bot_id].invited


async def test_a_member_who_left_their_dm_is_unreachable_and_not_invited_again(
    world: World,
) -> None:
    bot = await world.build()
    ann = world.ann
    dm = await world.dm(ann)
    await ann.say(dm, "!checkin schedule 09:00 daily Europe/Berlin")
    await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, "09:00"))
    await ann.client.room_leave(dm)
    await until(lambda: ann.user_id not in bot.adapter.client.rooms[dm].users)
    invited_before = set(ann.invites)

    await bot.hearth.scheduler.advance_to(START + timedelta(hours=1, minutes=1))  # prompt due
    unreachable = "SELECT unreachable_at FROM members WHERE lookup = $1"
    assert await bot.db.fetchval(unreachable, lookup(ann.user_id, "matrix")) is not None
    await ann.sync()
    assert ann.invites == invited_before  # closing the DM is respected: no new invite


async def test_an_anonymous_celebration_is_cheered_by_a_reaction(world: World) -> None:
    bot = await world.build(celebrations=True)
    ann, bob, hearth_id = world.ann, world.bob, world.bot_id
    dm = await world.dm(ann)
    await ann.say(dm, "!celebrate Thirty days without a drink anonymous")
    post = await bob.wait_for(lambda: bob.notice_with(world.celebrations, hearth_id, "Thirty"))
    assert ann.user_id not in json.dumps(post.source)
    await bob.wait_for(lambda: bob.reactions_on(world.celebrations, post.event_id, hearth_id))
    await bob.react(world.celebrations, post.event_id, "🎉")
    bob_dm = await bob.wait_for(lambda: next(iter(bob.invites - set(bob.client.rooms)), None))
    await bob.join(bob_dm)  # his "cheer sent" came by DM
    await bob.wait_for(lambda: bob.notice_with(bob_dm, hearth_id, "Cheer sent"))
    await bot.hearth.scheduler.advance_to(START + timedelta(minutes=16))
    await ann.wait_for(lambda: ann.notice_with(dm, hearth_id, "1 person cheered"))


async def test_a_restart_keeps_the_device_and_handles_each_event_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await world.build()
    ann = world.ann
    dm = await world.dm(ann)
    before = await bot.adapter.state.sync_token()
    device = bot.adapter.client.device_id
    await ann.say(dm, "!checkin 4 before the restart")
    await ann.wait_for(lambda: len(world.saved(ann, dm)) == 1)
    await world.stop(bot)
    assert not bot.adapter.connected

    caplog.set_level(logging.INFO)
    for mood in (3, 2, 5):  # written while Hearth is down
        await ann.say(dm, f"!checkin {mood} while it was away")
    # As if Hearth had died before saving its place: everything since `before` replays.
    db = await open_database(world.config.database)
    store = AdapterState(db, Vault(SECRET), world.clock)
    await store.save_state("matrix", sync_token_key(world.bot_id), before)
    await db.close()
    bot = await world.start(timeline_limit=2)  # a limited timeline: the gap is fetched back

    assert bot.adapter.client.device_id == device
    assert (Path(world.config.adapters.matrix.store_path) / SESSION_FILE).exists()
    await ann.wait_for(lambda: len(world.saved(ann, dm)) == 4)
    assert "missed events fetched back" in caplog.text  # the gap was fetched, not skipped
    assert "seen before; ignored" in caplog.text  # the replayed first message: no effect
    await ann.say(dm, "!checkin 3 and one more")
    await ann.wait_for(lambda: len(world.saved(ann, dm)) == 5)
    assert await bot.moods() == [4, 3, 2, 5, 3]
    assert len(world.saved(ann, dm)) == 5


async def test_hearth_run_joins_a_dm_opened_before_it_started_and_logs_no_words(
    world: World,
) -> None:
    await world.prepare()
    ann = world.ann
    dm = await ann.create_room(invite=(world.bot_id,), encrypted=True, direct=True)
    config = world.folder / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": world.config.database,
                "secret_key_file": str(world.folder / "hearth.key"),
                "adapters": {
                    "console": {"enabled": False},
                    "matrix": {
                        "enabled": True,
                        "homeserver": world.server.url,
                        "user_id": world.bot_id,
                        "password": "${MATRIX_PASSWORD}",
                        "store_path": str(world.folder / "matrix-store"),
                    },
                },
                "communities": [
                    {
                        "name": "circle",
                        "platform": "matrix",
                        "channels": {"shares": world.shares},
                    }
                ],
                "log": {"level": "DEBUG", "format": "text"},
            }
        )
    )
    env = {**os.environ, "MATRIX_PASSWORD": world.account.password}
    running = Running([*HEARTH, "run", "--config", str(config)], env=env)
    try:
        # Its first sync shows the invite before the community rooms' members:
        # the invite waits for them instead of being turned away.
        await ann.wait_for(lambda: not ann.client.rooms[dm].users[world.bot_id].invited, 30)
        await ann.say(dm, "!checkin 2 I relapsed yesterday")
        await ann.wait_for(lambda: ann.notice_with(dm, world.bot_id, "Saved"), 30)
        assert running.stop() < 10 and running.proc.returncode == 0
    finally:
        running.close()
    log = "\n".join(running.stderr)
    assert "Hearth stopped" in log
    for secret in ("relapsed", ann.user_id, world.account.password):
        assert secret not in log


async def test_a_held_celebration_is_approved_by_a_reaction_on_the_alert(world: World) -> None:
    await world.build(celebrations=True, queue=True)
    ann, mod, hearth_id = world.ann, world.mod, world.bot_id
    dm = await world.dm(ann)
    await ann.say(dm, "!celebrate Thirty days clean but I want to kill myself anonymous")
    await ann.wait_for(lambda: ann.notice_with(dm, hearth_id, "held it back"))
    alert = await mod.wait_for(lambda: mod.notice_with(world.queue, hearth_id, "celebration c1"))
    assert ann.user_id not in json.dumps(alert.source)
    await mod.wait_for(
        lambda: {"✅", "❌"} <= mod.reactions_on(world.queue, alert.event_id, hearth_id)
    )
    await mod.react(world.queue, alert.event_id, "✅")
    post = await ann.wait_for(lambda: ann.notice_with(world.celebrations, hearth_id, "Thirty"))
    assert "someone in our community" in post.body and ann.user_id not in json.dumps(post.source)
    await ann.wait_for(lambda: ann.notice_with(dm, hearth_id, "is posted now"))


async def test_hints_say_what_a_matrix_member_types_and_events_carry_their_name(
    world: World,
) -> None:
    bot = await world.build()
    ann, hearth_id = world.ann, world.bot_id
    await ann.client.set_displayname("Ann 🌱")
    seen: list[Event] = []
    handle = bot.adapter.sync.handle

    async def spy(event: Event) -> None:
        seen.append(event)
        await handle(event)

    bot.adapter.sync.handle = spy
    dm = await world.dm(ann)
    await ann.say(dm, "!frobnicate")
    answer = await ann.wait_for(lambda: ann.notice_with(dm, hearth_id, "`!help`"))
    assert "`frobnicate`" in answer.body  # not a command: left as she typed it
    rich = answer.source["content"]["formatted_body"]
    assert "<code>!help</code>" in rich and "<code>frobnicate</code>" in rich and "`" not in rich

    await ann.say(dm, "!help")
    listing = await ann.wait_for(lambda: ann.notice_with(dm, hearth_id, "`!checkin"))
    rich = listing.source["content"]["formatted_body"]
    assert "<code>!checkin" in rich and "`" not in rich
    assert "Discord" not in listing.body and "slash" not in listing.body

    assert [event.display_name for event in seen] == ["Ann 🌱", "Ann 🌱"]


async def test_a_decided_queue_post_is_marked_for_the_other_moderators(world: World) -> None:
    bot = await world.build(queue=True)
    ann, mod, hearth_id = world.ann, world.mod, world.bot_id
    dm = await world.dm(ann)
    await ann.say(dm, "!share Some days I just need to say it out loud")
    queued = await mod.wait_for(lambda: mod.notice_with(world.queue, hearth_id, "#1 is waiting"))
    await mod.wait_for(
        lambda: {"✅", "❌"} <= mod.reactions_on(world.queue, queued.event_id, hearth_id)
    )
    await mod.say(world.queue, "!mod reject 1 not for this room")
    # The core reacts through the outbox; on Matrix, an annotation on the bot's own post.
    await mod.wait_for(lambda: "✖️" in mod.reactions_on(world.queue, queued.event_id, hearth_id))

    # Reacting again (an outbox retry), or with an emoji the post already carries, is
    # no error and no second annotation.
    queue = Place.channel("matrix", world.queue)
    await bot.adapter.react(queue, queued.event_id, "✖️")
    await bot.adapter.react(queue, queued.event_id, "✅")
    await mod.sync()

    def annotations(key: str) -> int:
        return sum(
            1
            for e in mod.from_user(world.queue, hearth_id)
            if e.source.get("content", {}).get("m.relates_to", {}).get("key") == key
        )

    assert annotations("✖️") == annotations("✅") == 1
