"""Sharing and moderation with care (issue 18): the mod queue says what, why and
what to type; moderators' reasons reach authors in full sentences; replies and
support come batched; the identifying-details step takes only its own answers;
small words that show exactly what to type."""

from __future__ import annotations

import dataclasses

from bot.config import Config, Sharing
from bot.port import CommandGiven, Member, Place
from tests.conftest import RecordingAdapter, community
from tests.test_console import play
from tests.test_sharing import MOD_QUEUE, mod, posted


class ReactingAdapter(RecordingAdapter):
    """Records the reactions the core asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.reactions: list[tuple[str, str, str]] = []

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        self.reactions.append((place.target, message_id, emoji))


class SlashAdapter(RecordingAdapter):
    private_commands = True


async def make(make_harness, db_url, adapter=None, **sharing: object):
    settings = dataclasses.replace(Sharing(), **sharing)
    return await make_harness(
        config=Config(database=db_url, communities=(community(sharing=settings),)),
        adapter=adapter,
    )


def told(h, user: str) -> list[str]:
    """What reached `user` by DM on its own (not the answers to their commands)."""
    return [
        s.message.text
        for s in h.adapter.sent
        if s.event is None and s.place.is_dm and s.place.target == user
    ]


# --- item 7: the queue ---------------------------------------------------------------------


async def test_the_queue_shows_words_why_and_what_to_type(make_harness, db_url):
    h = await make(make_harness, db_url, cooldown_minutes=0)
    await h.command("bob", "share Evenings are the hardest part.")
    assert "`share confirm`" in (await h.command("ann", "share write me at x@example.org"))[0]
    await h.command("ann", "share confirm")
    await h.command("cleo", "share I can't go on, I want to die")
    await mod(h, "approve 1")
    await h.command("dee", "report 1 feels unkind")
    queue = (await mod(h, "queue"))[0]
    assert (
        "Share #2 — waiting for review (vetting; identifying details, posted past the "
        "warning): write me at x@example.org (`mod approve 2` / `mod reject 2 [REASON]`)"
    ) in queue
    assert "Share #3 — held ⚠️ possible crisis: I can't go on" in queue
    assert (
        "🚩 Report on #1: feels unkind — it reads: Evenings are the hardest part. "
        "(`mod remove 1 [REASON]` / `mod block 1`)"
    ) in queue
    for who in ("bob", "ann", "cleo", "dee"):
        assert who not in queue
    await h.hearth.settle()
    channel = [m.text for m in h.adapter.in_channel("mod-queue") if "Share #2" in m.text]
    assert "the author chose to post it past the warning" in channel[0]
    await h.db.close()


async def test_a_plain_vetted_share_says_it_waits_for_vetting(harness):
    await harness.command("bob", "share Three weeks today.")
    queue = (await mod(harness, "queue"))[0]
    assert (
        "Share #1 — waiting for review (vetting): Three weeks today. "
        "(`mod approve 1` / `mod reject 1 [REASON]`)"
    ) in queue


async def test_reports_about_a_deleted_share_leave_the_queue_and_the_count(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share mine to keep")
    await h.command("bob", "share another")
    await h.command("dee", "report 1 unkind")
    await h.command("dee", "report 2 spam")
    await h.command("dee", "report 2.1 nothing there")  # no such reply: refused
    assert "Report on #1" in (await mod(h, "queue"))[0]
    await h.command("bob", "share delete 1")
    await mod(h, "remove 2")
    assert "The queue is empty" in (await mod(h, "queue"))[0]
    assert await h.db.fetchval("SELECT count(*) FROM share_reports WHERE status = 'open'") == 0
    await h.db.close()


async def test_a_report_about_a_removed_reply_leaves_the_queue(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share evenings")
    await h.command("carol", "reply 1 you are weak")
    await h.command("dee", "report 1.1 unkind")
    assert "Report on #1.1: unkind — it reads: you are weak" in (await mod(h, "queue"))[0]
    await mod(h, "remove 1.1")
    assert "The queue is empty" in (await mod(h, "queue"))[0]
    await h.db.close()


# --- item 8: reasons, take-downs, blocks ---------------------------------------------------


async def test_reject_and_remove_carry_the_reason_in_a_full_sentence(make_harness, db_url):
    h = await make(make_harness, db_url, cooldown_minutes=0)
    await h.command("bob", "share buy my stuff")
    assert "has been told" in (await mod(h, "reject 1 spam"))[0]
    await h.command("bob", "share a real one")
    await mod(h, "approve 2")
    assert "its author has been told" in (await mod(h, "remove 2 Off topic here!"))[0]
    await h.hearth.settle()
    dms = told(h, "bob")
    assert any("The moderator's note: spam. You're still welcome here" in t for t in dms)
    assert any(
        "took down your share #2. The moderator's note: Off topic here! You're still welcome" in t
        for t in dms
    )
    await h.db.close()


async def test_a_removed_reply_tells_its_author_why(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share evenings")
    await h.command("carol", "reply 1 buy my course")
    assert "its author has been told" in (await mod(h, "remove 1.1 no selling"))[0]
    await h.hearth.settle()
    assert any(
        "took down your reply #1.1. The moderator's note: no selling." in t
        for t in told(h, "carol")
    )
    await h.db.close()


async def test_replies_taken_down_with_a_share_are_noted_to_their_authors(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share evenings")
    await h.command("carol", "reply 1 same here")
    await h.command("bob", "reply 1 thank you")  # the author's own: nobody else to tell
    await mod(h, "remove 1")
    await h.hearth.settle()
    notes = [t for t in told(h, "carol") if "taken down" in t]
    assert notes == [
        "Share #1 was taken down, so your reply #1.1 under it is gone too. "
        "Thank you for being there for someone 💛"
    ]
    assert not any("your reply #1.2" in t for t in told(h, "bob"))
    await h.db.close()


async def test_a_block_after_a_reject_still_tells_the_author_privately(make_harness, db_url):
    h = await make(make_harness, db_url)
    await h.command("bob", "share buy my stuff")
    await mod(h, "reject 1 spam")
    answer = (await mod(h, "block 1 1"))[0]
    assert "for 1 day." in answer and "Block id: B-" in answer
    await h.hearth.settle()
    assert any("paused your sharing and replies in example for 1 day." in t for t in told(h, "bob"))
    assert "for 2 days." in (await mod(h, "block 1 2"))[0]
    await h.db.close()


async def test_a_decision_marks_the_queue_post_as_handled(make_harness, db_url):
    adapter = ReactingAdapter()
    h = await make(make_harness, db_url, adapter=adapter, cooldown_minutes=0)
    await h.command("bob", "share one")
    await h.command("bob", "share two")
    await h.hearth.settle()
    queue_posts = [s for s in adapter.sent if s.place.target == "mod-queue"]
    assert len(queue_posts) == 2
    await mod(h, "approve 1")
    await mod(h, "reject 2")
    await h.hearth.settle()
    assert [(target, emoji) for target, _, emoji in adapter.reactions] == [
        ("mod-queue", "☑️"),
        ("mod-queue", "✖️"),
    ]
    assert len({message for _, message, _ in adapter.reactions}) == 2
    await h.db.close()


async def test_a_report_dealt_with_is_marked_in_the_queue_channel(make_harness, db_url):
    adapter = ReactingAdapter()
    h = await make(make_harness, db_url, adapter=adapter, vetting=False)
    await h.command("bob", "share buy my course")
    await h.command("dee", "report 1 selling")
    await h.hearth.settle()
    report_post = [s for s in adapter.sent if s.place.target == "mod-queue"]
    assert len(report_post) == 1 and "Report on share #1" in report_post[0].message.text
    await mod(h, "remove 1 no selling")
    await h.hearth.settle()
    assert [(target, emoji) for target, _, emoji in adapter.reactions] == [("mod-queue", "☑️")]
    await h.db.close()


def test_the_console_shows_a_handled_queue_post(tmp_path):
    script = "\n".join(
        ["as bob", "in dm", "/share Three weeks today."]
        + ["as mona", "in #mod-queue", "/mod approve 1"]
    )
    result = play(tmp_path, script, "2026-03-02T18:00")
    assert result.returncode == 0, result.stderr
    assert "(reacted ☑️ to " in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# --- item 9: batched replies ---------------------------------------------------------------


async def test_replies_and_support_reach_the_author_in_one_dm_per_window(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share A hard week.")
    for n in range(8):
        await h.command(f"peer{n}", f"reply 1 you are not alone, from {n}")
        await h.advance(minutes=1)
    await h.command("dee", "support 1")
    await h.command("eve", "support 1")
    await h.advance(minutes=20)
    news = told(h, "bob")
    assert len(news) == 1
    assert news[0].startswith("💬 8 new replies to your share #1:\n↳ #1.1: you are not alone")
    assert "↳ #1.8: you are not alone, from 7" in news[0]
    assert "🤝 2 people sent support to your share #1." in news[0]
    assert news[0].endswith("Answer with `reply 1 YOUR WORDS` — also anonymous.")
    # The next window: one more DM, only what is new.
    await h.command("peer1", "reply 1 still here")
    await h.advance(minutes=20)
    later = told(h, "bob")[1:]
    assert later == [
        "💬 Someone replied to your share #1:\n↳ #1.9: still here\n"
        "Answer with `reply 1 YOUR WORDS` — also anonymous."
    ]
    await h.db.close()


async def test_the_authors_own_reply_is_marked_like_any_but_never_relayed_to_them(
    make_harness, db_url
):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share A hard week.")
    await h.command("bob", "reply 1 thank you all")
    await h.command("carol", "reply 1 hugs")
    # A copy of the database cannot tell which reply is the share author's own.
    marks = await h.db.fetch("SELECT relay_pending FROM share_replies ORDER BY number")
    assert [row["relay_pending"] for row in marks] == [1, 1]
    assert await h.db.fetchval("SELECT count FROM relay_batches") == 2
    await h.advance(minutes=20)
    assert told(h, "bob") == [
        "💬 Someone replied to your share #1:\n↳ #1.2: hugs\n"
        "Answer with `reply 1 YOUR WORDS` — also anonymous."
    ]
    await h.db.close()


async def test_only_the_authors_own_replies_make_no_dm(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share A hard week.")
    await h.command("bob", "reply 1 an update: better today")
    await h.advance(minutes=20)
    assert told(h, "bob") == []
    await h.db.close()


async def test_replies_to_a_share_taken_down_meanwhile_are_not_relayed(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share A hard week.")
    await h.command("carol", "reply 1 hugs")
    await h.command("bob", "share delete 1")
    await h.advance(minutes=20)
    assert told(h, "bob") == []
    await h.db.close()


# --- item 10: the identifying-details step -------------------------------------------------


async def test_the_details_step_takes_only_its_own_answers(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    asked = await h.command("bob", "share call me on 0151 2345 6789")
    assert "`share confirm` posts it, `share cancel` drops it." in asked[0]
    kept = await h.command("bob", "share yes")
    assert "still waiting for your answer: `share confirm`" in kept[0]
    assert await h.count("shares") == 0
    assert "Posted as Anonymous share #1" in (await h.command("bob", "share confirm"))[0]
    assert await h.count("shares") == 1
    await h.db.close()


async def test_the_details_step_of_a_reply_names_reply(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share evenings")
    event = CommandGiven(
        "r1", Member("console", "carol"), Place.dm(Member("console", "carol")), "reply 1 see x.org"
    )
    await h.hearth.handle(event)
    asked = h.adapter.sent[-1].message
    assert "`reply confirm` posts it, `reply cancel` drops it." in asked.text
    assert [c.command for c in asked.choices] == ["reply confirm", "reply cancel"]
    wrong = await h.command("carol", "share confirm")
    assert "`reply confirm` to post it" in wrong[0]
    assert "still waiting" in (await h.command("carol", "reply 1 yes"))[0]
    assert await h.count("share_replies") == 0
    assert "Replied anonymously" in (await h.command("carol", "reply confirm"))[0]
    assert await h.count("share_replies") == 1
    await h.db.close()


async def test_a_cancelled_reply_draft_posts_nothing(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share evenings")
    await h.command("carol", "reply 1 mail me a@b.org")
    assert "Cancelled" in (await h.command("carol", "reply cancel"))[0]
    assert await h.count("share_replies") == 0 and await h.count("share_drafts") == 0
    await h.db.close()


# --- item 12 and the small words -----------------------------------------------------------


async def test_support_without_a_number_suggests_a_share_that_exists(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False, cooldown_minutes=0)
    assert "no shares here to respond to yet" in (await h.command("dee", "support"))[0]
    await h.command("bob", "share one")
    await h.command("bob", "share two")
    assert "like `support 2`" in (await h.command("dee", "support"))[0]
    assert "`reply 2 your kind words`" in (await h.command("dee", "reply"))[0]
    await h.db.close()


async def test_a_bare_slash_gets_help(harness):
    bare = await harness.command("ana", "/")
    assert bare and "Unknown" not in bare[0] and "`" in bare[0]
    assert bare == await harness.command("ana", "help")


async def test_the_dm_only_refusal_names_the_slash_command_only_where_there_is_one(
    make_harness, db_url
):
    h = await make(make_harness, db_url)
    channel = Place.channel("console", "shares")
    plain = (await h.command("bob", "share in public", place=channel))[0]
    assert plain == "To keep you anonymous, please send your share to me in a direct message."
    await h.db.close()
    s = await make(make_harness, db_url, adapter=SlashAdapter())
    slash = (await s.command("bob", "share in public", place=channel))[0]
    assert "or use the slash command" in slash and "Discord" not in slash
    await s.db.close()


async def test_share_posts_say_replies_are_typed_in_a_dm(make_harness, db_url):
    h = await make(make_harness, db_url, vetting=False)
    await h.command("bob", "share evenings")
    await h.hearth.settle()
    assert posted(h)[0].endswith("💬 To reply without your name, DM me `reply 1 YOUR WORDS`.")
    await h.db.close()


async def test_the_queue_is_read_where_moderators_are(harness):
    refused = await harness.command("bob", "mod queue", place=MOD_QUEUE)
    assert "moderators" in refused[0]
