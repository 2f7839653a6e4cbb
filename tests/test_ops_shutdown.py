"""Graceful shutdown: a signal stops intake, what is in hand finishes, the
outbox flush is bounded, and nothing a member was told is saved is lost."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import sqlite3
import threading
from datetime import timedelta

import pytest
from ops_support import HEARTH, Running, deployment_config

from adapters.console import ConsoleSession
from bot import bootstrap
from bot.clock import SystemClock
from bot.config import AdapterSettings, Config, ConsoleSettings
from bot.ops.health import check_health
from bot.ops.shutdown import FLUSH_WITHIN, finish, until_stopped
from bot.port import Message, Place

# docker stop's default grace before SIGKILL; our flush bound stays inside it.
STOP_BOUND = 10.0
ACK = re.compile(r"^\[dm:(m\d+)\] Saved — ")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_mid_activity_exits_0_in_time_and_loses_nothing_acknowledged(tmp_path, signum):
    config = deployment_config(tmp_path)
    run = Running([*HEARTH, "run", "--config", str(config), "--clock", "2026-03-02T07:00"])
    sent = 0
    stop_feeding = threading.Event()

    def feed() -> None:  # a member after member checking in, faster than Hearth answers
        nonlocal sent
        while not stop_feeding.is_set() and run.write(f"as m{sent}\n/checkin 4\n"):
            sent += 1

    feeder = threading.Thread(target=feed, daemon=True)
    try:
        feeder.start()
        for _ in range(20):  # mid-way: well after start, long before the input ends
            run.wait_for("stdout", ACK.match)
        elapsed = run.stop(signum)
        stop_feeding.set()
        feeder.join(5)
    finally:
        run.close()

    assert run.proc.returncode == 0, run.stderr[-10:]
    assert elapsed < STOP_BOUND
    acknowledged = {m.group(1) for line in run.stdout if (m := ACK.match(line))}
    from bot.crypto import load_or_create_secret
    from bot.vault import MEMBER_IDENTITY, Vault

    vault = Vault(load_or_create_secret(tmp_path / "data" / "hearth.key"))
    with sqlite3.connect(tmp_path / "data" / "hearth.db") as db:
        saved = {  # who checked in: the ids are sealed, the key opens them
            vault.open(MEMBER_IDENTITY, member_id, identity)
            for member_id, identity in db.execute(
                "SELECT m.id, m.identity FROM checkins c JOIN members m ON m.id = c.member_id"
            )
        }
    assert len(acknowledged) >= 20
    assert acknowledged <= saved  # nothing acknowledged is lost
    assert len(saved) < sent  # it stopped taking input mid-way
    assert any(f"{signum.name} received: stopping" in line for line in run.stderr)


async def test_until_stopped_takes_nothing_after_the_signal():
    stopping = asyncio.Event()
    waiting = asyncio.Event()

    async def lines():
        yield "first"
        waiting.set()
        await asyncio.sleep(3600)  # a quiet terminal
        yield "never"

    taken = []

    async def consume():
        async for line in until_stopped(lines(), stopping):
            taken.append(line)

    consumer = asyncio.create_task(consume())
    await waiting.wait()
    stopping.set()
    await asyncio.wait_for(consumer, 1)
    assert taken == ["first"]


async def test_an_event_in_hand_finishes_and_the_next_line_is_not_taken(harness):
    h = harness
    stopping = asyncio.Event()
    handle = h.hearth.handle

    async def signalled_while_handling(event):
        stopping.set()  # the signal arrives just as this event is taken in hand
        await asyncio.sleep(0)
        await handle(event)

    h.hearth.handle = signalled_while_handling  # type: ignore[method-assign]

    async def lines():
        yield "/checkin 4 first"
        yield "/checkin 5 second"

    session = ConsoleSession(h.hearth, h.adapter, h.clock, "ana")  # type: ignore[arg-type]
    await asyncio.wait_for(session.run(until_stopped(lines(), stopping)), 2)
    assert await h.count("checkins") == 1
    assert h.adapter.texts("ana")[-1].startswith("Saved — 🙂 good")


async def test_the_outbox_flush_is_bounded_and_what_is_left_waits(harness):
    h = harness
    gate = asyncio.Event()

    async def stuck_send(place: Place, message: Message) -> str:
        await gate.wait()  # a platform that never answers
        return "m1"

    h.adapter.send = stuck_send  # type: ignore[method-assign]
    h.adapter.unreachable.clear()
    await h.command("ana", "checkin schedule 09:00 Europe/Berlin")
    h.clock.set(h.clock.now() + timedelta(hours=1, minutes=1))  # the prompt is due
    await asyncio.wait_for(finish(h.hearth, within=0.2), 2)
    assert await h.db.fetchval("SELECT status FROM outbox") == "pending"  # sent after restart


async def test_real_clock_run_is_healthy_then_stops_within_the_bound(make_harness):
    h = await make_harness(clock=SystemClock())
    try:
        h.hearth.start_background()
        for _ in range(200):  # the first pass runs as soon as the loop gets a turn
            if h.hearth.scheduler.last_tick is not None:
                break
            await asyncio.sleep(0.01)
        assert (await check_health(h.hearth, background=True)).healthy
        assert (await h.command("ana", "checkin 4"))[0].startswith("Saved")
        await asyncio.wait_for(finish(h.hearth), FLUSH_WITHIN + 1)
        assert not [task for task in asyncio.all_tasks() if task.get_name() == "scheduler"]
    finally:
        await h.db.close()


async def test_without_a_console_it_runs_on_the_real_clock_until_stopped(tmp_path, caplog):
    config = Config(
        database=f"sqlite:///{tmp_path}/hearth.db",
        secret_key_file=str(tmp_path / "hearth.key"),
        adapters=AdapterSettings(console=ConsoleSettings(enabled=False)),
    )
    stopping = asyncio.Event()
    caplog.set_level(logging.INFO, logger="bot")
    running = asyncio.create_task(bootstrap.run(config, stopping=stopping, flush_within=1))
    for _ in range(500):  # until it says it has started, or the run ended early
        if running.done() or "Hearth started with no adapters" in caplog.text:
            break
        await asyncio.sleep(0.01)
    assert not running.done()
    stopping.set()
    await asyncio.wait_for(running, 5)
    assert "Hearth stopped" in caplog.text
