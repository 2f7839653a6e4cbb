"""Moderator tools (issue 11): the k-anonymous pulse, delivery health, a live
config reload (command and SIGHUP) and the moderator log."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import signal
from datetime import timedelta
from pathlib import Path

from ops_support import HEARTH, Running, deployment_config

from bot.config import Channels, Config, Moderation, Sharing
from bot.config_loader import load_config
from bot.ops.hangup import reload_from_signal
from bot.port import CommandGiven, Member, Place
from bot.reload import plan_for
from bot.requests import Request
from tests.conftest import START, Harness, community
from tests.test_console import ROOT, hearth, playground_config

MOD_QUEUE = Place.channel("console", "mod-queue")
MOODS = (4, 3, 2, 4, 5, 3)  # average 3.5


async def mod(h: Harness, text: str, user: str = "mona") -> str:
    return "\n".join(await h.command(user, f"mod {text}", place=MOD_QUEUE))


async def harness_with(make_harness, db_url, **overrides: object) -> Harness:
    config = Config(database=db_url, communities=(community(**overrides),))
    return await make_harness(config=config)


def config_text(db_url: str, *, shares: str = "shares", extra: str = "") -> str:
    return (
        f'database: "{db_url}"\n'
        "communities:\n"
        "  - name: example\n"
        "    platform: console\n"
        "    channels:\n"
        f"      shares: {shares}\n"
        "      mod_queue: mod-queue\n"
        "      celebrations: celebrations\n"
        "    moderators: {users: [mona]}\n"
        "    sharing:\n"
        "      vetting: false\n"
        "      cooldown_minutes: 10\n" + extra
    )


async def reloadable(make_harness, db_url: str, path: Path) -> Harness:
    """A Harness running the config in `path`, as `hearth run --config path` would."""
    path.write_text(config_text(db_url))
    h = await make_harness(config=load_config(path))
    h.hearth.config_path = path
    return h


# --- the pulse and its privacy floor ---------------------------------------------


async def test_four_members_show_no_average_mood_six_show_the_right_one(harness):
    h = harness
    for n, mood in enumerate(MOODS[:4]):
        await h.command(f"m{n}", f"checkin {mood}")
    await h.advance(days=1)  # figures cover completed days only
    four = await mod(h, "stats")
    assert "average mood" not in four and "Check-ins and mood: too few members to show" in four
    assert not re.search(r"Check-ins: \d", four)  # no count of check-ins either
    for n, mood in enumerate(MOODS):
        await h.command(f"m{n}", f"checkin {mood}")
    await h.command("m0", "checkin 4")  # a second check-in by one member: still six members
    await h.advance(days=1)
    six = await mod(h, "stats")
    # (4+3+2+4+5+3+4)/7 = 3.57…: the average is over check-ins, shown to one decimal
    assert "Check-ins: 7 by 6 members · average mood 3.6 of 5" in six
    assert "no trend: too few members to show in the 7 days before" in six
    assert "m0" not in six and "m5" not in six


async def test_the_floor_follows_min_group_and_never_goes_below_five(make_harness, db_url):
    h = await harness_with(make_harness, db_url, moderation=Moderation(min_group=7))
    for n, mood in enumerate(MOODS):
        await h.command(f"m{n}", f"checkin {mood}")
    await h.advance(days=1)
    assert "too few members to show" in await mod(h, "stats")  # six, below seven
    for n, mood in enumerate(MOODS):
        await h.command(f"m{n}", f"checkin {mood}")
    await h.command("m6", "checkin 3")
    await h.advance(days=1)
    text = await mod(h, "stats")
    assert "Check-ins: 7 by 7 members" in text and "fewer than 7 members" in text
    # A config below the floor is refused by the loader; a Config built by hand is floored.
    h.hearth.reload(
        dataclasses.replace(h.hearth.config, communities=(community(moderation=Moderation(2)),))
    )
    await h.command("x0", "checkin 3")
    assert "fewer than 5 members" in await mod(h, "stats")


async def test_the_trend_compares_with_the_period_before(harness):
    h = harness
    for n in range(6):
        await h.command(f"m{n}", "checkin 2")
    await h.advance(days=7)
    for n in range(5):
        await h.command(f"m{n}", "checkin 4")
    await h.advance(days=1)
    assert "average mood 4.0 of 5 (↑ 2.0 from 2.0 the 7 days before)" in await mod(h, "stats")
    assert "Check-ins: 11 by 6 members" in await mod(h, "stats 8")


async def test_days_are_validated(harness):
    h = harness
    for bad in ("0", "366", "week", "-3"):
        assert "a number of days from 1 to 365" in await mod(h, f"stats {bad}")
    assert "the last 365 full days" in await mod(h, "stats 365")
    assert "yesterday" in await mod(h, "stats 1")


async def test_a_non_moderator_is_refused_and_nothing_is_logged(harness):
    h = harness
    for command in ("stats", "reload", "log"):
        answer = await mod(h, command, user="ben")
        assert answer == "Only moderators of example can use `mod` commands."
    assert await h.count("moderation_log") == 0


async def test_shares_replies_supports_and_celebrations(make_harness, db_url):
    h = await harness_with(make_harness, db_url, sharing=Sharing(vetting=False))
    await h.command("bob", "share One.")
    await h.advance(minutes=11)
    await h.command("bob", "share Two.")  # one author: counts of posts need no author floor
    await h.command("carol", "reply 1 Same here.")
    for n in range(4):
        await h.command(f"s{n}", "support 1")
    await h.command("dee", "celebrate 30 days of walking")
    await h.advance(days=1)
    text = await mod(h, "stats")
    assert "Shares: 2 posted · 0 waiting for review · 0 not posted" in text
    assert "Replies: 1 · Support sent: too few members to show · Celebrations: 1" in text
    await h.command("s4", "support 2")
    assert "Support sent: too few" in await mod(h, "stats")  # not until the day is over
    await h.advance(days=1)
    assert "Support sent: 5 ·" in await mod(h, "stats")
    assert "author" not in text


# --- delivery health --------------------------------------------------------------


async def test_unreachable_members_are_counted_after_a_failed_dm(harness):
    h = harness
    await h.command("sam", "checkin schedule 08:00 daily UTC")
    await h.command("kim", "checkin schedule 08:00 daily UTC")
    assert "Members I can't reach by DM: 0" in await mod(h, "stats")
    h.adapter.unreachable.add("sam")
    await h.advance(hours=2)  # the 08:00 prompt to sam fails: sam's DMs are closed
    text = await mod(h, "stats")
    assert "Members I can't reach by DM: 1" in text
    assert "Check-in prompts: 1 sent" in text and "1 not delivered" in text
    assert "sam" not in text


async def test_prompts_sent_late_are_counted_with_median_and_worst(harness):
    h = harness
    for user in ("sam", "kim"):
        await h.command(user, "checkin schedule 08:00 daily UTC")
    day = START.replace(hour=8)
    # Down until 08:40, then 09:10 the next day, then past the catch-up window.
    for lateness in (timedelta(minutes=40), timedelta(minutes=70), timedelta(hours=3)):
        await h.advance_to(day - timedelta(minutes=1))
        h.clock.set(day + lateness)
        await h.hearth.settle()
        day += timedelta(days=1)
    text = await mod(h, "stats")
    assert "Check-in prompts: 4 sent, 4 of them more than 5 min late" in text
    assert "(median 55 min, worst 1 h 10 min)" in text
    assert "2 skipped after downtime" in text
    assert "Messages waiting to go out: 0" in text


async def test_the_outbox_backlog_is_counted(harness):
    h = harness
    await h.command("sam", "checkin schedule 08:00 daily UTC")
    h.adapter.send = _never_sends  # type: ignore[method-assign]
    await h.advance(hours=1, minutes=5)
    assert "Messages waiting to go out: 1 (oldest queued 5 min ago)" in await mod(h, "stats")


async def _never_sends(place, message):  # noqa: ANN001, ANN202
    from bot.port import DeliveryError

    raise DeliveryError("the platform is down")


# --- live reload --------------------------------------------------------------------


async def test_a_new_shares_channel_applies_to_the_next_share_without_a_restart(
    make_harness, db_url, tmp_path
):
    path = tmp_path / "config.yaml"
    h = await reloadable(make_harness, db_url, path)
    await h.command("ana", "checkin schedule 08:00 daily UTC")  # in the database: survives
    await h.command("bob", "share Before.")
    await h.hearth.settle()
    path.write_text(config_text(db_url, shares="lounge"))
    answer = await mod(h, "reload")
    assert answer == "Reloaded. Now in effect: communities.example.channels.shares."
    await h.command("carol", "share After.")
    await h.hearth.settle()
    assert [m.text for m in h.adapter.in_channel("shares")] == [
        "📝 Anonymous share #1\nBefore.\n💬 To reply without your name, DM me `reply 1 YOUR WORDS`."
    ]
    assert [m.text for m in h.adapter.in_channel("lounge")] == [
        "📝 Anonymous share #2\nAfter.\n💬 To reply without your name, DM me `reply 2 YOUR WORDS`."
    ]
    for job in h.hearth.scheduler.jobs:  # every job that reads the config has the new one
        assert getattr(job, "config", h.hearth.config) is h.hearth.config
    await h.advance(hours=2)
    assert len(h.adapter.prompts("ana")) == 1
    assert "mona reloaded the configuration: changed example.channels.shares" in await mod(h, "log")


async def test_a_broken_config_keeps_the_running_one_and_names_the_line(
    make_harness, db_url, tmp_path
):
    path = tmp_path / "config.yaml"
    h = await reloadable(make_harness, db_url, path)
    running = h.hearth.config
    path.write_text(
        config_text(db_url, shares="lounge").replace(
            "cooldown_minutes: 10", "cooldown_minutes: ten"
        )
    )
    answer = await mod(h, "reload")
    assert "I did not reload" in answer and "stays as it was" in answer
    assert "line 12, communities[0].sharing.cooldown_minutes: must be a whole number" in answer
    assert h.hearth.config is running
    await h.command("bob", "share Still here.")
    await h.hearth.settle()
    assert len(h.adapter.in_channel("shares")) == 1 and not h.adapter.in_channel("lounge")
    assert await h.count("moderation_log") == 0


async def test_changes_that_need_a_restart_are_kept_and_named_without_values(
    make_harness, db_url, tmp_path
):
    path = tmp_path / "config.yaml"
    h = await reloadable(make_harness, db_url, path)
    secret_url = "postgresql://hearth:s3cret-pw@elsewhere/hearth"
    text = config_text(db_url).replace(db_url, secret_url)
    text += "http: {enabled: true, port: 9999}\n"
    path.write_text(text.replace("vetting: false", "vetting: true"))
    answer = await mod(h, "reload")
    assert "Now in effect: communities.example.sharing.vetting." in answer
    assert "only take effect after a restart" in answer
    assert "database" in answer and "http.enabled" in answer and "http.port" in answer
    assert "s3cret" not in answer and "9999" not in answer
    assert h.hearth.config.database == db_url and h.hearth.config.http.enabled is False
    assert h.hearth.config.communities[0].sharing.vetting is True


async def test_problems_in_operator_keys_are_named_without_their_message(
    make_harness, db_url, tmp_path
):
    path = tmp_path / "config.yaml"
    h = await reloadable(make_harness, db_url, path)
    path.write_text(config_text(db_url) + "http: {port: hunter2}\n")
    answer = await mod(h, "reload")
    assert "line 13, http.port: not valid (`hearth config check` on the server says why)" in answer
    assert "hunter2" not in answer


async def test_an_event_in_flight_finishes_with_the_config_it_started_with(harness):
    h = harness
    reached, release = asyncio.Event(), asyncio.Event()
    seen: list[str | None] = []

    async def probe(req: Request) -> None:
        seen.append(req.community.channels.shares)
        reached.set()
        await release.wait()
        seen.append(req.config.communities[0].channels.shares)

    h.hearth.router.add("probe", probe, "probe", "test only")
    member = Member("console", "ana")
    handling = asyncio.create_task(
        h.hearth.handle(CommandGiven("p1", member, Place.dm(member), "probe"))
    )
    await reached.wait()
    channels = Channels(shares="lounge", mod_queue="mod-queue", celebrations="celebrations")
    h.hearth.reload(
        Config(database=h.hearth.config.database, communities=(community(channels=channels),))
    )
    release.set()
    await handling
    await h.hearth.handle(CommandGiven("p2", member, Place.dm(member), "probe"))
    release.set()
    assert seen == ["shares", "shares", "lounge", "lounge"]


async def test_mod_reload_without_a_file_is_refused_kindly(harness):
    assert "not started from a config file" in await mod(harness, "reload")


def test_where_a_community_lives_waits_for_a_restart():
    matrix = community(name="lighthouse", platform="matrix")
    running = Config(communities=(community(guild_id=None), matrix))
    new_channels = dataclasses.replace(matrix.channels, shares="!new:example.org")
    new = Config(
        communities=(
            community(
                guild_id="123", moderators=dataclasses.replace(matrix.moderators, users=("ann",))
            ),
            dataclasses.replace(matrix, channels=new_channels),
            community(name="harbour"),
        )
    )
    # Matrix's adapter maps its rooms at start (MatrixAdapter.community_keys_read_at_start)
    plan = plan_for(running, new, {"matrix": ("channels",)})
    assert plan.applied == ("communities.example.moderators.users",)
    assert set(plan.kept) == {
        "communities.example.guild_id",
        "communities.lighthouse.channels.shares",
        "communities.harbour (new)",
    }
    assert [c.name for c in plan.config.communities] == ["example", "lighthouse"]
    assert plan.config.communities[1].channels == matrix.channels
    gone = plan_for(running, Config(communities=(running.communities[0],)))
    assert gone.kept == ("communities.lighthouse (gone from the file)",)
    assert gone.config.communities == running.communities


# --- the moderator log --------------------------------------------------------------


async def test_mod_log_lists_an_approve_and_a_block_with_the_moderator_and_no_author(harness):
    h = harness
    await h.command("bob", "share Three weeks sober.")
    await mod(h, "approve 1")
    await h.advance(minutes=5)
    await mod(h, "block 1 7", user="mona")
    log = await mod(h, "log")
    lines = log.splitlines()
    assert lines[0].startswith("The last 2 moderator actions in example, newest first")
    assert re.fullmatch(
        r"• Mon 02 Mar 07:05 — mona blocked the author of share #1 \(B-\w{6}\)", lines[1]
    )
    assert lines[2] == "• Mon 02 Mar 07:00 — mona approved share #1"
    assert "bob" not in log
    assert (await mod(h, "log 1")).count("•") == 1
    assert "from 1 to 100" in await mod(h, "log 101")
    authors = await h.db.fetch("SELECT moderator, detail FROM moderation_log")
    assert all("bob" not in str(dict(row)) for row in authors)


async def test_the_log_is_kept_for_log_days(make_harness, db_url):
    h = await harness_with(make_harness, db_url, moderation=Moderation(log_days=2))
    await h.command("bob", "share A hard day.")
    await mod(h, "approve 1")
    await h.advance(days=1)
    assert "approved share #1" in await mod(h, "log")
    await h.advance(days=1, hours=2)
    assert await mod(h, "log") == "No moderator actions in example in the last 2 days."


async def test_mydata_covers_a_moderators_actions_and_delete_keeps_them(harness):
    h = harness
    await h.command("bob", "share Hello.")
    await mod(h, "approve 1")
    await h.command("mona", "checkin 4")
    await h.command("mona", "mydata export")
    export = json.loads(h.adapter.sent[-1].message.attachment.data)
    assert [(a["action"], a["share_number"]) for a in export["your_moderator_actions"]] == [
        ("approve", 1)
    ]
    await h.command("mona", "mydata delete confirm")
    assert await h.count("checkins") == 0
    from bot.anonymity import open_member
    from bot.vault import MODERATOR_IDENTITY

    row = await h.db.fetchrow("SELECT id, moderator FROM moderation_log")
    kept = open_member(h.hearth.vault, MODERATOR_IDENTITY, row["id"], row["moderator"])
    assert kept is not None and kept.user_id == "mona"  # sealed at rest, kept all the same
    assert b"mona" not in row["moderator"].encode()
    privacy = "\n".join(await h.command("ann", "privacy"))
    assert "logged with their name for 180 days" in privacy and "leaves those entries" in privacy


# --- SIGHUP and the console ---------------------------------------------------------


async def test_a_reload_by_signal_is_recorded_as_the_operators(make_harness, db_url, tmp_path):
    path = tmp_path / "config.yaml"
    h = await reloadable(make_harness, db_url, path)
    path.write_text(config_text(db_url, shares="lounge"))
    assert await reload_from_signal(h.hearth)
    assert h.hearth.config.communities[0].channels.shares == "lounge"
    assert "(operator) reloaded the configuration" in await mod(h, "log")
    path.write_text("communities: [")
    assert not await reload_from_signal(h.hearth)
    assert h.hearth.config.communities[0].channels.shares == "lounge"


def test_sighup_reloads_a_running_hearth_and_logs_only_lines_and_key_paths(tmp_path):
    config = deployment_config(tmp_path)
    text = config.read_text()
    run = Running([*HEARTH, "run", "--config", str(config), "--clock", "2026-03-02T07:00"])
    try:
        run.wait_for("stderr", lambda line: "Hearth started" in line)
        assert "      shares: shares " in text
        config.write_text(text.replace("      shares: shares ", "      shares: lounge "))
        run.proc.send_signal(signal.SIGHUP)
        run.wait_for("stderr", lambda line: "config reloaded" in line)
        run.write("as bob\n/share Three weeks.\nas mona\nin #mod-queue\n/mod approve 1\n")
        run.wait_for("stdout", lambda line: line.startswith("[#lounge] 📝 Anonymous share #1"))
        config.write_text(text.replace("cooldown_minutes: 10", "cooldown_minutes: tenpast"))
        run.proc.send_signal(signal.SIGHUP)
        refused = run.wait_for("stderr", lambda line: "config reload refused" in line)
        assert "communities[0].sharing.cooldown_minutes" in refused and "line " in refused
        assert "tenpast" not in refused
        run.write("/mod log\n")
        run.wait_for("stdout", lambda line: "(operator) reloaded the configuration" in line)
        run.stop(signal.SIGTERM)
    finally:
        run.close()
    assert run.proc.returncode == 0, run.stderr[-5:]
    assert not any("tenpast" in line for line in run.stderr)


def test_the_moderation_example_script(tmp_path):
    script = (ROOT / "examples" / "moderation.txt").read_text()
    result = hearth(
        "run",
        "--config",
        str(playground_config(tmp_path)),
        "--clock",
        "2026-03-02T18:00",
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    pulses = out.split("Community pulse — example")[1:]
    assert len(pulses) == 2
    assert "Check-ins and mood: too few members to show" in pulses[0]  # today: not yet
    assert "average mood" not in pulses[0]
    assert "Check-ins: 6 by 6 members · average mood 3.5 of 5" in pulses[1]
    assert "Check-in prompts: 1 sent, none more than 5 min late" in pulses[1]
    assert "Shares: 1 posted · 0 waiting for review · 1 not posted" in pulses[1]
    assert "[#mod-queue|only:ben] Only moderators of example can use `mod` commands." in out
    assert "Reloaded: nothing that applies live has changed." in out
    log = out.split("moderator actions in example")[1]
    assert "mona approved share #1" in log and "mona blocked the author of share #2" in log
    assert "bob" not in log and "carol" not in log
