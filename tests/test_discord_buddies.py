"""Buddies on Discord, through discord.py over the fake transport (issue 20): two
members opt in by slash command, each is asked by DM with buttons, the pair forms
only when both have pressed "Yes", and a reminder comes at each one's local time
with a one-tap "I've reached out"."""

from __future__ import annotations

from tests.discord_payloads import buttons, press, slash, user
from tests.discord_support import Harness, discord_config, openapi_problems, start
from tests.test_discord_e2e import ephemeral, said

ALICE = user(400000000000000011, "alice")
BOB = user(400000000000000012, "bob")


def dms(h: Harness, who: dict) -> list[dict]:
    """The messages the bot posted in its DM with `who`, as Discord keeps them."""
    channel = h.fake.dm_channels.get(str(who["id"]))
    return [m for m in h.fake.messages.values() if m["channel_id"] == channel]


def the_one(h: Harness, who: dict, start: str) -> dict:
    (found,) = [m for m in dms(h, who) if m["content"].startswith(start)]
    return found


async def test_pairing_consent_by_button_and_a_reminder(db_url):
    h = await start(discord_config(db_url))
    try:
        joined = await h.interact(
            slash(ALICE, "buddy join", {"tags": "walking music", "timezone": "Europe/Berlin"})
        )
        assert ephemeral(joined) and "You're on the list for a buddy" in said(joined)
        await h.interact(slash(BOB, "buddy join", {"tags": "walking", "timezone": "Europe/London"}))
        await h.flush()

        # Each is asked by DM, naming only the interest they share, with two buttons.
        asked = {}
        for who in (ALICE, BOB):
            proposal = the_one(h, who, "Someone who also likes walking would like a buddy.")
            assert "alice" not in proposal["content"] and "bob" not in proposal["content"]
            asked[who["username"]] = proposal
            assert set(buttons(proposal)) == {"Yes, say hello", "Not this time"}

        # Alice presses Yes: nothing forms until Bob does too.
        tapped = await h.interact(
            press(ALICE, asked["alice"], buttons(asked["alice"])["Yes, say hello"], guild=None)
        )
        assert "I'll let you know as soon as they've answered" in said(tapped)
        assert not [m for m in dms(h, BOB) if "buddies now" in m["content"]]
        tapped = await h.interact(
            press(BOB, asked["bob"], buttons(asked["bob"])["Yes, say hello"], guild=None)
        )
        assert "You and alice are buddies now 🤝" in said(tapped)
        await h.flush()
        assert the_one(h, ALICE, "You and bob are buddies now 🤝")
        assert await h.hearth.db.fetchval("SELECT status FROM buddy_pairs") == "paired"

        # A week on, at 18:00 in Berlin (17:00 UTC): a gentle nudge, one tap to answer;
        # Bob's comes at 18:00 in London, an hour later.
        await h.advance(days=7, hours=10)
        assert not [m for m in dms(h, BOB) if m["content"].startswith("A gentle nudge")]
        nudge = the_one(h, ALICE, "A gentle nudge 💛 How about a quick hello to bob?")
        assert set(buttons(nudge)) == {"I've reached out", "No more reminders"}
        reached = await h.interact(
            press(ALICE, nudge, buttons(nudge)["I've reached out"], guild=None)
        )
        assert "Thank you for reaching out" in said(reached)
        await h.advance(hours=1)
        assert the_one(h, BOB, "A gentle nudge 💛 How about a quick hello to alice?")
        assert [problem for r in h.fake.requests for problem in openapi_problems(r)] == []
    finally:
        await h.stop()
