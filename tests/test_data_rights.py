"""Encryption at rest, export and erasure: what the database files and the
member's export contain (SPEC §2 "Safety and privacy")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.crypto import SealError
from bot.rekey import rotate
from bot.storage.migrations import table_names
from bot.vault import CHECKIN_NOTE, SEALED_FIELDS, Vault
from tests.conftest import Harness

NOTE = "a very particular sentence about the lighthouse keeper"
ID = "member-5f3a9c"  # distinctive, so a raw byte search cannot hit by chance
OTHER = "member-77b2e1"


def database_files(db_url: str) -> dict[str, bytes]:
    assert db_url.startswith("sqlite:///"), "only SQLite's files are ours to read"
    path = Path(db_url.removeprefix("sqlite:///"))
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


def database_bytes(db_url: str) -> bytes:
    return b"".join(database_files(db_url).values())


async def scenario(h: Harness) -> None:
    for user in (ID, OTHER):
        await h.command(user, "checkin schedule 09:00 Europe/Berlin")
        await h.command(user, f"checkin 3 {NOTE} from {user} #sea")
        await h.command(user, "checkin quiet 22:00-07:00")
        await h.command(user, "checkin 2 I want to end my life")
        await h.pick(user, "contact yes")
    await h.advance(days=2)
    await h.command(ID, "checkin skip")


@pytest.mark.sqlite_only  # reads the database files
async def test_notes_are_not_stored_in_plaintext(harness, db_url):
    await scenario(harness)
    raw = database_bytes(db_url)
    assert NOTE.encode() not in raw
    assert b"end my life" not in raw
    assert b"Time for your check-in" not in raw  # outbox bodies are sealed too
    note = await harness.db.fetchval("SELECT note FROM checkins WHERE note IS NOT NULL LIMIT 1")
    assert note.startswith("hs1.")


async def test_a_ciphertext_moved_to_another_row_does_not_open(harness):
    await scenario(harness)
    rows = await harness.db.fetch(
        "SELECT id, note FROM checkins WHERE note IS NOT NULL ORDER BY id"
    )
    (first_id, first_note), (second_id, _) = rows[0], rows[1]
    vault = harness.hearth.vault
    assert NOTE in vault.open(CHECKIN_NOTE, first_id, first_note)
    with pytest.raises(SealError):
        vault.open(CHECKIN_NOTE, second_id, first_note)


async def test_rotation_reseals_everything_and_the_old_key_no_longer_opens(harness):
    await scenario(harness)
    old, new = harness.hearth.vault, Vault(bytes(range(100, 132)))
    count = await rotate(harness.db, old, new)
    assert count > 0
    for field in SEALED_FIELDS:
        rows = await harness.db.fetch(
            f"SELECT {field.key_column}, {field.column} FROM {field.table} "
            f"WHERE {field.column} IS NOT NULL"
        )
        for key, token in rows:
            new.open(field, key, token)
            with pytest.raises(SealError):
                old.open(field, key, token)
    # A rotation that stopped half-way can simply run again.
    assert await rotate(harness.db, old, new) == count


async def test_export_holds_the_members_data_and_nothing_of_anyone_else(harness):
    h = harness
    await scenario(h)
    await h.command(ID, "mydata export")
    export = h.adapter.sent[-1].message.attachment
    assert export is not None and export.filename.endswith(".json")
    data = json.loads(export.data)
    assert data["member"]["user_id"] == ID and data["member"]["timezone"] == "Europe/Berlin"
    assert any(NOTE in (c["note"] or "") for c in data["checkins"])
    assert data["checkin_schedules"][0]["time"] == "09:00"
    assert data["checkin_schedules"][0]["days"] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    assert data["checkin_pauses_and_skips"][0]["kind"] == "skip"
    assert data["moderator_contact_requests"]
    assert OTHER not in export.data.decode()


async def test_export_shows_schedule_days_by_name(harness):
    await harness.command(ID, "checkin schedule 09:00 mon,wed,fri Europe/Berlin")
    await harness.command(ID, "mydata export")
    export = harness.adapter.sent[-1].message.attachment
    assert export is not None
    (schedule,) = json.loads(export.data)["checkin_schedules"]
    assert schedule["days"] == ["monday", "wednesday", "friday"]


async def test_export_asked_for_in_a_channel_comes_by_dm(harness):
    from bot.port import Place

    channel = Place.channel("console", "shares")
    said = await harness.command(ID, "mydata export", place=channel)
    dm, answer = harness.adapter.sent[-2:]
    assert dm.place == Place.dm(harness.adapter.sent[-1].event.member) and dm.event is None
    assert dm.message.attachment is not None and json.loads(dm.message.attachment.data)
    assert answer.place == channel and answer.message.attachment is None
    assert said[-1] == "I've sent your data to our DM 📬 — only you can see it there."
    assert not any(s.message.attachment for s in harness.adapter.sent if not s.place.is_dm)


async def test_export_that_cannot_reach_the_dm_says_so_and_shows_nothing(harness):
    from bot.port import Place

    harness.adapter.unreachable.add(ID)
    said = await harness.command(ID, "mydata export", place=Place.channel("console", "shares"))
    assert said == [
        "I couldn't send your data by DM. If you allow direct messages from me, "
        "`mydata export` again sends it; you can also type it in our DM."
    ]
    assert not any(s.message.attachment for s in harness.adapter.sent)


async def test_export_in_the_console_writes_a_json_file(tmp_path):

    from tests.test_console import play

    script = (
        f"as {ID}\n/checkin schedule 09:00 Europe/Berlin\n/checkin 4 {NOTE}\n"
        f"as {OTHER}\n/checkin 2 other things\nas {ID}\nin #shares\n/mydata export\n"
    )
    result = play(tmp_path, script, "2026-03-02T07:00")
    lines = result.stdout.splitlines()
    # asked for in a channel, it comes by DM; the channel hears only where it went
    exported = next(i for i, line in enumerate(lines) if "everything Hearth holds" in line)
    assert lines[exported].startswith(f"[dm:{ID}]")
    assert lines[exported + 2].startswith(f"[#shares|only:{ID}] I've sent your data to our DM")
    saved = next(line for line in lines if "(file saved:" in line)
    path = Path(saved.split(": ", 1)[1].rstrip(")"))
    data = json.loads(path.read_text())
    assert data["checkins"][0]["note"] == NOTE
    assert data["checkin_schedules"][0]["time"] == "09:00"
    assert OTHER not in path.read_text() and "other things" not in path.read_text()


async def test_delete_asks_first_then_leaves_nothing_behind(harness, db_url):
    h = harness
    await scenario(h)
    member_id = await h.member_id(ID)
    first = await h.command(ID, "mydata delete")
    assert "cannot be undone" in first[0]
    assert await h.db.fetchval("SELECT count(*) FROM checkins WHERE member_id = $1", member_id)

    done = await h.command(ID, "mydata delete confirm")
    assert "erased" in done[0]
    tables = table_names()
    assert {"members", "checkins", "outbox", "contact_requests"} <= set(tables)
    for table in tables:
        for row in await h.db.fetch(f"SELECT * FROM {table}"):
            values = dict(row)
            assert values.get("member_id") != member_id, table
            assert all(ID not in str(v) for v in values.values()), table
    # The other member is untouched.
    assert await h.member_id(OTHER) is not None

    if not db_url.startswith("sqlite:"):
        return  # PostgreSQL's files are the server's: see docs/postgres.md on erasure
    for path, raw in database_files(db_url).items():
        where = raw.find(ID.encode())
        assert where < 0, (path, raw[max(0, where - 200) : where + 50])
        assert NOTE.encode() not in raw, path


async def test_retention_purges_old_notes_and_keeps_moods(make_harness, db_url):
    from bot.config import Config, Privacy
    from tests.conftest import community

    config = Config(database=db_url, communities=(community(privacy=Privacy(retention_days=30)),))
    h = await make_harness(config=config)
    await h.command(ID, f"checkin 3 {NOTE}")
    await h.advance(days=29)
    assert await h.db.fetchval("SELECT count(*) FROM checkins WHERE note IS NOT NULL") == 1
    await h.advance(days=2)
    assert await h.db.fetchval("SELECT count(*) FROM checkins WHERE note IS NOT NULL") == 0
    assert await h.db.fetchval("SELECT mood FROM checkins") == 3
    await h.db.close()


def test_key_rotation_from_the_command_line(tmp_path):
    import subprocess
    import sys

    from tests.test_console import ROOT, playground_config

    config = playground_config(tmp_path)

    def hearth(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )

    hearth(
        "run",
        "--config",
        str(config),
        "--clock",
        "2026-03-02T07:00",
        stdin=f"as {ID}\n/checkin 4 {NOTE}\n",
    )
    key_file = tmp_path / "hearth.key"
    old_key = key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"

    rotated = hearth("keys", "rotate", "--config", str(config))
    assert rotated.returncode == 0, rotated.stderr
    assert re.search(r"Rotated: \d+ sealed values", rotated.stdout)  # ids, secrets, the note
    assert key_file.read_text() != old_key and not (tmp_path / "hearth.key.next").exists()

    export = hearth(
        "run",
        "--config",
        str(config),
        "--clock",
        "2026-03-03T07:00",
        stdin=f"as {ID}\n/mydata export\n",
    )
    saved = next(line for line in export.stdout.splitlines() if "(file saved:" in line)
    assert NOTE in Path(saved.split(": ", 1)[1].rstrip(")")).read_text()


def test_an_interrupted_rotation_blocks_start_until_finished(tmp_path):
    import subprocess
    import sys

    from bot.crypto import new_secret, write_secret_file
    from tests.test_console import ROOT, playground_config

    config = playground_config(tmp_path)
    run = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    subprocess.run(
        run,
        input=f"as {ID}\n/checkin 4 {NOTE}\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    write_secret_file(tmp_path / "hearth.key.next", new_secret())  # as if rotation died here
    blocked = subprocess.run(run, input="", capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert blocked.returncode == 2 and "rotation was interrupted" in blocked.stderr
    finish = subprocess.run(
        [sys.executable, "-m", "bot", "keys", "rotate", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert finish.returncode == 0, finish.stderr
    again = subprocess.run(
        run, input="/checkin history\n", capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert again.returncode == 0, again.stderr


def test_a_missing_or_exposed_key_stops_the_bot_clearly(tmp_path):
    import subprocess
    import sys

    from tests.test_console import ROOT, playground_config

    config = playground_config(tmp_path)
    key_file = tmp_path / "hearth.key"
    key_file.write_text("not a key\n")
    key_file.chmod(0o644)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Hearth did not start" in result.stderr and "Traceback" not in result.stderr
