"""Helpers for the operations tests: a config laid out like a deployment, and a
`hearth run` process watched line by line (never by sleeping)."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEARTH = (sys.executable, "-m", "bot")  # `hearth`, from this checkout
WATCHDOG = 60.0  # seconds: a hung process is killed, and the test fails instead of hanging


def deployment_config(
    root: Path, *, http_port: int | None = None, log_format: str = "json", log_level: str = "INFO"
) -> Path:
    """config.example.yaml with every path under `root` as under / in the image
    (root/data for the volume, root/config for the config)."""
    text = (ROOT / "config.example.yaml").read_text()
    for key, value in (
        ("database: sqlite:///data/hearth.db", f"database: sqlite:///{root}/data/hearth.db"),
        ("secret_key_file: data/hearth.key", f"secret_key_file: {root}/data/hearth.key"),
        ("output_dir: data/console", f"output_dir: {root}/data/console"),
        ("format: text ", f"format: {log_format} "),
        ("level: INFO ", f"level: {log_level} "),
    ):
        assert key in text, key
        text = text.replace(key, value)
    if http_port is not None:
        http = "http:\n  enabled: false"
        assert http in text
        text = text.replace(http, "http:\n  enabled: true").replace(
            "port: 8080", f"port: {http_port}"
        )
    (root / "data").mkdir(parents=True, exist_ok=True)
    path = root / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class Running:
    """A process with stdin open (like `docker run -i`) whose output lines are
    collected on threads, so neither pipe can fill up and block it."""

    def __init__(
        self, argv: Sequence[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=cwd,
            env=env,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._new: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self._ended = {"stdout": threading.Event(), "stderr": threading.Event()}
        self._watchdog = threading.Timer(WATCHDOG, self.proc.kill)
        self._watchdog.start()
        for name, stream, lines in (
            ("stdout", self.proc.stdout, self.stdout),
            ("stderr", self.proc.stderr, self.stderr),
        ):
            threading.Thread(target=self._collect, args=(name, stream, lines), daemon=True).start()

    def _collect(self, name: str, stream, lines: list[str]) -> None:  # noqa: ANN001
        for line in stream:
            lines.append(line.rstrip("\n"))
            self._new.put((name, lines[-1]))
        self._new.put((name, None))
        self._ended[name].set()

    def wait_for(self, stream: str, matches: Callable[[str], bool], timeout: float = 30) -> str:
        """The first line of `stream` from now on that `matches`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                name, line = self._new.get(timeout=left)
            except queue.Empty:
                break
            if name == stream and line is None:
                raise AssertionError(f"{stream} ended; stderr: {self.stderr[-5:]}")
            if name == stream and line is not None and matches(line):
                return line
        raise AssertionError(f"no matching line on {stream} in {timeout} s")

    def write(self, text: str) -> bool:
        """Send input; False once the process no longer reads it."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            return False
        return True

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> float:
        """Send `signum`; return the seconds until the process had exited."""
        sent = time.monotonic()
        self.proc.send_signal(signum)
        self.proc.wait(timeout)
        elapsed = time.monotonic() - sent
        self._watchdog.cancel()
        for ended in self._ended.values():  # every line it wrote is collected
            ended.wait(5)
        return elapsed

    def close(self) -> None:
        self._watchdog.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):  # a pipe the process already broke
                    stream.close()
