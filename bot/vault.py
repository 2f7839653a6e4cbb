"""What the deployment secret protects: which columns hold sealed text, how
they are sealed to their row, author pseudonyms, and key rotation.

One list (`SEALED_FIELDS`) names every encrypted column, so rotation, export
and the at-rest audit cannot miss one.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.crypto import Sealer, derive_key, pseudonym
from bot.port import Member
from bot.storage import Database


@dataclass(frozen=True)
class SealedField:
    table: str
    key_column: str  # what identifies the row; bound into the ciphertext
    column: str
    #: for links to an anonymous author: the column saying when the link
    #: expires; housekeeping erases the sealed value after that
    expires_column: str | None = None

    def context(self, row_key: object) -> str:
        return f"{self.table}.{self.column}:{row_key}"


CHECKIN_NOTE = SealedField("checkins", "id", "note")
OUTBOX_BODY = SealedField("outbox", "idempotency_key", "body")
SHARE_BODY = SealedField("shares", "id", "body")
SHARE_WARNING = SealedField("shares", "id", "content_warning")
SHARE_AUTHOR = SealedField("shares", "id", "author_link", "link_expires_at")
REPLY_BODY = SealedField("share_replies", "id", "body")
REPLY_AUTHOR = SealedField("share_replies", "id", "author_link", "link_expires_at")
REPORT_REASON = SealedField("share_reports", "id", "reason")
DRAFT_BODY = SealedField("share_drafts", "id", "body")
DRAFT_WARNING = SealedField("share_drafts", "id", "content_warning")
CELEBRATION_AUTHOR = SealedField(
    "celebrations", "id", "author_link", expires_column="author_link_expires_at"
)
# Every sealed column, whichever feature owns it: rotation and audits read this list.
SEALED_FIELDS: tuple[SealedField, ...] = (
    CHECKIN_NOTE,
    OUTBOX_BODY,
    SHARE_BODY,
    SHARE_WARNING,
    SHARE_AUTHOR,
    REPLY_BODY,
    REPLY_AUTHOR,
    REPORT_REASON,
    DRAFT_BODY,
    DRAFT_WARNING,
    CELEBRATION_AUTHOR,
)


class Vault:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self.sealer = Sealer(secret)

    def seal(self, field: SealedField, row_key: object, text: str) -> str:
        return self.sealer.seal(text, field.context(row_key))

    def open(self, field: SealedField, row_key: object, token: str) -> str:
        return self.sealer.open(token, field.context(row_key))

    def derive_key(self, purpose: str) -> bytes:
        """A key for one use outside the database, e.g. "matrix store"."""
        return derive_key(self._secret, purpose)

    def pseudonym(self, community: str, member: Member) -> str:
        """Who wrote something anonymous, as only this deployment's key can tell."""
        return pseudonym(self._secret, community, member.platform, member.user_id)

    def __repr__(self) -> str:
        return f"Vault(key_id={self.sealer.key_id!r})"


async def rotate(db: Database, old: Vault, new: Vault) -> int:
    """Re-seal every sealed value under `new`, all in one transaction; return how many."""
    count = 0
    async with db.transaction() as tx:
        for field in SEALED_FIELDS:
            rows = await tx.fetch(
                f"SELECT {field.key_column}, {field.column} FROM {field.table} "
                f"WHERE {field.column} IS NOT NULL"
            )
            for row_key, token in rows:
                context = field.context(row_key)
                await tx.execute(
                    f"UPDATE {field.table} SET {field.column} = $1 WHERE {field.key_column} = $2",
                    old.sealer.reseal(token, context, new.sealer),
                    row_key,
                )
                count += 1
    return count
