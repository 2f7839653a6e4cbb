"""Authorship of anonymous content, without ever storing who wrote it, and
without anything that ties two anonymous items together (docs/privacy.md).

A row of anonymous content (a share, a reply, an anonymous celebration)
carries two things about its author:
- `owner`: a token only its author can recompute. It is the keyed hash of
  (kind, community, k) under the author's own random secret (sealed in their
  member row), for their k-th item of that kind: every token differs from
  every other, so a copy of the database cannot tell that two items share an
  author, and Hearth finds a member's items by recomputing k = 1, 2, … — a few
  index probes, proportional to what they wrote, never a scan. Support,
  reports and cheers carry a token of (kind, target) instead: one per member
  and target, so a second tap is recognised, and still unlike any other.
  The secret goes with `mydata delete`: the tokens left behind point to no one.
- `author_link`: the member, sealed to that very row, so Hearth can relay
  replies and support to them; it expires after `sharing.link_days` and is
  then erased by housekeeping.

Rotating the deployment key reseals the secrets; the tokens stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.crypto import SealError, keyed_hash
from bot.localtime import DAY_SECONDS, day_floor, epoch
from bot.port import Member
from bot.storage import Transaction
from bot.vault import SealedField, Vault

_SEPARATOR = "\x1f"  # cannot occur in a platform name
PROBE = 16  # tokens looked up per statement when recomputing a member's items


@dataclass(frozen=True)
class AuthorLink:
    token: str
    expires_at: int  # UTC seconds


def item_token(secret: bytes, kind: str, scope: str, k: int) -> str:
    """The owner token of a member's k-th item of `kind` in `scope` (a community)."""
    return keyed_hash(secret, "item", kind, scope, str(k))


def target_token(secret: bytes, kind: str, *target: object) -> str:
    """A member's token for one act on one target (support for share 12)."""
    return keyed_hash(secret, "target", kind, *map(str, target))


async def own_tokens(
    tx: Transaction, table: str, secret: bytes, kind: str, scope: str
) -> list[str]:
    """The owner tokens of every `kind` item in `table` this member holds in `scope`.

    Items are never deleted (taken down, their words erased), so the member's
    tokens are dense from k = 1: a batch with no hit is past the last one."""
    found: list[str] = []
    start = 1
    while True:
        batch = [item_token(secret, kind, scope, k) for k in range(start, start + PROBE)]
        marks = ", ".join(f"${i + 1}" for i in range(len(batch)))
        rows = await tx.fetch(f"SELECT owner FROM {table} WHERE owner IN ({marks})", *batch)
        present = {row["owner"] for row in rows}
        if not present:
            return found
        found.extend(token for token in batch if token in present)
        start += PROBE


async def new_token(tx: Transaction, table: str, secret: bytes, kind: str, scope: str) -> str:
    """The owner token for this member's next item. Safe against a concurrent
    request of the same member: those are serialised per member (bot/app.py),
    and the unique index on `owner` refuses a second row with the same token."""
    taken = set(await own_tokens(tx, table, secret, kind, scope))
    k = 1
    while item_token(secret, kind, scope, k) in taken:
        k += 1
    return item_token(secret, kind, scope, k)


def seal_link(
    vault: Vault, field: SealedField, row_key: object, member: Member, now: datetime, days: int
) -> AuthorLink:
    """The author, sealed to the row `row_key` of `field`, valid for `days` (to the
    end of that day: an expiry to the second would date the item)."""
    expires = day_floor(now + timedelta(days=days)) + DAY_SECONDS
    return AuthorLink(seal_member(vault, field, row_key, member), expires)


def open_link(
    vault: Vault,
    field: SealedField,
    row_key: object,
    token: str | None,
    expires_at: int | None,
    now: datetime,
) -> Member | None:
    """The author, while the link lasts; None once it has expired or was erased."""
    if token is None or expires_at is None or expires_at < epoch(now):
        return None
    return open_member(vault, field, row_key, token)


def seal_member(vault: Vault, field: SealedField, row_key: object, member: Member) -> str:
    return vault.seal(field, row_key, member.platform + _SEPARATOR + member.user_id)


def open_member(vault: Vault, field: SealedField, row_key: object, token: str) -> Member | None:
    try:
        platform, user_id = vault.open(field, row_key, token).split(_SEPARATOR, 1)
    except (SealError, ValueError):
        return None
    return Member(platform, user_id)
