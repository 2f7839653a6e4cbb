"""The weekly group check-in on Discord, at the transport: the post, a thread started
on it with a body Discord's OpenAPI description accepts, and a member's message in
the thread (a MESSAGE_CREATE whose channel is the thread) counted — without its words,
which Hearth does not ask Discord for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.config import GroupCheckin, Peers
from tests.discord_payloads import BOT, GUILD, message_payload, user
from tests.discord_support import (
    FakeDiscord,
    Request,
    discord_config,
    harbour,
    openapi_problems,
    start,
)

CHECKINS = 200000000000000009
ALICE = user(400000000000000001, "alice")
SUNDAY_EVENING = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)  # 18:00 in Berlin


class ThreadingDiscord(FakeDiscord):
    """The fake Discord, also starting threads on messages as Discord does: the
    thread is a channel whose id is the message's."""

    def _answer(self, req: Request) -> tuple[int, Any]:
        match req.method, req.path.strip("/").split("/"):
            case "POST", ["channels", channel, "messages", message, "threads"]:
                return 200, thread_channel(message, channel, req.json["name"])
        return super()._answer(req)


def thread_channel(thread: str, parent: str | int, name: str) -> dict[str, Any]:
    return {
        "id": thread,
        "guild_id": str(GUILD),
        "parent_id": str(parent),
        "owner_id": BOT["id"],
        "type": 11,
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 10080,
            "archive_timestamp": "2026-03-08T17:00:00+00:00",
            "locked": False,
        },
    }


def in_thread(thread: str, author: dict[str, Any], number: int, content: str = "") -> dict:
    """A MESSAGE_CREATE in a server thread, as Discord sends it to a bot without the
    message content intent: the words are left out."""
    payload = message_payload(str(500000000000000000 + number), thread, author, content)
    return {**payload, "guild_id": str(GUILD), "member": {"roles": [], "nick": None}}


async def test_the_thread_is_started_on_the_post_and_an_answer_in_it_counts(db_url):
    weekly = GroupCheckin(str(CHECKINS), "sun", "18:00", "Europe/Berlin")
    h = await start(discord_config(db_url, harbour(peers=Peers(weekly))), fake=ThreadingDiscord())
    try:
        await h.flush()  # the week is planned
        sent = await h.advance(hours=(SUNDAY_EVENING - h.clock.now()).total_seconds() / 3600)
        post, thread = [r for r in sent if r.method == "POST"]
        assert post.path == f"/channels/{CHECKINS}/messages"
        assert post.json["content"].startswith("How was your week? One word is enough.")
        assert post.json["allowed_mentions"] == {"parse": []}
        (message_id,) = [
            m["id"] for m in h.fake.messages.values() if m["channel_id"] == str(CHECKINS)
        ]
        assert thread.path == f"/channels/{CHECKINS}/messages/{message_id}/threads"
        assert thread.json["name"] == "Weekly check-in · Sun 08 Mar"
        assert thread.json["auto_archive_duration"] == 10080
        assert openapi_problems(post) == [] and openapi_problems(thread) == []

        # Discord tells the bot of its new thread; a member answers in it.
        h.feed(
            "THREAD_CREATE", {**thread_channel(message_id, CHECKINS, "x"), "newly_created": True}
        )
        quiet = await h.run("MESSAGE_CREATE", in_thread(message_id, ALICE, 1))
        assert quiet == []  # nothing said in the members' thread, nothing sent anywhere
        # Hearth's own messages and another thread's are not answers.
        await h.run("MESSAGE_CREATE", in_thread(message_id, BOT, 2))
        h.feed("THREAD_CREATE", thread_channel("600000000000000001", CHECKINS, "chat"))
        await h.run("MESSAGE_CREATE", in_thread("600000000000000001", ALICE, 3))
        answers = await h.hearth.db.fetchval(
            "SELECT answers FROM group_checkins WHERE outcome = 'opened'"
        )
        assert answers == 1
    finally:
        await h.stop()
