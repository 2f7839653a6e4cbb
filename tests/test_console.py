"""The console playground and the command line, run as a member or operator would."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from adapters import console as playground
from adapters.console import ConsoleError, parse_clock
from bot.console_ledger import ConsoleLedger
from bot.port import Member, Message, Place
from bot.storage import open_database

ROOT = Path(__file__).resolve().parent.parent


def hearth(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def play(
    tmp_path: Path, script: str, clock: str = "2026-03-02T07:00"
) -> subprocess.CompletedProcess[str]:
    """Run the console playground on `script`, with the example config under `tmp_path`."""
    config = playground_config(tmp_path)
    return hearth("run", "--config", str(config), "--clock", clock, stdin=script)


def playground_config(tmp_path: Path) -> Path:
    text = (ROOT / "config.example.yaml").read_text()
    text = text.replace("sqlite:///data/hearth.db", f"sqlite:///{tmp_path}/hearth.db")
    text = text.replace(
        "secret_key_file: data/hearth.key", f"secret_key_file: {tmp_path}/hearth.key"
    )
    text = text.replace("output_dir: data/console", f"output_dir: {tmp_path}/console")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_checkins_example_script(tmp_path):
    script = (ROOT / "examples" / "checkins.txt").read_text()
    result = hearth(
        "run",
        "--config",
        str(playground_config(tmp_path)),
        "--clock",
        "2026-03-02T07:00",
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    schedule = next(i for i, line in enumerate(lines) if "I'll check in with you" in line)
    first_checkin = next(
        i for i, line in enumerate(lines) if "Saved — 😐 okay for Mon 02 Mar" in line
    )
    prompts_before_checkin = [
        line for line in lines[schedule:first_checkin] if "Time for your check-in" in line
    ]
    assert len(prompts_before_checkin) == 1  # 09:00 Berlin passed once
    assert all(line.startswith("[dm:sam]") for line in lines if line.startswith("["))
    assert out.count("Time for your check-in") == 7  # one a day, never doubled
    assert "  → /checkin 4" in out
    assert "Streak: 7 days" in out
    assert "Your last 7 days: 7 check-ins, average 3.6" in out
    assert "▅▅▆▃▆█▆" in out
    image = next(line for line in lines if "(file saved:" in line).split(": ")[1].rstrip(")")
    assert Path(image).read_bytes().startswith(b"\x89PNG")


def test_places_members_and_private_replies(tmp_path):
    script = "\n".join(
        [
            "# comments and blank lines are ignored",
            "",
            "as mona",
            "in #shares",
            "/checkin 4",
            "in dm",
            "!checkin 5",
            "as sam",
            "/checkin 2",
            "in #nowhere",  # no such channel: said so, and the member stays where they were
            "in #celebrations",
            "hello everyone",  # plain channel text: the bot stays quiet
            "in somewhere",
            "clock backwards",
        ]
    )
    result = hearth(
        "run",
        "--config",
        str(playground_config(tmp_path)),
        "--clock",
        "2026-03-02T07:00",
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("  ")]
    assert lines[0].startswith("[#shares|only:mona] Saved — 🙂 good")
    assert lines[1].startswith("[dm:mona] Saved — 😄 very good")
    assert lines[2].startswith("[dm:sam] Saved — 🙁 low")
    assert lines[3] == (
        "(console) there is no channel #nowhere; "
        "the channels are #celebrations, #checkins, #mod-queue, #shares"
    )
    assert lines[4] == "(console) in dm, or in #CHANNEL (in #CHANNEL thread: answer its thread)"
    assert lines[5].startswith("(console) clock takes")
    assert len(lines) == 6


def test_invalid_config_is_refused_with_line_and_key_path(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        "database: sqlite:///x.db\n"
        "communities:\n"
        "  - name: example\n"
        "    platform: console\n"
        "    sharing:\n"
        "      cooldown_minutes: ten\n"
    )
    run = hearth("run", "--config", str(config))
    assert run.returncode == 2
    assert "bad.yaml:6" in run.stderr and "communities[0].sharing.cooldown_minutes" in run.stderr
    assert "Hearth did not start" in run.stderr
    check = hearth("config", "check", str(config))
    assert check.returncode == 1 and "communities[0].sharing.cooldown_minutes" in check.stderr


def test_config_check_accepts_the_example():
    result = hearth("config", "check", "config.example.yaml")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1d", "2026-03-03 07:00"),
        ("+2h30m", "2026-03-02 09:30"),
        ("+45m", "2026-03-02 07:45"),
        ("2026-03-08 09:00", "2026-03-08 09:00"),
    ],
)
def test_clock_lines(text, expected):
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert parse_clock(text, now).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize("text", ["+", "-1d", "yesterday", "2026-03-01 09:00", "+1y"])
def test_bad_clock_lines(text):
    from datetime import UTC, datetime

    with pytest.raises(ConsoleError):
        parse_clock(text, datetime(2026, 3, 2, 7, 0, tzinfo=UTC))


async def test_the_playground_remembers_recent_printed_keys_only(tmp_path, monkeypatch):
    from bot import console_ledger

    monkeypatch.setattr(console_ledger, "REMEMBERED", 3)
    out = io.StringIO()
    adapter = playground.ConsoleAdapter(out, tmp_path / "console")
    async with await open_database(f"sqlite:///{tmp_path}/hearth.db") as db:
        adapter.remember_deliveries(ConsoleLedger(db, lambda key: f"hashed-{key}"))
        place = Place.dm(Member("console", "ana"))
        for n in range(5):
            await adapter.send(place, Message(f"message {n}", idempotency_key=f"k{n}"))
        await adapter.send(place, Message("message 4", idempotency_key="k4"))  # sent again
        keys = await db.fetch("SELECT idempotency_key FROM console_deliveries ORDER BY id")
    assert [k[0] for k in keys] == ["hashed-k2", "hashed-k3", "hashed-k4"]  # as it was told to
    assert out.getvalue().count("message 4") == 1  # a recent key is still honoured


class _Recorder:
    """Stands in for Hearth: keeps what the playground hands it."""

    def __init__(self) -> None:
        self.events: list[object] = []

    async def handle(self, event: object) -> None:
        self.events.append(event)

    async def settle(self) -> None:
        pass

    async def advance_to(self, when: object) -> None:
        pass


async def test_console_events_carry_the_members_name_and_channels_are_checked(tmp_path):
    recorder = _Recorder()
    adapter = playground.ConsoleAdapter(io.StringIO(), tmp_path)
    session = playground.ConsoleSession(
        recorder, adapter, None, "you", channels=lambda: {"shares", "mod-queue"}
    )
    await session.feed("/help")
    await session.feed("as mona")
    await session.feed("hello there")
    assert [e.display_name for e in recorder.events] == ["you", "mona"]
    with pytest.raises(ConsoleError, match="no channel #nowhere; the channels are #mod-queue"):
        await session.feed("in #nowhere")
    assert session.place.is_dm  # still where mona was
    await session.feed("in #shares")
    assert session.place == Place.channel("console", "shares")
