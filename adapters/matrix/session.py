"""The bot's Matrix login, kept under `store_path` so a restart is the same device.

`hearth-session.json` names the user and device and holds the access token
sealed with the deployment secret; nio's crypto store (Olm account, Megolm
sessions) sits beside it, pickled under a key derived from the same secret
with HKDF rather than nio's well-known default. Without the secret neither
the token nor the keys can be read from a copy of the folder.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from bot.port import Secrets

log = logging.getLogger(__name__)

SESSION_FILE = "hearth-session.json"
_PICKLE_PURPOSE = "matrix store"


@dataclass(frozen=True)
class Session:
    user_id: str
    device_id: str
    access_token: str = ""


class SessionStore:
    def __init__(self, folder: str | Path, secrets: Secrets) -> None:
        self.folder = Path(folder).expanduser()
        self._secrets = secrets

    @property
    def pickle_key(self) -> str:
        """nio's `pickle_key` (a passphrase it hashes to the vodozemac key)."""
        return base64.b64encode(self._secrets.derive_key(_PICKLE_PURPOSE)).decode("ascii")

    def prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix":
            self.folder.chmod(0o700)  # keys live here

    def _context(self, user_id: str, device_id: str) -> str:
        return f"matrix.access_token:{user_id}:{device_id}"

    def load(self, user_id: str) -> Session | None:
        """The saved login for `user_id`, or None if there is none that opens."""
        path = self.folder / SESSION_FILE
        try:
            saved = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("%s is unreadable; logging in afresh", path)
            return None
        if saved.get("user_id") != user_id or not saved.get("device_id"):
            return None
        device_id = saved["device_id"]
        token = ""
        if saved.get("access_token"):
            opened = self._secrets.open_text(
                self._context(user_id, device_id), str(saved["access_token"])
            )
            if opened is None:
                # Sealed under another secret (a rotated key): the device id still holds.
                log.warning("the saved Matrix access token does not open with this secret key")
            token = opened or ""
        return Session(user_id, device_id, token)

    def save(self, session: Session) -> None:
        context = self._context(session.user_id, session.device_id)
        body = {
            "user_id": session.user_id,
            "device_id": session.device_id,
            "access_token": self._secrets.seal_text(context, session.access_token)
            if session.access_token
            else "",
        }
        path = self.folder / SESSION_FILE
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
