"""The operator's command line: `--version`, help for every option, and a database
file Hearth cannot read refused in plain words, at once (items 22 and 24)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.__main__ import parser, version
from tests.test_console import ROOT, hearth, playground_config


def _parsers(top: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(top.prog, top)]
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_version():
    result = hearth("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hearth {version()}"
    assert version() != "unknown"  # the package is installed in the venv


def test_every_option_and_argument_has_help_text():
    missing = [
        f"{prog} {action.dest}"
        for prog, command in _parsers(parser())
        for action in command._actions
        if not isinstance(action, argparse._SubParsersAction)
        and not (action.help and action.help.strip())
    ]
    assert missing == []
    for action in parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            assert all(choice.help for choice in action._choices_actions)


def test_run_help_says_the_console_reads_a_script_from_stdin():
    result = hearth("run", "--help")
    assert result.returncode == 0
    words = " ".join(result.stdout.split())
    assert "standard input" in words and "piped in as a script" in words
    assert "--config FILE the YAML config file" in words


def _run_on(
    tmp_path: Path, contents: bytes | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    config = playground_config(tmp_path)
    if contents is not None:
        (tmp_path / "hearth.db").write_bytes(contents)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            "--clock",
            "2026-03-02T07:00",
        ],
        input="/help\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,  # it used to hang here, its connection thread still alive
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    "contents",
    [
        os.urandom(8192),
        b"SQLite format 3\x00" + b"garbage " * 1000,
        b"just some text, not a database at all\n",
    ],
    ids=["random-bytes", "a-broken-header", "a-text-file"],
)
def test_a_file_that_is_not_a_sqlite_database_is_refused_at_once(tmp_path, contents):
    result, took = _run_on(tmp_path, contents)
    assert result.returncode == 2
    assert took < 10
    assert "Traceback" not in result.stderr
    assert "Hearth did not start" in result.stderr
    assert "damaged or not a SQLite database" in result.stderr
    assert str(tmp_path / "hearth.db") in result.stderr
    assert result.stdout == ""
    assert (tmp_path / "hearth.db").read_bytes() == contents  # nothing written to it


def test_a_database_damaged_past_its_first_page_is_refused_at_once(tmp_path):
    result, _ = _run_on(tmp_path)
    assert result.returncode == 0, result.stderr
    database = tmp_path / "hearth.db"
    for leftover in tmp_path.glob("hearth.db-*"):
        leftover.unlink()
    data = bytearray(database.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)
    database.write_bytes(bytes(data))
    result, took = _run_on(tmp_path)
    assert result.returncode == 2 and took < 10
    assert "Traceback" not in result.stderr
    assert "Hearth did not start" in result.stderr and "damaged" in result.stderr


def test_a_database_path_that_is_a_folder_is_refused_in_plain_words(tmp_path):
    (tmp_path / "hearth.db").mkdir()
    result, took = _run_on(tmp_path)
    assert result.returncode == 2 and took < 10
    assert "Traceback" not in result.stderr
    assert "cannot open the SQLite database" in result.stderr and "Is a directory" in result.stderr


def test_fresh_runs_each_example_on_its_own_empty_database(tmp_path):
    """README's examples: `--fresh` keeps one script's members and shares out of the next."""
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text())  # relative data/ paths
    script = (ROOT / "examples" / "moderation.txt").read_text()
    args = ("run", "--config", str(config), "--fresh", "--clock", "2026-03-02T07:00")
    alone = hearth(*args, stdin=script, cwd=tmp_path)
    sharing = (ROOT / "examples" / "sharing.txt").read_text()
    assert hearth(*args, stdin=sharing, cwd=tmp_path).returncode == 0
    after = hearth(*args, stdin=script, cwd=tmp_path)
    assert alone.returncode == after.returncode == 0

    def same(text: str) -> str:  # block ids are random
        return re.sub(r"B-[A-Z0-9]{6}", "B-…", text)

    assert same(after.stdout) == same(alone.stdout)  # nothing of the sharing script carried over
    assert not (tmp_path / "data").exists()  # and nothing left behind


def test_fresh_is_refused_outside_the_playground(tmp_path):
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.example.yaml").read_text()
    discord_on = text.replace("  discord:\n    enabled: false", "  discord:\n    enabled: true")
    config.write_text(discord_on.replace('"${DISCORD_TOKEN:-}"', '"not-a-real-token"'))
    result = hearth("run", "--config", str(config), "--fresh", cwd=tmp_path)
    assert result.returncode == 2 and "--fresh is for the console playground" in result.stderr
