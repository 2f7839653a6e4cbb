"""The Dockerfile and compose.yaml, checked without a Docker engine: the usual
conventions, then the image's own install and entry-point steps replayed in a
fresh virtual environment, with a temporary folder standing in for `/`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ops_support import ROOT, Running, deployment_config

from bot.ops.shutdown import FLUSH_WITHIN

Instruction = tuple[str, str]  # (keyword, arguments)
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|KEY", re.IGNORECASE)
PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")
CONTAINER_PATH = re.compile(r"(?<![\w.])/(opt|src|data|config)\b")
DOCKER_STOP_GRACE = 10.0


def instructions(path: Path) -> list[Instruction]:
    """The Dockerfile as (KEYWORD, arguments), comments dropped, continuations joined."""
    logical: list[str] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    result = []
    for line in logical:
        keyword, _, args = line.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def stages(steps: list[Instruction]) -> list[list[Instruction]]:
    found: list[list[Instruction]] = []
    for keyword, args in steps:
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


def exec_form(args: str) -> list[str]:
    """`["a", "b"]` (exec form); the HEALTHCHECK options before CMD are skipped."""
    return json.loads(args[args.index("[") :])


STEPS = instructions(ROOT / "Dockerfile")
BUILD, RUNTIME = stages(STEPS)


def only(stage: list[Instruction], keyword: str) -> list[str]:
    return [args for key, args in stage if key == keyword]


def test_the_base_image_is_pinned_and_slim():
    default = next(a for k, a in STEPS if k == "ARG" and a.startswith("PYTHON_IMAGE="))
    assert PINNED_PYTHON.match(default.split("=", 1)[1])
    for stage in (BUILD, RUNTIME):
        assert stage[0][1].split()[0] == "${PYTHON_IMAGE}"


def test_it_runs_as_an_unprivileged_user_with_a_data_volume():
    users = only(RUNTIME, "USER")
    assert users, "the final stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    keywords = [k for k, _ in RUNTIME]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    assert "/data" in json.loads(only(RUNTIME, "VOLUME")[0])


def test_no_secret_can_reach_a_layer():
    for keyword, args in STEPS:
        if keyword in ("ENV", "ARG"):
            for name in re.findall(r"(\w+)=", args):
                assert not SECRET_NAME.search(name), f"{keyword} {name}: pass secrets at run time"
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()]
    allowed = [line[1:] for line in ignore if line.startswith("!")]
    assert ignore[[i for i, line in enumerate(ignore) if not line.startswith("#")][0]] == "*"
    for path in allowed:  # nothing re-included holds data, keys or environment files
        for file in [ROOT / path] if (ROOT / path).is_file() else (ROOT / path).rglob("*"):
            assert not re.search(r"\.(key|env|db)$|^config\.yaml$", file.name), file
    for args in only(BUILD, "COPY"):
        *sources, _ = shlex.split(args)
        assert all(source.rstrip("/") in [a.rstrip("/") for a in allowed] for source in sources)


def test_health_check_and_entry_point():
    health = exec_form(only(RUNTIME, "HEALTHCHECK")[0])
    assert health == ["hearth", "health", "--config", "/config/config.yaml"]
    command = exec_form(only(RUNTIME, "ENTRYPOINT")[0]) + exec_form(only(RUNTIME, "CMD")[0])
    assert command == ["hearth", "run", "--config", "/config/config.yaml"]
    assert only(RUNTIME, "STOPSIGNAL") == ["SIGTERM"]


def test_the_compose_example():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    hearth, postgres = compose["services"]["hearth"], compose["services"]["postgres"]
    assert float(hearth["stop_grace_period"].rstrip("s")) > FLUSH_WITHIN
    assert "hearth-data:/data" in hearth["volumes"]
    assert "./config.yaml:/config/config.yaml:ro" in hearth["volumes"]
    for name, value in {**hearth["environment"], **postgres["environment"]}.items():
        if SECRET_NAME.search(name) or "postgresql://" in value:
            assert "${" in value, f"{name}: from .env, never written in the file"
    assert re.match(r"^postgres:\d+\.\d+", postgres["image"])
    assert all(port.startswith("127.0.0.1:") for port in hearth["ports"])


def container(root: Path, text: str) -> str:
    """A command or value from the Dockerfile with container paths under `root`."""
    return CONTAINER_PATH.sub(lambda m: f"{root}/{m.group(1)}", text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("HEARTH_SLOW_TESTS"),
    reason="installs every extra into a fresh venv (about a minute): set HEARTH_SLOW_TESTS=1",
)
def test_the_image_steps_install_and_run_in_a_fresh_virtual_environment(tmp_path):
    root = tmp_path / "image"  # stands in for the image's /
    root.mkdir()
    tools = tmp_path / "tools"  # `python` as in the base image: a plain interpreter
    tools.mkdir()
    (tools / "python").symlink_to(sys._base_executable)  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"

    cwd = root
    for keyword, args in BUILD[1:]:
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, value = pair.split("=", 1)
                if name != "PIP_NO_CACHE_DIR":  # keeps the image small; here the cache saves time
                    env[name] = value
        elif keyword == "WORKDIR":
            cwd = Path(container(root, args))
            cwd.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            *sources, target = shlex.split(args)
            for source in sources:  # as Docker does: a folder's contents, a file by name
                if (ROOT / source).is_dir():
                    shutil.copytree(
                        ROOT / source,
                        cwd / target,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                        dirs_exist_ok=True,
                    )
                else:
                    (cwd / target).mkdir(parents=True, exist_ok=True)
                    shutil.copy(ROOT / source, cwd / target / Path(source).name)
        elif keyword == "RUN":
            step = subprocess.run(
                container(root, args), shell=True, cwd=cwd, env=env, capture_output=True, text=True
            )
            assert step.returncode == 0, f"RUN {args}\n{step.stderr[-3000:]}"

    venv_python = container(root, "/opt/hearth/bin/python")
    extras = subprocess.run([venv_python, "-c", "import discord, nio, asyncpg"], env=env)
    assert extras.returncode == 0, "the discord, matrix and postgres extras are installed"

    run_env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    for keyword, args in RUNTIME[1:]:
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, value = pair.split("=", 1)
                run_env[name] = container(root, value).replace("$PATH", env["PATH"])
        elif keyword == "WORKDIR":
            cwd = Path(container(root, args))
    # The final stage's RUN adds the user and the folders: as root here, only the folders.
    config = deployment_config(root, http_port=free_port())
    assert config == Path(container(root, "/config/config.yaml"))

    def argv(args: str) -> list[str]:
        words = [container(root, word) for word in exec_form(args)]
        return [shutil.which(words[0], path=run_env["PATH"]) or words[0], *words[1:]]

    entry = argv(only(RUNTIME, "ENTRYPOINT")[0])[0]
    assert Path(entry).parent == Path(container(root, "/opt/hearth/bin"))  # not this .venv's
    command = [entry] + argv(only(RUNTIME, "CMD")[0])
    hearth = Running(command, cwd=cwd, env=run_env)
    try:
        hearth.wait_for("stderr", lambda line: "Hearth started" in line)
        health = subprocess.run(
            argv(only(RUNTIME, "HEALTHCHECK")[0]),
            cwd=cwd,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert health.returncode == 0, health.stderr
        assert json.loads(health.stdout)["status"] == "ok"
        hearth.write("/checkin 4\n")
        hearth.wait_for("stdout", lambda line: "Saved —" in line)
        elapsed = hearth.stop(signal.SIGTERM)
    finally:
        hearth.close()
    assert hearth.proc.returncode == 0, hearth.stderr[-10:]
    assert elapsed < DOCKER_STOP_GRACE
    assert all(json.loads(line) for line in hearth.stderr)  # log.format: json
    key = root / "data" / "hearth.key"
    assert (root / "data" / "hearth.db").exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
