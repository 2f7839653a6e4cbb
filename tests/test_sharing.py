"""Anonymous sharing as members and moderators meet it (SPEC §2, §4)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.config import Config, Sharing
from bot.port import CommandGiven, Member, Place
from tests.conftest import Harness, community
from tests.test_console import ROOT, play

MOD_QUEUE = Place.channel("console", "mod-queue")


async def sharing_harness(make_harness, db_url, **sharing: object) -> Harness:
    settings = dataclasses.replace(Sharing(), **sharing)
    return await make_harness(
        config=Config(database=db_url, communities=(community(sharing=settings),))
    )


async def mod(h: Harness, text: str, user: str = "mona") -> list[str]:
    return await h.command(user, f"mod {text}", place=MOD_QUEUE)


def posted(h: Harness) -> list[str]:
    return [m.text + (m.spoiler.text if m.spoiler else "") for m in h.adapter.in_channel("shares")]


def dms(h: Harness, user: str) -> list[str]:
    return [s.message.text for s in h.adapter.sent if s.place.is_dm and s.place.target == user]


async def test_share_is_vetted_then_posted_without_a_name(harness):
    h = harness
    replies = await h.command("bob", "share Three weeks sober today.")
    assert "waiting for a moderator" in replies[0]
    await h.hearth.settle()
    queue = [m.text for m in h.adapter.in_channel("mod-queue")]
    assert queue and "Share #1" in queue[0] and "Three weeks sober" in queue[0]
    assert posted(h) == []
    await mod(h, "approve 1")
    await h.hearth.settle()
    assert posted(h) == [
        "📝 Anonymous share #1\nThree weeks sober today.\n"
        "💬 To reply without your name, DM me `reply 1 YOUR WORDS`."
    ]
    assert any("now posted" in text for text in dms(h, "bob"))
    assert all("bob" not in s.message.text for s in h.adapter.sent if not s.place.is_dm)


async def test_without_vetting_a_share_is_posted_at_once(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share cw grief | I miss my dad today.")
    await h.hearth.settle()
    message = h.adapter.in_channel("shares")[0]
    assert message.text == (
        "📝 Anonymous share #1\n💬 To reply without your name, DM me `reply 1 YOUR WORDS`."
    )
    assert message.spoiler is not None and message.spoiler.warning == "grief"
    assert message.spoiler.text == "I miss my dad today."
    await h.db.close()


async def test_concurrent_shares_get_distinct_consecutive_numbers(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    events = [
        CommandGiven(
            f"c{n}",
            Member("console", f"m{n}"),
            Place.dm(Member("console", f"m{n}")),
            f"share note number {n}",
        )
        for n in range(30)
    ]
    await asyncio.gather(*(h.hearth.handle(event) for event in events))
    numbers = [r["number"] for r in await h.db.fetch("SELECT number FROM shares ORDER BY number")]
    assert numbers == list(range(1, 31))
    await h.db.close()


async def test_reply_is_posted_under_the_share_and_relayed_to_the_author(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share Evenings are hard.")
    replies = await h.command("carol", "reply 1 They were for me too; it gets easier.")
    assert "Replied anonymously" in replies[0]
    await h.hearth.settle()
    share_post, reply_post = [s for s in h.adapter.sent if s.place.target == "shares"]
    assert reply_post.message.text.startswith("↳ Anonymous reply #1.1")
    assert reply_post.message.reply_to is not None  # threaded under the share's message id
    await h.advance(minutes=16)  # relayed batched, after the window
    relayed = [t for t in dms(h, "bob") if "Someone replied to your share #1" in t]
    assert len(relayed) == 1 and "it gets easier" in relayed[0]
    assert not any("carol" in t for t in dms(h, "bob"))
    await h.db.close()


async def test_support_reaches_the_author_batched_once(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share A hard week.")
    for supporter in ("carol", "dave", "erin"):
        await h.command(supporter, "support 1")
    again = await h.command("carol", "support 1")
    assert "already sent support" in again[0]
    assert not any("sent support" in t for t in dms(h, "bob"))
    await h.advance(minutes=20)
    batched = [t for t in dms(h, "bob") if "sent support" in t]
    assert batched == ["🤝 3 people sent support to your share #1."]
    await h.advance(hours=2)
    assert len([t for t in dms(h, "bob") if "sent support" in t]) == 1
    await h.db.close()


async def test_checks_refuse_kindly_and_post_nothing(make_harness, db_url):
    h = await sharing_harness(
        make_harness, db_url, vetting=False, blocked_terms=("casino",), max_length=50
    )
    assert "limit here is 50" in (await h.command("bob", "share " + "x" * 51))[0]
    assert "asked not to be posted" in (await h.command("bob", "share best CASINO deals"))[0]
    assert "Posted as" in (await h.command("bob", "share first"))[0]
    assert "in about 10 minutes" in (await h.command("bob", "share second"))[0]
    await h.advance(minutes=11)
    assert "Posted as" in (await h.command("bob", "share second"))[0]
    assert await h.count("shares") == 2
    await h.db.close()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("call me on +44 7700 900123", "a phone number"),
        ("mail me at bob@example.org", "e-mail"),
        ("see www.example.com", "a link"),
        ("thanks @carol", "a mention"),
    ],
)
async def test_identifying_details_need_confirmation(make_harness, db_url, text, found):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    replies = await h.command("bob", f"share {text}")
    assert found in replies[0] and "Post it anyway?" in replies[0]
    assert await h.count("shares") == 0
    assert "Cancelled" in (await h.pick("bob", "share cancel"))[0]
    await h.command("bob", f"share {text}")
    confirmed = await h.pick("bob", "share confirm")
    assert "Posted as Anonymous share #1" in confirmed[0]
    await h.db.close()


async def test_posts_never_ping_anyone(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share @everyone @here <@123> <@&456> @carol:example.org hi")
    await h.pick("bob", "share confirm")
    await h.command("carol", "reply 1 @everyone listen")
    await h.pick("carol", "share confirm")
    await h.hearth.settle()
    for text in posted(h):
        for raw in ("@everyone", "@here", "<@123>", "<@&456>", "@carol:example.org"):
            assert raw not in text
    assert "everyone" in posted(h)[0]  # still readable


async def test_shares_are_only_taken_where_nobody_watches(harness):
    replies = await harness.command(
        "bob", "share in public", place=Place.channel("console", "shares")
    )
    assert "direct message" in replies[0]
    assert await harness.count("shares") == 0


async def test_only_moderators_may_moderate(harness):
    await harness.command("bob", "share something")
    for command in ("queue", "approve 1", "block 1", "remove 1"):
        replies = await mod(harness, command, user="carol")
        assert replies == ["Only moderators of example can use `mod` commands."]
    assert await harness.db.fetchval("SELECT status FROM shares") == "pending"


async def test_reject_tells_the_author_with_the_reason(harness):
    await harness.command("bob", "share something")
    await mod(harness, "reject 1 please keep names out")
    await harness.hearth.settle()
    told = [t for t in dms(harness, "bob") if "decided not to post" in t]
    assert told and "please keep names out" in told[0]
    assert await harness.db.fetchval("SELECT body FROM shares") is None  # words erased


async def test_share_delete_by_someone_else_reads_like_an_unknown_share(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share mine")
    not_author = await h.command("carol", "share delete 1")
    unknown = await h.command("carol", "share delete 2")
    assert not_author == ["There's no share #1 of yours here."]
    assert unknown == ["There's no share #2 of yours here."]
    mine = await h.command("bob", "share delete 1")
    assert "taken down" in mine[0]
    await h.hearth.settle()
    assert len(h.adapter.deleted) == 1
    await h.db.close()


async def test_block_never_unmasks_and_stops_the_author(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False, cooldown_minutes=1)
    await h.command("bob", "share first")
    answer = await mod(h, "block 1 7")
    code = answer[0].split("Block id: ")[1].split(" ")[0]
    assert "bob" not in answer[0]
    await h.hearth.settle()
    assert any("paused your sharing" in t for t in dms(h, "bob"))
    await h.advance(minutes=5)
    assert "paused your sharing" in (await h.command("bob", "share again"))[0]
    assert "Posted" in (await h.command("carol", "share unrelated"))[0]
    assert "lifted" in (await mod(h, f"unblock {code}"))[0]
    assert "Posted" in (await h.command("bob", "share after the block"))[0]
    await h.db.close()


async def test_crisis_share_is_held_and_resources_reach_even_a_blocked_author(harness):
    h = harness
    await h.command("bob", "share first")
    await mod(h, "block 1")
    replies = await h.command("bob", "share I want to kill myself")
    assert "wasn't posted" in replies[0] and "emergency number" in replies[1]
    await h.hearth.settle()
    alerts = [m.text for m in h.adapter.in_channel("mod-queue") if "Possible crisis" in m.text]
    assert alerts and "kill myself" in alerts[0] and "bob" not in alerts[0]
    assert posted(h) == []
    assert await h.db.fetchval("SELECT status FROM shares WHERE number = 2") == "held"


async def test_remove_takes_the_post_down_and_tells_the_author(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share something")
    await h.command("carol", "reply 1 a reply")
    await h.hearth.settle()
    await mod(h, "remove 1")
    await h.hearth.settle()
    assert len(h.adapter.deleted) == 2  # the share and its reply
    assert any("took down your share #1" in t for t in dms(h, "bob"))
    await h.db.close()


async def test_reports_reach_moderators_without_the_reporter_and_are_rate_limited(
    make_harness, db_url
):
    h = await sharing_harness(
        make_harness, db_url, vetting=False, reports_per_day=2, cooldown_minutes=1
    )
    for n in range(3):
        await h.command(f"author{n}", f"share post {n}")
    assert "moderators have your report" in (await h.command("carol", "report 1 unkind"))[0]
    assert "already" in (await h.command("carol", "report 1 unkind again"))[0]
    await h.command("carol", "report 2 spam")
    assert "several reports today" in (await h.command("carol", "report 3 more"))[0]
    await h.hearth.settle()
    reports = [m.text for m in h.adapter.in_channel("mod-queue") if "Report" in m.text]
    assert len(reports) == 2 and not any("carol" in r for r in reports)
    queue = await mod(h, "queue")
    # The report, its reason, the words reported and the choices.
    assert "🚩 Report on #1: unkind — it reads: post 0 (`mod remove 1 [REASON]`" in queue[0]
    await h.db.close()


async def test_link_expiry_erases_the_author_link_and_relays_stop(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False, link_days=30)
    await h.command("bob", "share still here")
    await h.advance(days=31)
    assert await h.db.fetchval("SELECT author_link FROM shares") is None
    await h.command("carol", "reply 1 hello")
    await h.command("dave", "support 1")
    await h.advance(hours=1)
    assert dms(h, "bob")[1:] == []  # only the "Posted" answer, nothing relayed
    assert posted(h)[-1].startswith("↳ Anonymous reply #1.1")  # the share stays up
    await h.db.close()


async def test_erasing_ones_data_takes_shares_down(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    await h.command("bob", "share mine")
    await h.command("carol", "support 1")
    await h.command("bob", "mydata delete confirm")
    await h.hearth.settle()
    assert await h.db.fetchval("SELECT status FROM shares") == "deleted"
    assert await h.db.fetchval("SELECT body FROM shares") is None
    assert len(h.adapter.deleted) == 1
    await h.db.close()


def test_the_sharing_example_script(tmp_path):
    script = (ROOT / "examples" / "sharing.txt").read_text()
    result = play(tmp_path, script, "2026-03-02T18:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    channel_lines = [
        line for line in out.split("\n[") if line.startswith(("#shares", "#mod-queue]"))
    ]
    assert any(line.startswith("#shares] 📝 Anonymous share #1") for line in channel_lines)
    assert all("bob" not in line for line in channel_lines)
    assert "[dm:bob] 💬 Someone replied to your share #1" in out
    assert out.count("sent support to your share #1") == 1
    assert "[dm:bob] A moderator has paused your sharing in this community" in out
    assert "Your share #2 wasn't posted: it's with the moderators" in out
    assert "[#mod-queue] ⚠️ Possible crisis in share #2" in out
    assert "emergency number" in out


async def test_words_that_look_like_subcommands_are_shared_as_written(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    for text in (
        "List of things I'm grateful for",
        "Delete the number from my phone, they said",
        "confirm that it gets better?",
        "cancel culture of my own head",
    ):
        replies = await h.command("bob", f"share {text}")
        assert "Posted as Anonymous share" in replies[0], text
        await h.advance(minutes=11)
    assert await h.count("shares") == 4
    await h.db.close()


async def test_community_option_is_never_taken_from_the_middle_of_a_text(make_harness, db_url):
    h = await sharing_harness(make_harness, db_url, vetting=False)
    replies = await h.command("bob", "share pass --community example to me later")
    assert "Posted as Anonymous share #1" in replies[0]
    await h.hearth.settle()
    assert "--community example" in posted(h)[0]
    await h.db.close()
