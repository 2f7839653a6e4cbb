"""What docs/privacy.md promises about answers, keys, concurrency and files,
each tried the way someone would try to get round it."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from bot.config import Config, Sharing
from bot.crypto import SecretKeyError, write_secret_file
from bot.keys import rotate_key_file
from bot.port import CommandGiven, Member, Place
from bot.privacy_upgrade import converters
from bot.rekey import rotate
from bot.storage import open_database
from bot.vault import Vault
from tests.conftest import SECRET, Harness, community

MOD_QUEUE = Place.channel("console", "mod-queue")


async def sharing_harness(make_harness, db_url: str, **sharing: object) -> Harness:
    options = {"vetting": False, "cooldown_minutes": 0, **sharing}
    config = Config(database=db_url, communities=(community(sharing=Sharing(**options)),))
    return await make_harness(config=config)


async def mod(h: Harness, text: str) -> str:
    return "\n".join(await h.command("mona", f"mod {text}", place=MOD_QUEUE))


# --- moderators learn nothing by asking twice ---------------------------------------------


async def test_blocking_twice_says_the_same_so_two_shares_are_not_linked(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url)
    await h.command("ann", "share One.")
    await h.command("bob", "share Two.")
    await h.command("ann", "share Three.")  # ann wrote #1 and #3
    first = await mod(h, "block 1")
    again = await mod(h, "block 3")  # the same author: it must not say so
    other = await mod(h, "block 2")  # someone else
    shape = [
        answer.replace(answer.split("Block id: ")[1][:8], "B-??????")
        for answer in (first, again, other)
    ]
    assert (
        shape[0].replace("#1", "#N") == shape[1].replace("#3", "#N") == shape[2].replace("#2", "#N")
    )
    assert "already" not in again
    assert "paused your sharing" in " ".join(await h.command("ann", "share Four."))


async def test_blocking_a_reply_blocks_its_author_not_the_share_author(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url)
    await h.command("ann", "share A hard week.")
    await h.command("troll", "reply 1 nobody cares")
    before = len(h.adapter.sent)
    answer = await mod(h, "block 1.1")
    assert "author of reply #1.1 can no longer share or reply" in answer
    told = [s for s in h.adapter.sent[before:] if s.place.is_dm]
    assert [s.place.target for s in told] == ["troll"]  # privately, and only them
    assert "paused your sharing and replies" in told[0].message.text
    assert "paused" in " ".join(await h.command("troll", "reply 1 again"))
    assert "paused" in " ".join(await h.command("troll", "share me too"))
    assert "Replied anonymously" in " ".join(await h.command("ann", "reply 1 thanks all"))
    assert "troll" not in answer and "ann" not in answer


async def test_mod_stats_says_the_same_before_and_after_one_check_in(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url)
    for n in range(5):
        await h.command(f"m{n}", "checkin 4")
    await h.advance(days=1)
    before = await mod(h, "stats")
    assert "Check-ins: 5 by 5 members · average mood 4.0 of 5" in before
    await h.command("sixth", "checkin 1")  # the subtraction attack: "6 members, 3.5"
    for days in ("", " 1", " 2"):
        assert await mod(h, f"stats{days}") == await mod(h, f"stats{days}")
    assert await mod(h, "stats") == before
    await h.advance(days=1)  # the day is over: the sixth is one of that day's group
    after = await mod(h, "stats")
    assert "Check-ins: 5 by 5 members" in after  # today (1 member) is below the floor
    assert "3.5" not in after


# --- key rotation carries everything over --------------------------------------------------


async def test_rotation_keeps_blocks_lists_deletion_export_and_relays(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url)
    await h.command("ann", "share Before the rotation.")
    await h.command("ann", "share Another one.")
    await h.command("bob", "share Bob's.")
    await mod(h, "block 3")
    await h.command("carol", "support 1")
    await h.command("carol", "reply 1 hang in there")
    await h.hearth.db.close()

    new = bytes(range(100, 132))
    db = await open_database(db_url)
    moved = await rotate(db, Vault(SECRET), Vault(new))
    again = await rotate(db, Vault(SECRET), Vault(new))  # an interrupted rotation, run again
    await db.close()
    assert moved > 0 and again == moved

    h = await make_harness(config=h.hearth.config, secret=new)
    listed = " ".join(await h.command("ann", "share list"))
    assert "#1" in listed and "#2" in listed and "#3" not in listed
    assert "paused your sharing" in " ".join(await h.command("bob", "share Bob again."))
    assert "your own share" in " ".join(await h.command("ann", "support 1"))
    await h.command("dee", "reply 2 after the rotation")
    await h.advance(minutes=16)  # replies reach the author batched, like support
    assert any(
        "replied to your share #2" in s.message.text
        for s in h.adapter.sent
        if s.place.target == "ann"
    )
    await h.command("ann", "mydata export")
    export = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert [s["number"] for s in export["anonymous_shares"]] == [1, 2]
    assert "taken down" in " ".join(await h.command("ann", "share delete 1"))
    await h.command("ann", "mydata delete confirm")
    statuses = {
        r["number"]: r["status"] for r in await h.db.fetch("SELECT number, status FROM shares")
    }
    assert statuses[2] in ("deleted", "published") and statuses[1] == "deleted"
    assert await h.member_id("ann") is None


@pytest.mark.sqlite_only  # one running bot and the rotation on one file
async def test_rotation_is_refused_while_a_bot_has_the_database_open(tmp_path):
    key_file = tmp_path / "hearth.key"
    write_secret_file(key_file, SECRET)
    config = Config(database=f"sqlite:///{tmp_path}/hearth.db", secret_key_file=str(key_file))
    running = await open_database(config.database, converters=converters(Vault(SECRET)))
    await running.mark_in_use()  # as `hearth run` does
    try:
        with pytest.raises(SecretKeyError, match="Hearth is running on this database"):
            await rotate_key_file(config, environ={})
        assert not (tmp_path / "hearth.key.next").exists()  # nothing was changed
    finally:
        await running.close()
    assert await rotate_key_file(config, environ={}) >= 0  # stopped: now it goes


async def test_rotation_is_refused_while_a_bot_runs_on_postgres(tmp_path):
    from postgres_support import postgres_url

    url = postgres_url()
    key_file = tmp_path / "hearth.key"
    write_secret_file(key_file, SECRET)
    config = Config(database=url, secret_key_file=str(key_file))
    running = await open_database(url, converters=converters(Vault(SECRET)))
    await running.mark_in_use()
    try:
        with pytest.raises(SecretKeyError, match="Hearth is running on this database"):
            await rotate_key_file(config, environ={})
    finally:
        await running.close()
    assert await rotate_key_file(config, environ={}) >= 0


# --- limits under concurrency ----------------------------------------------------------------


async def test_five_shares_at_once_pass_a_cooldown_once(make_harness, db_url):
    config = Config(
        database=db_url,
        communities=(community(sharing=Sharing(vetting=False, cooldown_minutes=10)),),
    )
    instances = [await make_harness(config=config) for _ in range(5)]
    member = Member("console", "ann")
    await asyncio.gather(
        *(
            h.hearth.handle(CommandGiven(f"share-{n}", member, Place.dm(member), f"share Try {n}."))
            for n, h in enumerate(instances)
        )
    )
    assert await instances[0].count("shares") == 1
    answers = [s.message.text for h in instances for s in h.adapter.sent]
    assert sum("You can post another share in about 10 minutes" in a for a in answers) == 4


async def test_six_reports_at_once_stop_at_the_daily_limit(make_harness, db_url):
    config = Config(
        database=db_url,
        communities=(
            community(sharing=Sharing(vetting=False, cooldown_minutes=0, reports_per_day=2)),
        ),
    )
    first = await make_harness(config=config)
    for n in range(6):
        await first.command("ann", f"share Number {n}.")
    instances = [first] + [await make_harness(config=config) for _ in range(5)]
    member = Member("console", "bob")
    await asyncio.gather(
        *(
            h.hearth.handle(
                CommandGiven(f"report-{n}", member, Place.dm(member), f"report {n + 1} spam")
            )
            for n, h in enumerate(instances)
        )
    )
    assert await first.count("share_reports") == 2


async def test_a_new_members_first_commands_at_once_make_one_member(make_harness, db_url):
    instances = [await make_harness() for _ in range(4)]
    member = Member("console", "newcomer")
    await asyncio.gather(
        *(
            h.hearth.handle(CommandGiven(f"first-{n}", member, Place.dm(member), "checkin 3"))
            for n, h in enumerate(instances)
        )
    )
    assert await instances[0].count("members") == 1
    assert await instances[0].count("checkins") == 4


# --- completeness and hygiene --------------------------------------------------------------


async def test_export_has_the_members_replies_support_and_reports(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url)
    await h.command("ann", "share Ann's.")
    await h.command("bob", "share Bob's.")
    await h.command("carol", "reply 1 you are not alone")
    await h.command("carol", "support 2")
    await h.command("carol", "report 2 feels like spam")
    await h.command("carol", "mydata export")
    export = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert export["anonymous_replies"] == [
        {"community": "example", "reply": "1.1", "status": "published", "text": "you are not alone"}
    ]
    assert export["support_you_sent"] == [{"community": "example", "share": 2}]
    assert export["reports_you_sent"] == [
        {"community": "example", "about": "2", "reason": "feels like spam"}
    ]
    assert export["anonymous_shares"] == []
    assert "Ann's" not in json.dumps(export) and "Bob's" not in json.dumps(export)


async def test_delete_removes_the_dms_waiting_for_the_member(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url)
    await h.command("ann", "checkin schedule 09:00 UTC")
    await h.command("ann", "share A long week.")
    await h.command("bob", "share Bob's week.")
    h.adapter.send = _down  # type: ignore[method-assign]
    await h.command("bob", "reply 1 you're not alone")  # a relay to ann, names her sealed only
    await h.command("ann", "reply 2 same here")  # and one to bob
    await h.advance(hours=2, minutes=5)  # the 09:00 prompt waits to be retried
    ann = await h.member_id("ann")
    waiting = [r["key"] for r in await h.outbox_rows()]  # failing to send, kept for retry
    assert {"relay:reply:1", "relay:reply:2"} <= set(waiting)
    assert await h.db.fetchval("SELECT count(*) FROM outbox WHERE member_id = $1", ann) == 1
    await h.command("ann", "mydata delete confirm")
    assert await h.db.fetchval("SELECT count(*) FROM outbox WHERE member_id = $1", ann) == 0
    left = {r["key"] for r in await h.outbox_rows() if r["place_kind"] == "dm"}
    assert "relay:reply:1" not in left and "relay:reply:2" in left  # bob's stays his


async def _down(place, message):  # noqa: ANN001, ANN202
    from bot.port import DeliveryError

    raise DeliveryError("the platform is down")


@pytest.mark.sqlite_only  # SQLite's own files
async def test_database_files_and_exports_are_for_the_owner_only(tmp_path):
    from adapters.console import ConsoleAdapter
    from bot.port import Attachment, Message

    old = os.umask(0o022)  # a permissive umask, as on many servers
    try:
        db = await open_database(f"sqlite:///{tmp_path}/hearth.db")
        await db.mark_in_use()
        await db.execute("CREATE TABLE scratch (x INTEGER)")
        files = [tmp_path / name for name in ("hearth.db", "hearth.db-wal", "hearth.db-shm")]
        files.append(tmp_path / "hearth.db.lock")
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
        await db.close()
        console = ConsoleAdapter(open(os.devnull, "w"), tmp_path / "exports")  # noqa: SIM115
        message = Message("yours", attachment=Attachment("mydata.json", b"{}", "your data"))
        await console.send(Place.dm(Member("console", "ann")), message)
        (export,) = list((tmp_path / "exports").iterdir())
        modes[export.name] = stat.S_IMODE(export.stat().st_mode)
    finally:
        os.umask(old)
    assert modes == dict.fromkeys(modes, 0o600), modes
