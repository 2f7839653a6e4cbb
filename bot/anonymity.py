"""Authorship of anonymous content, without ever storing who wrote it.

A row of anonymous content (a share, a reply, an anonymous celebration)
carries two things about its author:
- `author_key`: a keyed pseudonym (HMAC of community and member under the
  deployment secret). It recognises the same author again — for cooldowns,
  blocks, "my shares" and deleting one's own — but cannot be turned back into
  an account without the key.
- `author_link`: the member, sealed to that very row, so Hearth can relay
  replies and support to them; it expires after `sharing.link_days` and is
  then erased by housekeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.crypto import SealError
from bot.localtime import epoch
from bot.port import Member
from bot.vault import SealedField, Vault

_SEPARATOR = "\x1f"  # cannot occur in a platform name


@dataclass(frozen=True)
class AuthorLink:
    token: str
    expires_at: int  # UTC seconds


def author_key(vault: Vault, community: str, member: Member) -> str:
    return vault.pseudonym(community, member)


def seal_link(
    vault: Vault, field: SealedField, row_key: object, member: Member, now: datetime, days: int
) -> AuthorLink:
    """The author, sealed to the row `row_key` of `field`, valid for `days`."""
    plain = member.platform + _SEPARATOR + member.user_id
    return AuthorLink(vault.seal(field, row_key, plain), epoch(now + timedelta(days=days)))


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
    try:
        platform, user_id = vault.open(field, row_key, token).split(_SEPARATOR, 1)
    except (SealError, ValueError):
        return None
    return Member(platform, user_id)
