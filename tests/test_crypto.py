"""The deployment secret, sealed fields and pseudonyms."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from bot.crypto import (
    ENV_VAR,
    Sealer,
    SealError,
    SecretKeyError,
    decode_secret,
    encode_secret,
    load_or_create_secret,
    pseudonym,
    token_key_id,
)

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


# --- sealing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("plaintext", ["", "a note", "ünïcødé 🌱\nsecond line", "x" * 5000])
def test_round_trip(plaintext: str) -> None:
    sealer = Sealer(SECRET)
    token = sealer.seal(plaintext, "checkins.note:42")
    assert plaintext not in token or not plaintext
    assert sealer.open(token, "checkins.note:42") == plaintext
    # A new Sealer from the same secret opens it too: nothing lives only in memory.
    assert Sealer(SECRET).open(token, "checkins.note:42") == plaintext


def test_token_format() -> None:
    sealer = Sealer(SECRET)
    token = sealer.seal("hello", "shares.author_link:7")
    version, key_id, body = token.split(".")
    assert version == "hs1"
    assert key_id == sealer.key_id == token_key_id(token)
    assert len(key_id) == 8
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(raw) == 12 + len("hello") + 16  # nonce, ciphertext, tag


def test_nonces_are_fresh() -> None:
    sealer = Sealer(SECRET)
    assert sealer.seal("same", "t:1") != sealer.seal("same", "t:1")


def test_wrong_context_fails() -> None:
    sealer = Sealer(SECRET)
    token = sealer.seal("a note", "checkins.note:42")
    with pytest.raises(SealError, match="another row"):
        sealer.open(token, "checkins.note:43")


def test_wrong_key_fails() -> None:
    token = Sealer(SECRET).seal("a note", "checkins.note:42")
    with pytest.raises(SealError, match="another key"):
        Sealer(OTHER_SECRET).open(token, "checkins.note:42")


def test_forged_key_id_still_fails() -> None:
    token = Sealer(SECRET).seal("a note", "t:1")
    other = Sealer(OTHER_SECRET)
    forged = f"hs1.{other.key_id}." + token.split(".")[2]
    with pytest.raises(SealError):
        other.open(forged, "t:1")


def test_tampering_fails() -> None:
    sealer = Sealer(SECRET)
    token = sealer.seal("a note", "t:1")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (
        flipped,
        token[:-4],
        "hs1." + sealer.key_id + ".",
        "not a token",
        "hs2" + token[3:],
    ):
        with pytest.raises(SealError):
            sealer.open(bad, "t:1")


def test_empty_context_is_refused() -> None:
    with pytest.raises(ValueError):
        Sealer(SECRET).seal("a note", "")


def test_reseal_moves_a_token_to_the_new_key() -> None:
    old, new = Sealer(SECRET), Sealer(OTHER_SECRET)
    assert old.key_id != new.key_id
    token = old.seal("a note", "t:1")
    moved = old.reseal(token, "t:1", new)
    assert token_key_id(moved) == new.key_id
    assert new.open(moved, "t:1") == "a note"
    with pytest.raises(SealError):
        old.open(moved, "t:1")
    # Running a rotation again is harmless.
    assert old.reseal(moved, "t:1", new) == moved
    with pytest.raises(SealError):
        old.reseal(moved, "t:2", new)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Sealer(b"too short")


def test_repr_shows_no_key() -> None:
    assert repr(Sealer(SECRET)) == f"Sealer(key_id={Sealer(SECRET).key_id!r})"


# --- pseudonyms --------------------------------------------------------------------------------


def test_pseudonym_is_stable_hex() -> None:
    first = pseudonym(SECRET, "example", "discord", "1234")
    assert first == pseudonym(SECRET, "example", "discord", "1234")
    assert len(first) == 64
    int(first, 16)
    assert "1234" not in first


def test_pseudonym_differs_per_community_platform_member_and_key() -> None:
    base = pseudonym(SECRET, "example", "discord", "1234")
    assert pseudonym(SECRET, "other", "discord", "1234") != base
    assert pseudonym(SECRET, "example", "matrix", "1234") != base
    assert pseudonym(SECRET, "example", "discord", "1235") != base
    assert pseudonym(OTHER_SECRET, "example", "discord", "1234") != base


def test_pseudonym_parts_cannot_slide_into_each_other() -> None:
    assert pseudonym(SECRET, "a", "bc", "d") != pseudonym(SECRET, "ab", "c", "d")
    assert pseudonym(SECRET, "x", "y", "zz") != pseudonym(SECRET, "x", "yz", "z")
    assert pseudonym(SECRET, "", "ab", "c") != pseudonym(SECRET, "a", "b", "c")


def test_pseudonym_and_seal_keys_are_separate() -> None:
    # Same secret, different HKDF info: the pseudonym is not the seal key's id or vice versa.
    assert Sealer(SECRET).key_id not in pseudonym(SECRET, "", "", "")


# --- the secret --------------------------------------------------------------------------------


@posix_only
def test_file_is_created_private_with_its_folders(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "deeper" / "hearth.key"
    secret = load_or_create_secret(key_file, environ={})
    assert len(secret) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert decode_secret(key_file.read_text()) == secret
    assert load_or_create_secret(key_file, environ={}) == secret
    assert [p.name for p in key_file.parent.iterdir()] == ["hearth.key"]  # no temporary left


def test_two_deployments_get_different_secrets(tmp_path: Path) -> None:
    assert load_or_create_secret(tmp_path / "a.key", environ={}) != load_or_create_secret(
        tmp_path / "b.key", environ={}
    )


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_file_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "hearth.key"
    key_file.write_text(encode_secret(SECRET))
    key_file.chmod(mode)
    with pytest.raises(SecretKeyError, match="chmod 600") as caught:
        load_or_create_secret(key_file, environ={})
    assert encode_secret(SECRET) not in str(caught.value)
    assert key_file.read_text() == encode_secret(SECRET)  # never replaced


@posix_only
@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"", "empty"),
        (b"not a key", "not a valid Hearth secret key"),
        (b"c2hvcnQ", "not a valid Hearth secret key"),  # base64 of 5 bytes
        (b"\xff\xfe\x00garbage", "not a valid Hearth secret key"),
    ],
)
def test_malformed_file_is_refused(tmp_path: Path, content: bytes, complaint: str) -> None:
    key_file = tmp_path / "hearth.key"
    key_file.write_bytes(content)
    key_file.chmod(0o600)
    with pytest.raises(SecretKeyError, match=complaint):
        load_or_create_secret(key_file, environ={})
    assert key_file.read_bytes() == content


def test_unreadable_path_is_refused(tmp_path: Path) -> None:
    # Tests may run as root, where chmod 000 does not stop reading; a folder cannot be read
    # as a key by anyone.
    key_file = tmp_path / "hearth.key"
    key_file.mkdir()
    with pytest.raises(SecretKeyError, match="not a regular file"):
        load_or_create_secret(key_file, environ={})


@posix_only
def test_file_accepts_hex_and_trailing_newline(tmp_path: Path) -> None:
    key_file = tmp_path / "hearth.key"
    key_file.write_text(SECRET.hex() + "\n")
    key_file.chmod(0o600)
    assert load_or_create_secret(key_file, environ={}) == SECRET


def test_env_var_wins_and_no_file_is_made(tmp_path: Path) -> None:
    key_file = tmp_path / "hearth.key"
    environ = {ENV_VAR: encode_secret(SECRET)}
    assert load_or_create_secret(key_file, environ=environ) == SECRET
    assert not key_file.exists()


@pytest.mark.parametrize(
    "written",
    [
        encode_secret(SECRET),
        encode_secret(SECRET) + "=",
        SECRET.hex(),
        SECRET.hex().upper(),
        base64.b64encode(SECRET).decode(),  # `openssl rand -base64 32`
        f"  {encode_secret(SECRET)}\n",
    ],
)
def test_env_var_forms(written: str) -> None:
    assert load_or_create_secret(None, environ={ENV_VAR: written}) == SECRET


@pytest.mark.parametrize(
    "written", ["hunter2", "a" * 64 + "!", encode_secret(SECRET)[:-4], SECRET.hex()[:-2]]
)
def test_malformed_env_var_is_refused_clearly(tmp_path: Path, written: str) -> None:
    with pytest.raises(SecretKeyError) as caught:
        load_or_create_secret(tmp_path / "hearth.key", environ={ENV_VAR: written})
    message = str(caught.value)
    assert ENV_VAR in message
    assert "32 random bytes" in message
    assert "secrets.token_urlsafe(32)" in message  # how to make a good one
    assert written not in message  # never echo a secret, even a broken one


def test_empty_env_var_falls_back_to_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "hearth.key"
    secret = load_or_create_secret(key_file, environ={ENV_VAR: "  "})
    assert key_file.exists()
    assert len(secret) == 32


def test_no_env_and_no_file_is_refused() -> None:
    with pytest.raises(SecretKeyError, match=ENV_VAR):
        load_or_create_secret(None, environ={})
