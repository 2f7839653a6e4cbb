"""Shares and replies as stored: numbered per community, bodies sealed,
authors only as an owner token and an expiring sealed link (bot/anonymity.py);
dated to the day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.anonymity import open_link, own_tokens, seal_link
from bot.localtime import day_floor
from bot.port import Member
from bot.storage import Transaction
from bot.vault import (
    REPLY_AUTHOR,
    REPLY_BODY,
    SHARE_AUTHOR,
    SHARE_BODY,
    SHARE_WARNING,
    Vault,
)

REFERENCE = re.compile(r"^#?(\d{1,9})(?:\.(\d{1,6}))?$")


@dataclass(frozen=True)
class Share:
    id: int
    community: str
    number: int
    status: str  # pending | held | published | rejected | removed | deleted
    crisis: bool
    content_warning: str | None
    body: str | None
    owner: str
    author_link: str | None
    link_expires_at: int | None

    def author(self, vault: Vault, now: datetime) -> Member | None:
        return open_link(vault, SHARE_AUTHOR, self.id, self.author_link, self.link_expires_at, now)


@dataclass(frozen=True)
class Reply:
    id: int
    share_id: int
    share_number: int
    number: int
    status: str  # published | held | removed
    body: str | None
    owner: str
    author_link: str | None
    link_expires_at: int | None

    @property
    def label(self) -> str:
        return f"{self.share_number}.{self.number}"

    def author(self, vault: Vault, now: datetime) -> Member | None:
        return open_link(vault, REPLY_AUTHOR, self.id, self.author_link, self.link_expires_at, now)


def parse_reference(word: str | None) -> tuple[int, int | None] | None:
    """`4` → (4, None); `#4.2` → (4, 2): share 4, or its reply 2."""
    match = REFERENCE.match(word or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _share(vault: Vault, row: object) -> Share:
    share_id = row["id"]  # type: ignore[index]
    body, warning = row["body"], row["content_warning"]  # type: ignore[index]
    return Share(
        id=share_id,
        community=row["community"],  # type: ignore[index]
        number=row["number"],  # type: ignore[index]
        status=row["status"],  # type: ignore[index]
        crisis=bool(row["crisis"]),  # type: ignore[index]
        content_warning=vault.open(SHARE_WARNING, share_id, warning) if warning else None,
        body=vault.open(SHARE_BODY, share_id, body) if body else None,
        owner=row["owner"],  # type: ignore[index]
        author_link=row["author_link"],  # type: ignore[index]
        link_expires_at=row["link_expires_at"],  # type: ignore[index]
    )


async def find_share(tx: Transaction, vault: Vault, community: str, number: int) -> Share | None:
    row = await tx.fetchrow(
        "SELECT * FROM shares WHERE community = $1 AND number = $2", community, number
    )
    return None if row is None else _share(vault, row)


async def share_by_id(tx: Transaction, vault: Vault, share_id: int) -> Share | None:
    row = await tx.fetchrow("SELECT * FROM shares WHERE id = $1", share_id)
    return None if row is None else _share(vault, row)


async def shares_by_author(
    tx: Transaction, vault: Vault, community: str, secret: bytes
) -> list[Share]:
    """The shares of the member whose secret this is, in `community`."""
    tokens = await own_tokens(tx, "shares", secret, "share", community)
    rows = await _owned(tx, "SELECT * FROM shares WHERE owner = $1", tokens)
    return sorted((_share(vault, row) for row in rows), key=lambda share: share.number)


async def replies_by_author(
    tx: Transaction, vault: Vault, community: str, secret: bytes
) -> list[Reply]:
    tokens = await own_tokens(tx, "share_replies", secret, "reply", community)
    rows = await _owned(
        tx,
        "SELECT r.*, s.number AS share_number FROM share_replies r "
        "JOIN shares s ON s.id = r.share_id WHERE r.owner = $1",
        tokens,
    )
    replies = (_reply(vault, row, row["share_number"]) for row in rows)
    return sorted(replies, key=lambda reply: (reply.share_number, reply.number))


async def _owned(tx: Transaction, sql: str, tokens: list[str]) -> list[object]:
    """The row `sql` finds for each owner token (one index probe each)."""
    found = [await tx.fetchrow(sql, token) for token in tokens]
    return [row for row in found if row is not None]


async def next_number(tx: Transaction, community: str) -> int:
    """The community's next share number: atomic, so concurrent shares never
    collide and numbers have no gaps."""
    await tx.execute(
        "INSERT INTO share_numbers (community, last_number) VALUES ($1, 0) "
        "ON CONFLICT (community) DO NOTHING",
        community,
    )
    return int(
        await tx.fetchval(
            "UPDATE share_numbers SET last_number = last_number + 1 WHERE community = $1 "
            "RETURNING last_number",
            community,
        )
    )


async def insert_share(
    tx: Transaction,
    vault: Vault,
    *,
    community: str,
    status: str,
    crisis: bool,
    content_warning: str | None,
    body: str,
    owner: str,
    author: Member,
    link_days: int,
    now: datetime,
    zone: ZoneInfo,
) -> Share:
    number = await next_number(tx, community)
    share_id = await tx.fetchval(
        "INSERT INTO shares (community, number, status, crisis, owner, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        community,
        number,
        status,
        int(crisis),
        owner,
        day_floor(now, zone),
    )
    link = seal_link(vault, SHARE_AUTHOR, share_id, author, now, link_days)
    await tx.execute(
        "UPDATE shares SET body = $1, content_warning = $2, author_link = $3, "
        "link_expires_at = $4 WHERE id = $5",
        vault.seal(SHARE_BODY, share_id, body),
        vault.seal(SHARE_WARNING, share_id, content_warning) if content_warning else None,
        link.token,
        link.expires_at,
        share_id,
    )
    return await share_by_id(tx, vault, share_id)  # type: ignore[return-value]


async def set_status(
    tx: Transaction, share_id: int, status: str, *, erase: bool = False, keep_link: bool = False
) -> None:
    """Change a share's status; `erase` forgets its words and its author link for good
    (`keep_link`: the link stays until it expires, for a block after a moderator's decision)."""
    if erase and keep_link:
        await tx.execute(
            "UPDATE shares SET status = $1, body = NULL, content_warning = NULL WHERE id = $2",
            status,
            share_id,
        )
    elif erase:
        await tx.execute(
            "UPDATE shares SET status = $1, body = NULL, content_warning = NULL, "
            "author_link = NULL, link_expires_at = NULL WHERE id = $2",
            status,
            share_id,
        )
    else:
        await tx.execute("UPDATE shares SET status = $1 WHERE id = $2", status, share_id)


def _reply(vault: Vault, row: object, share_number: int) -> Reply:
    reply_id, body = row["id"], row["body"]  # type: ignore[index]
    return Reply(
        id=reply_id,
        share_id=row["share_id"],  # type: ignore[index]
        share_number=share_number,
        number=row["number"],  # type: ignore[index]
        status=row["status"],  # type: ignore[index]
        body=vault.open(REPLY_BODY, reply_id, body) if body else None,
        owner=row["owner"],  # type: ignore[index]
        author_link=row["author_link"],  # type: ignore[index]
        link_expires_at=row["link_expires_at"],  # type: ignore[index]
    )


async def insert_reply(
    tx: Transaction,
    vault: Vault,
    share: Share,
    *,
    status: str,
    body: str,
    owner: str,
    author: Member,
    link_days: int,
    now: datetime,
    zone: ZoneInfo,
) -> Reply:
    number = await tx.fetchval(
        "UPDATE shares SET last_reply_number = last_reply_number + 1 WHERE id = $1 "
        "RETURNING last_reply_number",
        share.id,
    )
    reply_id = await tx.fetchval(
        "INSERT INTO share_replies (share_id, number, status, owner, created_at) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        share.id,
        number,
        status,
        owner,
        day_floor(now, zone),
    )
    link = seal_link(vault, REPLY_AUTHOR, reply_id, author, now, link_days)
    await tx.execute(
        "UPDATE share_replies SET body = $1, author_link = $2, link_expires_at = $3 WHERE id = $4",
        vault.seal(REPLY_BODY, reply_id, body),
        link.token,
        link.expires_at,
        reply_id,
    )
    return await find_reply(tx, vault, share, number)  # type: ignore[return-value]


async def find_reply(tx: Transaction, vault: Vault, share: Share, number: int) -> Reply | None:
    row = await tx.fetchrow(
        "SELECT * FROM share_replies WHERE share_id = $1 AND number = $2", share.id, number
    )
    return None if row is None else _reply(vault, row, share.number)


async def replies_of(tx: Transaction, vault: Vault, share: Share) -> list[Reply]:
    rows = await tx.fetch(
        "SELECT * FROM share_replies WHERE share_id = $1 ORDER BY number", share.id
    )
    return [_reply(vault, row, share.number) for row in rows]


async def set_reply_status(
    tx: Transaction, reply_id: int, status: str, *, erase: bool = False, keep_link: bool = False
) -> None:
    if erase and keep_link:
        await tx.execute(
            "UPDATE share_replies SET status = $1, body = NULL WHERE id = $2", status, reply_id
        )
    elif erase:
        await tx.execute(
            "UPDATE share_replies SET status = $1, body = NULL, author_link = NULL, "
            "link_expires_at = NULL WHERE id = $2",
            status,
            reply_id,
        )
    else:
        await tx.execute("UPDATE share_replies SET status = $1 WHERE id = $2", status, reply_id)
