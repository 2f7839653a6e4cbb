"""Logs: human-readable by default, JSON lines with `log.format: json`, and
never what a member wrote."""

from __future__ import annotations

import io
import json
import logging
import subprocess

import pytest
from ops_support import HEARTH, ROOT, deployment_config

from bot.bootstrap import setup_logging
from bot.config import Config, Log

NOTE = "my sister's wedding went badly"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def test_json_lines_parse_and_carry_extra_fields(restore_logging):
    stream = io.StringIO()
    setup_logging(Config(log=Log(level="DEBUG", format="json")), stream)
    log = logging.getLogger("bot.test")
    log.info("outbox %s: sent", 42, extra={"outbox_id": 42})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("job %s failed", "outbox")

    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["message"] for e in entries] == ["outbox 42: sent", "job outbox failed"]
    first, second = entries
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["outbox_id"] == 42
    assert first["time"].endswith("Z")
    assert "RuntimeError: boom" in second["exception"]


def run_console(tmp_path, log_format: str, script: str) -> subprocess.CompletedProcess[str]:
    config = deployment_config(tmp_path, log_format=log_format, log_level="DEBUG")
    return subprocess.run(
        [*HEARTH, "run", "--config", str(config), "--clock", "2026-03-02T07:00"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_json_run_logs_only_json_lines_and_no_member_text(tmp_path):
    script = f"as sam\n/checkin 2 {NOTE}\n/no-such-command {NOTE}\nclock +1d\n"
    result = run_console(tmp_path, "json", script)
    assert result.returncode == 0, result.stderr
    assert "Saved" in result.stdout
    lines = result.stderr.splitlines()
    entries = [json.loads(line) for line in lines]  # every line parses
    assert any(e["message"].startswith("Hearth started") for e in entries)
    assert any(e["level"] == "DEBUG" for e in entries)  # the events were logged …
    assert NOTE not in result.stderr  # … without what was written
    assert "sam" not in {str(value) for e in entries for value in e.values()}


def test_text_logs_are_human_readable_by_default(tmp_path):
    result = run_console(tmp_path, "text", "/checkin 4\n")
    assert result.returncode == 0, result.stderr
    assert any(
        line.endswith(" INFO bot.bootstrap: Hearth started with console")
        for line in result.stderr.splitlines()
    )
    assert not result.stderr.startswith("{")


def test_the_playground_in_a_terminal_shows_warnings_only(restore_logging):
    """`make run` in a terminal: INFO lines would mix into what the member reads."""
    stream = io.StringIO()
    setup_logging(Config(log=Log(level="INFO")), stream, quiet=True)
    logging.getLogger("bot.test").info("Hearth started with console")
    logging.getLogger("bot.test").warning("the database is almost full")
    assert stream.getvalue().splitlines()[-1].endswith("the database is almost full")
    assert "Hearth started" not in stream.getvalue()
