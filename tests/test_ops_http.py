"""/healthz and /metrics, served by a real aiohttp server on a loopback port."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from datetime import timedelta

import aiohttp
import pytest
from ops_support import deployment_config
from prometheus_client.parser import text_string_to_metric_families

from bot.__main__ import main
from bot.config import Http
from bot.ops.health import STALE_AFTER, check_health, probe
from bot.ops.server import ServeError, serving

# Member ids that must never show up in what an operator scrapes.
MEMBERS = ("member-4711", "zoe.private", "u_9f8e7d6c")
LABEL_NAMES = {"kind", "outcome"}
ANY_PORT = Http(enabled=True, host="127.0.0.1", port=0)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


@pytest.fixture
async def served(harness):
    """(harness, base url) with the endpoint up, the scheduler driven by the fake clock."""
    async with serving(ANY_PORT, harness.hearth, background=False) as addresses:
        host, port = addresses[0]
        yield harness, f"http://{host}:{port}"


async def test_healthz_is_ok_then_names_the_database_when_it_goes_away(served):
    h, base = served
    status, body = await get(f"{base}/healthz")
    assert status == 200
    assert '"status": "ok"' in body

    await h.db.close()
    status, body = await get(f"{base}/healthz")
    assert status == 503
    assert '"database": "unreachable' in body
    assert '"adapters": "ok"' in body and '"scheduler": "ok"' in body


async def test_healthz_names_a_disconnected_adapter(served):
    h, base = served
    h.adapter.connected = False
    status, body = await get(f"{base}/healthz")
    assert status == 503
    assert '"adapters": "not connected: console"' in body


async def test_a_database_that_hangs_is_unhealthy_within_the_timeout(harness):
    async def hang(*args: object) -> None:
        await asyncio.sleep(3600)

    harness.hearth.db.fetchval = hang  # type: ignore[method-assign]
    report = await check_health(harness.hearth, background=False, database_timeout=0.05)
    assert not report.healthy
    assert report.checks["database"] == "no answer within 0.05 s"


async def test_a_background_scheduler_is_alive_only_while_it_ticks(harness):
    h = harness
    report = await check_health(h.hearth, background=True)
    assert report.checks["scheduler"] == "has not run yet"
    await h.hearth.settle()  # one pass, as the background loop does
    assert (await check_health(h.hearth, background=True)).healthy
    h.clock.set(h.clock.now() + STALE_AFTER + timedelta(seconds=1))
    report = await check_health(h.hearth, background=True)
    assert report.checks["scheduler"].startswith("last ran 301 s ago")
    # On the console's virtual clock it runs after each line: alive with the process.
    assert (await check_health(h.hearth, background=False)).healthy


async def test_the_cli_probe_reads_the_verdict(served):
    h, base = served
    port = int(base.rsplit(":", 1)[1])
    http = Http(enabled=True, host="0.0.0.0", port=port)  # reached on loopback
    healthy, answer = await asyncio.to_thread(probe, http)
    assert healthy and '"status": "ok"' in answer
    await h.db.close()
    healthy, answer = await asyncio.to_thread(probe, http)
    assert not healthy and '"database": "unreachable' in answer
    healthy, answer = probe(dataclasses.replace(http, enabled=False))
    assert not healthy and "http.enabled: true" in answer


async def test_metrics_parse_count_what_happened_and_name_no_member(served):
    h, base = served
    for user in MEMBERS:
        await h.command(user, "checkin 4 a private note")
    await h.command(MEMBERS[0], "no-such-command")  # a refusal
    h.adapter.unreachable.add(MEMBERS[1])
    await h.command(MEMBERS[1], "checkin schedule 09:00 Europe/Berlin")
    await h.advance(days=1)  # the prompt falls due; the DM bounces

    status, text = await get(f"{base}/metrics")
    assert status == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("hearth_events_total", kind="CommandGiven") == len(MEMBERS) + 2
    assert value("hearth_errors_total", kind="refusal") == 1
    assert value("hearth_errors_total", kind="failure") == 0
    assert value("hearth_prompts_total", outcome="queued") == 1
    assert value("hearth_messages_total", outcome="unreachable") == 1
    assert value("hearth_unreachable_members") == 1
    assert value("hearth_outbox_depth") == 0
    assert value("hearth_scheduler_last_tick_age_seconds") == 0

    assert {name for _, labels in samples for name, _ in labels} <= LABEL_NAMES
    for user in MEMBERS:
        assert user not in text
    assert "private note" not in text


async def test_a_taken_port_is_a_clear_error(harness):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        http = Http(enabled=True, host="127.0.0.1", port=taken.getsockname()[1])
        with pytest.raises(ServeError, match="cannot serve http on 127.0.0.1"):
            async with serving(http, harness.hearth, background=False):
                pass


def test_the_health_command_answers_0_or_1(tmp_path, capsys):
    config = deployment_config(tmp_path)  # http disabled, as in config.example.yaml
    assert main(["health", "--config", str(config)]) == 1
    assert "http.enabled: true" in capsys.readouterr().err
    config.write_text("communities: nonsense\n")
    assert main(["health", "--config", str(config)]) == 1  # never 2: Docker reserves it
