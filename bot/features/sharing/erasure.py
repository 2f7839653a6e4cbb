"""A member's anonymous content for `mydata export` and `mydata delete`.

Found by recomputing the member's owner tokens in each community (bot/anonymity.py),
never through a stored link: the database alone cannot say which items are theirs.
Support and reports carry a token per target, so they are found by recomputing
it for the community's shares."""

from __future__ import annotations

from typing import Any

from bot.anonymity import target_token
from bot.features.sharing import store
from bot.features.sharing.handlers import take_down_share
from bot.requests import Request
from bot.vault import REPORT_REASON


def _communities(req: Request) -> list[str]:
    return [c.name for c in req.config.communities_on(req.event.member.platform)]


async def _targeted(req: Request, community: str) -> list[tuple[str, int, object]]:
    """(kind, row id, row) of the support and reports this member gave in `community`."""
    secret, found = req.member.secret, []
    rows = await req.tx.fetch(
        "SELECT p.share_id, p.supporter_key, s.number FROM share_supports p "
        "JOIN shares s ON s.id = p.share_id WHERE s.community = $1",
        community,
    )
    for row in rows:
        if row["supporter_key"] == target_token(secret, "support", row["share_id"]):
            found.append(("support", row["share_id"], row))
    rows = await req.tx.fetch(
        "SELECT r.id, r.share_id, r.reply_number, r.reporter_key, r.reason, s.number "
        "FROM share_reports r JOIN shares s ON s.id = r.share_id WHERE r.community = $1",
        community,
    )
    for row in rows:
        mine = target_token(secret, "report", row["share_id"], row["reply_number"] or 0)
        if row["reporter_key"] == mine:
            found.append(("report", row["id"], row))
    return found


async def export(req: Request) -> dict[str, list[dict[str, Any]]]:
    shares, replies, support, reports = [], [], [], []
    for community in _communities(req):
        for item in await store.shares_by_author(req.tx, req.vault, community, req.member.secret):
            shares.append(
                {
                    "community": community,
                    "number": item.number,
                    "status": item.status,
                    "content_warning": item.content_warning,
                    "text": item.body,
                }
            )
        for reply in await store.replies_by_author(req.tx, req.vault, community, req.member.secret):
            replies.append(
                {
                    "community": community,
                    "reply": reply.label,
                    "status": reply.status,
                    "text": reply.body,
                }
            )
        for kind, row_id, row in await _targeted(req, community):
            if kind == "support":
                support.append({"community": community, "share": row["number"]})  # type: ignore[index]
            else:
                reason = row["reason"]  # type: ignore[index]
                label = str(row["number"]) + (  # type: ignore[index]
                    f".{row['reply_number']}" if row["reply_number"] else ""  # type: ignore[index]
                )
                reports.append(
                    {
                        "community": community,
                        "about": label,
                        "reason": req.vault.open(REPORT_REASON, row_id, reason) if reason else None,
                    }
                )
    return {
        "anonymous_shares": shares,
        "anonymous_replies": replies,
        "support_you_sent": support,
        "reports_you_sent": reports,
    }


async def erase(req: Request) -> None:
    """Everything this member wrote or sent anonymously goes; their published shares
    are taken down unless the community keeps them (`sharing.remove_on_erase`).
    What stays keeps its owner token, which points to no one once the member's
    secret is gone with their row."""
    secret = req.member.secret
    for community_name in _communities(req):
        community = req.config.community(community_name)
        assert community is not None
        for item in await store.shares_by_author(req.tx, req.vault, community_name, secret):
            if item.status == "published" and not community.sharing.remove_on_erase:
                await req.tx.execute(  # stays up, but nothing links it to anyone any more
                    "UPDATE shares SET author_link = NULL, link_expires_at = NULL WHERE id = $1",
                    item.id,
                )
                continue
            if item.status in ("removed", "rejected"):  # a moderator's decision kept the link
                await req.tx.execute(
                    "UPDATE shares SET author_link = NULL, link_expires_at = NULL WHERE id = $1",
                    item.id,
                )
            elif item.status != "deleted":
                scoped = Request(
                    req.event,
                    req.member,
                    community,
                    req.tx,
                    req.now,
                    req.args,
                    req.vault,
                    req.config,
                    locale=req.locale,
                )
                await take_down_share(scoped, item, "deleted")
        for reply in await store.replies_by_author(req.tx, req.vault, community_name, secret):
            await req.tx.execute(
                "UPDATE share_replies SET author_link = NULL, link_expires_at = NULL WHERE id = $1",
                reply.id,
            )
        for kind, row_id, row in await _targeted(req, community_name):
            if kind == "support":
                await req.tx.execute(
                    "DELETE FROM share_supports WHERE share_id = $1 AND supporter_key = $2",
                    row_id,
                    row["supporter_key"],  # type: ignore[index]
                )
            else:
                await req.tx.execute("DELETE FROM share_reports WHERE id = $1", row_id)
        await req.tx.execute(
            "DELETE FROM share_drafts WHERE owner = $1",
            target_token(secret, "draft", community_name),
        )
