"""The deployment's secret key and what is derived from it: sealed fields and author pseudonyms,
so that a database dump without the key reveals no author (SPEC, anonymity promise)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENV_VAR = "HEARTH_SECRET_KEY"
SECRET_BYTES = 32
TOKEN_VERSION = "hs1"  # hearth seal, format 1

_SEAL_INFO = b"hearth seal v1"
_PSEUDONYM_INFO = b"hearth pseudonym v1"
_LOOKUP_INFO = b"hearth lookup v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_BASE64 = re.compile(r"[A-Za-z0-9_\-+/]+={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_HOW_TO_MAKE_ONE = "Create one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SecretKeyError(Exception):
    """The secret key is missing, malformed or exposed; the message says what to do about it."""


class SealError(Exception):
    """A sealed token did not open: another key, another row, or altered."""


# --- the secret --------------------------------------------------------------------------------


def load_or_create_secret(
    key_file: str | Path | None, environ: Mapping[str, str] = os.environ
) -> bytes:
    """The 32-byte deployment secret: from HEARTH_SECRET_KEY if set, else from `key_file`.

    The file is created on first run (mode 0600, parent folders made). An existing file that
    cannot be read, is malformed, or that other users may read or change is refused rather
    than replaced: data sealed under a lost key is lost with it.
    """
    from_env = environ.get(ENV_VAR, "").strip()
    if from_env:
        return decode_secret(from_env, origin=f"the environment variable {ENV_VAR}")
    if key_file is None or not str(key_file).strip():
        raise SecretKeyError(
            f"No secret key: set {ENV_VAR} or secret_key_file in the config. {_HOW_TO_MAKE_ONE}"
        )
    path = Path(key_file).expanduser()
    if not os.path.lexists(path):
        created = _create_secret_file(path)
        if created is not None:
            return created
        # Another process created it first; use theirs.
    return _read_secret_file(path)


def read_secret_file(path: str | Path) -> bytes:
    """An existing key file, checked as strictly as at start."""
    return _read_secret_file(Path(path).expanduser())


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def write_secret_file(path: str | Path, secret: bytes) -> None:
    """Write a key to a file that must not exist yet (mode 0600, synced to disk)."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_private(path, (encode_secret(secret) + "\n").encode("ascii"))
    _sync_folder(path.parent)


def install_secret_file(source: str | Path, target: str | Path) -> None:
    """Atomically put the key file `source` in the place of `target`."""
    os.replace(source, target)
    _sync_folder(Path(target).parent)


def encode_secret(secret: bytes) -> str:
    """The secret as written to the key file: unpadded base64url."""
    return base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")


def decode_secret(text: str, origin: str = "the secret key") -> bytes:
    """Read 32 bytes written as 64 hex digits or as base64 (url-safe or standard)."""
    value = text.strip()
    secret: bytes | None = None
    if _HEX.fullmatch(value):
        secret = bytes.fromhex(value)
    elif _BASE64.fullmatch(value):
        standard = value.rstrip("=").replace("-", "+").replace("_", "/")
        try:
            secret = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            secret = None
    if secret is None or len(secret) != SECRET_BYTES:
        # Never echo the value: even a malformed key may be most of a real one.
        raise SecretKeyError(
            f"{origin} is not a valid Hearth secret key: it must be {SECRET_BYTES} random bytes "
            f"written as 43 base64url characters or 64 hex digits (it has {len(value)} "
            f"characters). {_HOW_TO_MAKE_ONE}"
        )
    return secret


def _read_secret_file(path: Path) -> bytes:
    try:
        info = path.stat()
    except OSError as error:
        raise SecretKeyError(f"Cannot read the secret key file {path}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretKeyError(f"The secret key file {path} is not a regular file.")
    # POSIX permissions only; on Windows the file's ACL decides and st_mode says nothing.
    if os.name == "posix" and info.st_mode & 0o077:
        raise SecretKeyError(
            f"The secret key file {path} can be read or changed by other users "
            f"(mode {stat.S_IMODE(info.st_mode):04o}). Hearth will not use an exposed key. "
            f"If it may have been copied, rotate it; then run: chmod 600 {path}"
        )
    try:
        content = path.read_bytes().decode("ascii")
    except OSError as error:
        raise SecretKeyError(f"Cannot read the secret key file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        content = "\ufffd"  # reported as malformed just below
    if not content.strip():
        raise SecretKeyError(
            f"The secret key file {path} is empty. If nothing was ever stored with it, delete "
            f"it and Hearth will create a new one; otherwise restore it from your backup."
        )
    try:
        return decode_secret(content, origin=f"The secret key file {path}")
    except SecretKeyError as error:
        raise SecretKeyError(
            f"{error} Restore the file from your backup: a new key cannot open data sealed "
            f"with the old one."
        ) from None


def _create_secret_file(path: Path) -> bytes | None:
    """Write a new key atomically; None if another process created the file meanwhile."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise SecretKeyError(
            f"Cannot create the folder for the secret key file {path}: {error.strerror}"
        ) from None
    secret = secrets.token_bytes(SECRET_BYTES)
    content = (encode_secret(secret) + "\n").encode("ascii")
    # Written under a temporary name and linked into place, so no reader ever sees half a
    # key and a key written by a concurrent process is never replaced.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_private(temporary, content)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return None
        except OSError:
            # Filesystems without hard links: exclusive create is still safe, only not atomic.
            try:
                _write_private(path, content)
            except FileExistsError:
                return None
    except OSError as error:
        raise SecretKeyError(
            f"Cannot create the secret key file {path}: {error.strerror}"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)
    return secret


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    # A key lost to a power cut after data was sealed with it would lose that data.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _derive(secret: bytes, info: bytes) -> bytes:
    if len(secret) < SECRET_BYTES:
        raise ValueError(f"the secret must be at least {SECRET_BYTES} bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return hkdf.derive(secret)


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one named use outside the database (e.g. the Matrix crypto
    store's pickle key), unrelated to every other key derived from the secret."""
    return _derive(secret, f"hearth {purpose} v1".encode())


# --- sealed fields -----------------------------------------------------------------------------


class Sealer:
    """AES-GCM encryption of a text bound to the row it belongs to.

    Tokens read `hs1.<key id>.<base64url(nonce || ciphertext)>`. The key id (first 4 bytes of
    SHA-256 of the derived key) tells keys apart during rotation without revealing them; the
    header and the row's `context` are authenticated, so a token copied to another row, or
    with its header changed, does not open.
    """

    def __init__(self, secret: bytes) -> None:
        key = _derive(secret, _SEAL_INFO)
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).digest()[:4].hex()
        self._header = f"{TOKEN_VERSION}.{self.key_id}."

    def __repr__(self) -> str:
        return f"Sealer(key_id={self.key_id!r})"

    def seal(self, plaintext: str, context: str) -> str:
        """Encrypt `plaintext` for the row named by `context`, e.g. "checkins.note:42"."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._aad(context))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return self._header + body

    def open(self, token: str, context: str) -> str:
        """The plaintext of `token`; SealError unless it was sealed by this key for `context`."""
        if not (isinstance(token, str) and token.startswith(self._header)):
            key_id = token_key_id(token)  # says why: not a token, or another key's
            raise SealError(
                f"Token was sealed with another key (key id {key_id}, this key is {self.key_id})"
            )
        raw = _unbase64(token[len(self._header) :])
        if raw is None or len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise SealError("Token is damaged")
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        try:
            plaintext = self._aead.decrypt(nonce, sealed, self._aad(context))
        except InvalidTag:
            raise SealError(
                "Token does not open for this context: it belongs to another row or was altered"
            ) from None
        return plaintext.decode("utf-8")

    def reseal(self, token: str, context: str, new_sealer: Sealer) -> str:
        """The same plaintext sealed under `new_sealer`, for key rotation.

        A token already under the new key is checked and returned as it is, so a rotation
        that stopped half-way can simply be run again.
        """
        if token_key_id(token) == new_sealer.key_id:
            new_sealer.open(token, context)
            return token
        return new_sealer.seal(self.open(token, context), context)

    def _aad(self, context: str) -> bytes:
        if not isinstance(context, str) or not context:
            raise ValueError("context must name the row, e.g. 'checkins.note:42'")
        # The header has a fixed length, so header + context cannot be split two ways.
        return self._header.encode("ascii") + context.encode("utf-8")


def token_key_id(token: str) -> str:
    """The key id in a sealed token's header (hex); SealError if it is not a Hearth token."""
    if not isinstance(token, str):
        raise SealError("Token is not text")
    version, _, rest = token.partition(".")
    key_id, dot, _body = rest.partition(".")
    if version != TOKEN_VERSION or not dot or not re.fullmatch(r"[0-9a-f]{8}", key_id):
        raise SealError(f"Not a Hearth sealed token (expected a {TOKEN_VERSION}. prefix)")
    return key_id


def _unbase64(text: str) -> bytes | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


# --- pseudonyms --------------------------------------------------------------------------------


def pseudonym(secret: bytes, community: str, platform: str, user_id: str) -> str:
    """The author key of rows written before migration 7 (one per member and
    community, the same on every item: what linked them). Only the upgrade
    (bot/privacy_upgrade.py) computes it now, to find those rows' authors."""
    key = _derive(secret, _PSEUDONYM_INFO)
    # Length-prefixed, so ("a", "bc") and ("ab", "c") can never hash alike.
    message = b"".join(
        len(encoded).to_bytes(4, "big") + encoded
        for encoded in (part.encode("utf-8") for part in (community, platform, user_id))
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- keyed lookups -----------------------------------------------------------------------------


def keyed_hash(key: bytes, *parts: str) -> str:
    """A 128-bit keyed hash of `parts` (hex): equal inputs meet in an index; without
    the key nothing can be recomputed, guessed or compared. BLAKE2b in its keyed
    mode is a MAC in one call, fast enough for every event's member lookup."""
    return KeyedHash(key)(*parts)


class KeyedHash:
    """`keyed_hash` under one key, prepared once (the key block is hashed once)."""

    def __init__(self, key: bytes) -> None:
        self._base = hashlib.blake2b(key=key, digest_size=16)

    def __call__(self, *parts: str) -> str:
        # Each part prefixed by its length, so ("a", "bc") and ("ab", "c") never hash alike.
        hasher = self._base.copy()
        hasher.update("".join([f"{len(part)}:{part}" for part in parts]).encode())
        return hasher.hexdigest()

    def three(self, first: str, a: str, b: str) -> str:
        """The same as `self(first, a, b)`, by the shortest path: every event's
        member lookup goes through here."""
        hasher = self._base.copy()
        hasher.update(f"{len(first)}:{first}{len(a)}:{a}{len(b)}:{b}".encode())
        return hasher.hexdigest()


def lookup_key(secret: bytes) -> bytes:
    """The key of every deployment-wide lookup hash (member rows, outbox keys, blocks)."""
    return _derive(secret, _LOOKUP_INFO)
