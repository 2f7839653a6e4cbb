"""What the deployment secret protects: which columns hold sealed text, how
they are sealed to their row, author pseudonyms, and key rotation.

One list (`SEALED_FIELDS`) names every encrypted column, so rotation, export
and the at-rest audit cannot miss one.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.crypto import KeyedHash, Sealer, SealError, derive_key, lookup_key
from bot.port import Member


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


MEMBER_IDENTITY = SealedField("members", "id", "identity")  # the platform's user id
MEMBER_SECRET = SealedField("members", "id", "secret")  # the key of their anonymous tokens
CHECKIN_NOTE = SealedField("checkins", "id", "note")
OUTBOX_BODY = SealedField("outbox", "id", "body")
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
BLOCKED_IDENTITY = SealedField("share_blocks", "id", "identity")
COUNTER_STATE = SealedField("milestone_counters", "id", "state")
# One row per member and community: the key is both, as "42:lighthouse" (an SQL expression
# both engines evaluate alike, so rotation can select and update by it).
STREAK_STATE = SealedField("streak_milestones", "(member_id || ':' || community)", "state")
CELEBRATION_KIND = SealedField("celebrations", "id", "kind")
CELEBRATION_BODY = SealedField("celebrations", "id", "body")  # only while held for review
MODERATOR_IDENTITY = SealedField("moderation_log", "id", "moderator")
OUTBOX_MESSAGE = SealedField("outbox", "id", "message_id")
# The last display name seen for a member (a named celebration a job posts).
MEMBER_NAME = SealedField("member_names", "member_id", "name")
# A member's safety plan, its six steps in their own words (bot/features/safetyplan/).
SAFETY_PLAN = SealedField("safety_plans", "member_id", "steps")
# A member's buddy interests, per community ("42:lighthouse"), and the interest a
# proposed pairing shares (bot/features/buddies/).
BUDDY_TAGS = SealedField("buddy_members", "(member_id || ':' || community)", "tags")
BUDDY_PAIR_TAG = SealedField("buddy_pairs", "id", "tag")
# An adapter's value for one member (a Matrix DM room id), by member and name, as
# "42:dm_room" (bot/adapter_store.py).
ADAPTER_MEMBER_STATE = SealedField("adapter_member_state", "(member_id || ':' || name)", "value")
# Migration 5's table, until migration 9 carries it into ADAPTER_MEMBER_STATE: for the
# upgrades only (bot/privacy_upgrade.py), so not among the fields of today's schema.
MATRIX_DM_ROOM = SealedField("matrix_dm_rooms", "member_id", "room_id")
# An encouragement note's words, and its writer for thank-yous (bot/features/encouragement/).
ENCOURAGEMENT_BODY = SealedField("encouragement_notes", "id", "body")
ENCOURAGEMENT_AUTHOR = SealedField(
    "encouragement_notes", "id", "author_link", expires_column="author_link_expires_at"
)
# A crisis alert: what it is about, and the moderator who took it (bot/safety/alerts.py).
# Sealed, so a copy cannot tell one kind of alert from another.
ALERT_WHAT = SealedField("crisis_alerts", "id", "what")
ALERT_TAKEN_BY = SealedField("crisis_alerts", "id", "taken_by")
# Every sealed column, whichever feature owns it: rotation and audits read this list.
SEALED_FIELDS: tuple[SealedField, ...] = (
    MEMBER_IDENTITY,
    MEMBER_SECRET,
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
    BLOCKED_IDENTITY,
    MODERATOR_IDENTITY,
    OUTBOX_MESSAGE,
    ADAPTER_MEMBER_STATE,
    COUNTER_STATE,
    STREAK_STATE,
    CELEBRATION_KIND,
    CELEBRATION_BODY,
    MEMBER_NAME,
    ALERT_WHAT,
    ALERT_TAKEN_BY,
    ENCOURAGEMENT_BODY,
    ENCOURAGEMENT_AUTHOR,
    BUDDY_TAGS,
    BUDDY_PAIR_TAG,
    SAFETY_PLAN,
)


class Vault:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self.sealer = Sealer(secret)
        self._lookup = KeyedHash(lookup_key(secret))

    def seal(self, field: SealedField, row_key: object, text: str) -> str:
        return self.sealer.seal(text, field.context(row_key))

    def open(self, field: SealedField, row_key: object, token: str) -> str:
        return self.sealer.open(token, field.context(row_key))

    def seal_text(self, context: str, value: str) -> str:
        """Seal what lives outside the database (an adapter's login token) to `context`."""
        return self.sealer.seal(value, context)

    def open_text(self, context: str, token: str) -> str | None:
        """What `seal_text` sealed, or None if `token` does not open here (another
        secret, another context, altered)."""
        try:
            return self.sealer.open(token, context)
        except SealError:
            return None

    def derive_key(self, purpose: str) -> bytes:
        """A key for one use outside the database, e.g. "matrix store"."""
        return derive_key(self._secret, purpose)

    def lookup(self, *parts: str) -> str:
        """A keyed hash to find a row by what it stands for (a member, an outbox key)
        without storing it: one index probe for Hearth, nothing for a copy without the key."""
        return self._lookup(*parts)

    def secret_for_upgrade(self) -> bytes:
        """The deployment secret itself, for migration 7 only: it recomputes the
        pseudonyms that rows written before it carry (bot/privacy_upgrade.py)."""
        return self._secret

    def member_lookup(self, member: Member) -> str:
        return self._lookup.three("member", member.platform, member.user_id)

    def __repr__(self) -> str:
        return f"Vault(key_id={self.sealer.key_id!r})"
