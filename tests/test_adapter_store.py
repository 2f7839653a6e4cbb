"""The adapters' store (bot/adapter_store.py, the port's `AdapterStore`): an adapter's
own values, and one member's values sealed and erased with them; and migration 9,
which brought the Matrix adapter's tables of migration 5 into it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.matrix.state import MatrixState
from bot.adapter_store import AdapterState, row_key
from bot.clock import FakeClock
from bot.crypto import SealError
from bot.port import Member
from bot.privacy_upgrade import converters
from bot.rekey import rotate
from bot.storage import Database, DatabaseError, open_database
from bot.storage.migrations import LATEST, MIGRATIONS, current_version, table_names, upgrade
from bot.vault import ADAPTER_MEMBER_STATE, MATRIX_DM_ROOM, Vault
from tests.conftest import SECRET, START, insert_members
from tests.test_data_rights import database_bytes

ANN = Member("matrix", "@ann-4e1f:h.test")
BOB = Member("matrix", "@bob-9c2d:h.test")
ROOM = "!dm-room-7b3e9a:h.test"  # distinctive, so a raw byte search cannot hit by chance
ACCOUNT = "@hearth:h.test"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    opened = await open_database(db_url)
    yield opened
    await opened.close()


@pytest.fixture
def store(db: Database) -> AdapterState:
    return AdapterState(db, Vault(SECRET), FakeClock(START))


async def member_id(db: Database, member: Member) -> int:
    found = await db.fetchval(
        "SELECT id FROM members WHERE platform = $1 AND lookup = $2",
        member.platform,
        Vault(SECRET).member_lookup(member),
    )
    assert found is not None
    return int(found)


async def test_values_round_trip_by_platform_and_name(store: AdapterState) -> None:
    assert await store.state("matrix", "next_batch:@a") is None
    await store.save_state("matrix", "next_batch:@a", "s1")
    await store.save_state("matrix", "next_batch:@a", "s2")  # saved again: replaced
    await store.save_state("matrix", "next_batch:@b", "t1")
    await store.save_state("discord", "next_batch:@a", "d1")
    assert await store.state("matrix", "next_batch:@a") == "s2"
    assert await store.state("matrix", "next_batch:@b") == "t1"
    assert await store.state("discord", "next_batch:@a") == "d1"
    saved_at = await store.db.fetchval(
        "SELECT saved_at FROM adapter_state WHERE platform = 'matrix' AND name = 'next_batch:@a'"
    )
    assert saved_at == int(START.timestamp())

    assert await store.member_state(ANN, "dm_room") is None  # nobody known yet
    await store.save_member_state(ANN, "dm_room", "!old:h.test")
    await store.save_member_state(ANN, "dm_room", ROOM)
    await store.save_member_state(ANN, "other", "x")
    await store.save_member_state(BOB, "dm_room", "!bob:h.test")
    assert await store.member_state(ANN, "dm_room") == ROOM
    assert await store.member_state(ANN, "other") == "x"
    assert await store.member_state(BOB, "dm_room") == "!bob:h.test"
    assert await store.member_state(BOB, "other") is None
    assert await store.member_state(Member("console", ANN.user_id), "dm_room") is None


async def test_a_members_value_is_sealed_to_its_row(store: AdapterState, db_url: str) -> None:
    await store.save_member_state(ANN, "dm_room", ROOM)
    await store.save_member_state(BOB, "dm_room", "!bob:h.test")
    rows = await store.db.fetch("SELECT * FROM adapter_member_state ORDER BY member_id")
    assert [r["value"][:4] for r in rows] == ["hs1.", "hs1."]
    assert all(ROOM not in str(value) for row in rows for value in tuple(row))
    ann, bob = await member_id(store.db, ANN), await member_id(store.db, BOB)
    sealed = next(r["value"] for r in rows if r["member_id"] == ann)
    vault = Vault(SECRET)
    assert vault.open(ADAPTER_MEMBER_STATE, row_key(ann, "dm_room"), sealed) == ROOM
    with pytest.raises(SealError):  # moved to another member's row, it does not open
        vault.open(ADAPTER_MEMBER_STATE, row_key(bob, "dm_room"), sealed)
    if db_url.startswith("sqlite:"):
        assert ROOM.encode() not in database_bytes(db_url)
        assert ANN.user_id.encode() not in database_bytes(db_url)


async def test_a_key_rotation_reseals_the_members_values(store: AdapterState) -> None:
    await store.save_member_state(ANN, "dm_room", ROOM)
    new = Vault(bytes(range(100, 132)))
    assert await rotate(store.db, Vault(SECRET), new) > 0
    assert await AdapterState(store.db, new, store.clock).member_state(ANN, "dm_room") == ROOM
    assert await store.member_state(ANN, "dm_room") is None  # the old key finds no one
    (ann, sealed), *_ = await store.db.fetch("SELECT member_id, value FROM adapter_member_state")
    assert new.open(ADAPTER_MEMBER_STATE, row_key(ann, "dm_room"), sealed) == ROOM
    with pytest.raises(SealError):  # and no longer opens it
        Vault(SECRET).open(ADAPTER_MEMBER_STATE, row_key(ann, "dm_room"), sealed)


async def test_a_members_values_go_with_their_row(store: AdapterState) -> None:
    await store.save_member_state(ANN, "dm_room", ROOM)
    await store.save_member_state(BOB, "dm_room", "!bob:h.test")
    await store.db.execute("DELETE FROM members WHERE id = $1", await member_id(store.db, ANN))
    assert await store.member_state(ANN, "dm_room") is None
    assert await store.db.fetchval("SELECT count(*) FROM adapter_member_state") == 1
    assert await store.member_state(BOB, "dm_room") == "!bob:h.test"


async def test_mydata_delete_takes_the_members_values(make_harness) -> None:
    h = await make_harness()
    store = AdapterState(h.db, h.hearth.vault, h.clock)
    ann = Member("console", "ann-4e1f")
    await store.save_member_state(ann, "dm_room", ROOM)
    await h.command(ann.user_id, "checkin 4")
    await h.command(ann.user_id, "mydata delete")
    assert "erased" in (await h.command(ann.user_id, "mydata delete confirm"))[0]
    assert await store.member_state(ann, "dm_room") is None
    assert await h.count("adapter_member_state") == 0


# --- migration 9: the Matrix adapter's own tables, carried over ---------------------------


async def at_version_8(db_url: str) -> tuple[Database, Vault]:
    db = await open_database(db_url, migrate=False)
    await upgrade(db, MIGRATIONS[:8])
    vault = Vault(SECRET)
    await insert_members(db, vault, [ANN.user_id], platform="matrix")
    await db.execute(
        "INSERT INTO matrix_dm_rooms (member_id, room_id) VALUES ($1, $2)",
        1,
        vault.seal(MATRIX_DM_ROOM, 1, ROOM),  # as migration 7 and MatrixTables sealed it
    )
    await db.execute(
        "INSERT INTO matrix_sync (account, next_batch, saved_at) VALUES ($1, $2, $3)",
        ACCOUNT,
        "s42_old_position",
        int(START.timestamp()),
    )
    return db, vault


async def test_migration_9_carries_the_sync_position_and_dm_rooms_over(db_url: str) -> None:
    db, vault = await at_version_8(db_url)
    try:
        assert await current_version(db) == 8
        assert await upgrade(db, converters=converters(vault)) == LATEST
        store = AdapterState(db, vault, FakeClock(START))
        matrix = MatrixState(store, ACCOUNT)  # as the adapter reads them
        assert await matrix.sync_token() == "s42_old_position"
        assert await MatrixState(store, "@other:h.test").sync_token() is None
        assert await matrix.dm_room(ANN.user_id) == ROOM
        sealed = await db.fetchval("SELECT value FROM adapter_member_state")
        assert sealed.startswith("hs1.") and ROOM not in sealed
        assert {"matrix_sync", "matrix_dm_rooms"}.isdisjoint(table_names())
        for table in ("matrix_sync", "matrix_dm_rooms"):
            with pytest.raises(Exception):  # noqa: B017 - each engine says so its own way
                await db.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await db.close()


async def test_migration_9_needs_the_key_when_there_are_dm_rooms(db_url: str) -> None:
    db, _ = await at_version_8(db_url)
    try:
        with pytest.raises(DatabaseError, match="needs the deployment key"):
            await upgrade(db)
        assert await current_version(db) == 8  # the step rolled back as a whole
        assert await db.fetchval("SELECT count(*) FROM matrix_dm_rooms") == 1
    finally:
        await db.close()
