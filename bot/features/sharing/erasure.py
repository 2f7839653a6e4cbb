"""A member's anonymous content for `mydata export` and `mydata delete`.

Found through the member's pseudonym in each community, never through a
stored link: the database alone cannot say which shares are theirs."""

from __future__ import annotations

from typing import Any

from bot.anonymity import author_key
from bot.commands import Request
from bot.features.sharing import store
from bot.features.sharing.commands import take_down_share


def _keys(req: Request) -> list[tuple[str, str]]:
    member = req.event.member
    return [
        (community.name, author_key(req.vault, community.name, member))
        for community in req.config.communities_on(member.platform)
    ]


async def export(req: Request) -> list[dict[str, Any]]:
    shares = []
    for community, key in _keys(req):
        for item in await store.shares_by_author(req.tx, req.vault, community, key):
            shares.append(
                {
                    "community": community,
                    "number": item.number,
                    "status": item.status,
                    "content_warning": item.content_warning,
                    "text": item.body,
                }
            )
    return shares


async def erase(req: Request) -> None:
    """Everything keyed to this member's pseudonym goes; their published shares
    are taken down unless the community keeps them (`sharing.remove_on_erase`)."""
    for community_name, key in _keys(req):
        community = req.config.community(community_name)
        assert community is not None
        for item in await store.shares_by_author(req.tx, req.vault, community_name, key):
            if item.status == "published" and not community.sharing.remove_on_erase:
                await req.tx.execute(  # stays up, but nothing links it to anyone any more
                    "UPDATE shares SET author_link = NULL, link_expires_at = NULL, "
                    "author_key = 'erased' WHERE id = $1",
                    item.id,
                )
                continue
            if item.status not in ("deleted", "removed", "rejected"):
                scoped = Request(
                    req.event,
                    req.member,
                    community,
                    req.tx,
                    req.now,
                    req.args,
                    req.vault,
                    req.config,
                )
                await take_down_share(scoped, item, "deleted")
            await req.tx.execute("UPDATE shares SET author_key = 'erased' WHERE id = $1", item.id)
        await req.tx.execute(
            "UPDATE share_replies SET author_link = NULL, link_expires_at = NULL, "
            "author_key = 'erased' WHERE author_key = $1",
            key,
        )
        for table, column in (
            ("share_supports", "supporter_key"),
            ("share_reports", "reporter_key"),
            ("share_drafts", "author_key"),
        ):
            await req.tx.execute(f"DELETE FROM {table} WHERE {column} = $1", key)
