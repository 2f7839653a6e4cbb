"""`hearth keys rotate`: move every sealed value to a new secret key.

The new key is written next to the old one (`KEYFILE.next`) before anything
is re-sealed, the database is re-sealed in one transaction, and only then does
the new key replace the old. If the process dies part-way, running the
command again finishes the job; Hearth refuses to start until it has.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.config import Config
from bot.crypto import (
    ENV_VAR,
    SecretKeyError,
    install_secret_file,
    new_secret,
    read_secret_file,
    write_secret_file,
)
from bot.privacy_upgrade import converters
from bot.rekey import rotate
from bot.storage import open_database
from bot.vault import Vault


def pending_key_file(key_file: str | Path) -> Path:
    path = Path(key_file).expanduser()
    return path.with_name(path.name + ".next")


def refuse_if_rotation_unfinished(config: Config) -> None:
    if config.secret_key_file and pending_key_file(config.secret_key_file).exists():
        raise SecretKeyError(
            f"A key rotation was interrupted ({pending_key_file(config.secret_key_file)} "
            "exists). Run `hearth keys rotate --config FILE` again to finish it."
        )


async def rotate_key_file(
    config: Config, environ: os._Environ[str] | dict[str, str] = os.environ
) -> int:
    """Re-seal everything under a new key and install it; return how many values moved."""
    if environ.get(ENV_VAR, "").strip():
        raise SecretKeyError(
            f"The key comes from {ENV_VAR}, which Hearth cannot change. Rotation works on "
            "secret_key_file: put the current key in that file, unset the variable, and run "
            "this again."
        )
    key_file = Path(config.secret_key_file).expanduser()
    if not key_file.exists():
        raise SecretKeyError(f"There is no key file at {key_file} to rotate.")
    old = read_secret_file(key_file)
    pending = pending_key_file(key_file)
    async with await open_database(config.database, converters=converters(Vault(old))) as db:
        # First, before any key is written: a refusal leaves everything as it was.
        if not await db.claim_sole_use():
            raise SecretKeyError(
                "Hearth is running on this database: stop every Hearth process first, then "
                "run `hearth keys rotate` again. (Rows it wrote meanwhile would be sealed "
                "under the old key.) Nothing was changed."
            )
        if pending.exists():
            new = read_secret_file(pending)  # finishing an interrupted rotation
        else:
            new = new_secret()
            write_secret_file(pending, new)
        count = await rotate(db, Vault(old), Vault(new))
        await db.compact()  # old ciphertexts out of the journal too
    install_secret_file(pending, key_file)
    return count
