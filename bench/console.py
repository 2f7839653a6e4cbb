"""The console playground as a process: time from start to its first answer,
and resident memory (RSS) once it sits idle, against a bare Python interpreter
doing the same (read a line, answer, wait) measured in the same run.

Each is started a few times with the example config (paths in a temp dir);
medians are reported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDLE = 1.0  # seconds left alone before its memory is read
BARE = "import sys; sys.stdin.readline(); print('ok', flush=True); sys.stdin.read()"


@dataclass(frozen=True)
class Process:
    first_answer: float  # seconds from start to the first line it printed
    idle_rss: int  # bytes


def _config(folder: Path) -> Path:
    text = (ROOT / "config.example.yaml").read_text()
    for old, new in (
        ("sqlite:///data/hearth.db", f"sqlite:///{folder}/hearth.db"),
        ("secret_key_file: data/hearth.key", f"secret_key_file: {folder}/hearth.key"),
        ("output_dir: data/console", f"output_dir: {folder}/console"),
    ):
        text = text.replace(old, new)
    path = folder / "config.yaml"
    path.write_text(text)
    return path


def _rss_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _once(argv: list[str], line: str) -> Process:
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        if not proc.stdout.readline():
            raise RuntimeError(f"{argv[:3]} ended without answering")
        answered = time.perf_counter() - started
        time.sleep(IDLE)
        memory = _rss_of(proc.pid)
        proc.stdin.close()
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Process(answered, memory)


def _median(runs: list[Process]) -> Process:
    return Process(
        statistics.median(r.first_answer for r in runs),
        int(statistics.median(r.idle_rss for r in runs)),
    )


def measure(runs: int = 3) -> tuple[Process, Process]:
    """(the console playground, a bare interpreter), medians of `runs` starts each."""
    hearth, bare = [], []
    with tempfile.TemporaryDirectory(prefix="hearth-bench-console-") as tmp:
        config = _config(Path(tmp))
        command = [sys.executable, "-m", "bot", "run", "--config", str(config)]
        command += ["--clock", "2026-03-02T07:00"]
        for _ in range(runs):
            bare.append(_once([sys.executable, "-c", BARE], "hello"))
            hearth.append(_once(command, "/checkin 4"))
    return _median(hearth), _median(bare)


if __name__ == "__main__":
    for name, process in zip(("console", "bare python"), measure(), strict=True):
        print(
            f"{name}: first answer {process.first_answer:.2f} s, "
            f"idle {process.idle_rss / 2**20:.1f} MB"
        )
