"""A real Synapse homeserver for the Matrix tests: loopback only, SQLite in a
temporary folder (the database in memory where /dev/shm exists), no federation,
rate limits out of the way, users registered through the shared-secret admin
API. It answers in a few seconds."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

SERVER_NAME = "hearth.test"
START_WITHIN = 60.0  # seconds; a Synapse that is not up by then fails the tests
_GENEROUS = {"per_second": 10000, "burst_count": 10000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def homeserver_config(
    folder: Path, port: int, shared_secret: str, database: Path
) -> dict[str, object]:
    """What a test homeserver needs and nothing that reaches beyond this machine."""
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(folder / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(database)}},
        "media_store_path": str(folder / "media"),
        "signing_key_path": str(folder / "signing.key"),
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "report_stats": False,
        "enable_metrics": False,
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],  # no federation: nobody else is asked anything
        "bcrypt_rounds": 4,
        "rc_message": _GENEROUS,
        "rc_registration": _GENEROUS,
        "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
        "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
        "rc_joins_per_room": _GENEROUS,
        "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
        "rc_admin_redaction": _GENEROUS,
        "rc_key_requests": _GENEROUS,
        "rc_room_creation": _GENEROUS,
        "rc_media_create": _GENEROUS,
        "rc_presence": {"per_user": _GENEROUS},
        "rc_profile": _GENEROUS,
        "rc_reports": _GENEROUS,
        "rc_delayed_event_mgmt": _GENEROUS,
    }


def _write_signing_key(path: Path) -> None:
    import signedjson.key  # installed with matrix-synapse

    with path.open("w") as handle:
        signedjson.key.write_signing_keys(handle, [signedjson.key.generate_signing_key("a_1")])


@dataclass
class Account:
    user_id: str
    password: str
    access_token: str
    device_id: str


class Synapse:
    """A running homeserver; `stop()` ends it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self._names = 0
        # In memory where the machine has it: a homeserver's every write is an fsync.
        memory = Path("/dev/shm")
        self._scratch = Path(tempfile.mkdtemp(dir=memory)) if memory.is_dir() else folder
        database = self._scratch / "homeserver.db"
        config = homeserver_config(folder, self.port, self.shared_secret, database)
        (folder / "media").mkdir(parents=True, exist_ok=True)
        (folder / "homeserver.yaml").write_text(yaml.safe_dump(config))
        _write_signing_key(folder / "signing.key")
        self._log = (folder / "homeserver.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(folder / "homeserver.yaml")],
            cwd=folder,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited: see {self.folder / 'homeserver.log'}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1),
            ):
                return
            time.sleep(0.1)  # bounded polling for a server to come up, not a schedule
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {START_WITHIN:g} s")

    def _request(self, method: str, path: str, body: object | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read()!r}") from None

    def register(self, name: str | None = None, *, admin: bool = False) -> Account:
        """A new user through /_synapse/admin/v1/register (HMAC-SHA1 over the nonce)."""
        if name is None:
            self._names += 1
            name = f"user{self._names}"
        password = secrets.token_hex(8)
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, name, password, "admin" if admin else "notadmin"):
            if part != nonce:
                mac.update(b"\x00")
            mac.update(part.encode())
        answer = self._request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": name,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return Account(answer["user_id"], password, answer["access_token"], answer["device_id"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        if self._scratch != self.folder:
            shutil.rmtree(self._scratch, ignore_errors=True)
