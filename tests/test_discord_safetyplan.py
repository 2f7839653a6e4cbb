"""A safety plan written on Discord, through discord.py on the fake transport: each
step in its own private form (a modal), opened by the button under its question or
by its own slash command; every answer ephemeral, nothing in any channel."""

from __future__ import annotations

import json

from tests.discord_payloads import buttons, press, slash, submit, user
from tests.discord_support import Harness, discord_config, openapi_problems, start

ALICE = user(400000000000000001, "alice")
SIGNS = "I stop answering Ana and sleep all day"
HELPERS = "Sister Ana 0151 2345678"


def said(requests) -> str:
    bodies = [r.json.get("data", r.json) for r in requests if r.json]
    return "\n".join(b.get("content") or "" for b in bodies)


def ephemeral(requests) -> bool:
    callbacks = [r.json for r in requests if r.path.endswith("/callback")]
    return bool(callbacks) and all(c["data"].get("flags", 0) & 64 for c in callbacks)


def answered_with(h: Harness, words: str) -> dict:
    """The newest interaction answer (a message the fake keeps) holding `words`."""
    return [m for m in h.fake.messages.values() if words in m["content"]][-1]


def modal(requests) -> dict:
    (opened,) = [r.json for r in requests if r.json and r.json.get("type") == 9]
    return opened["data"]


async def test_a_plan_written_through_a_form_per_step(db_url):
    h = await start(discord_config(db_url))
    try:
        started = await h.interact(slash(ALICE, "safetyplan edit"))
        assert ephemeral(started) and "Step 1 of 6 — My warning signs" in said(started)
        assert "Tap Answer to write it in a private box" in said(started)
        question = answered_with(h, "Step 1 of 6")
        assert set(buttons(question)) >= {"Answer", "Skip", "Stop"}

        # Answer opens step 1's own private form; its words are the step's.
        opened = await h.interact(press(ALICE, question, buttons(question)["Answer"]))
        form = modal(opened)
        assert form["title"] == "My warning signs"
        (row,) = form["components"]
        box = row["component"]
        assert row["label"] == "In your own words" and box["required"] is False
        assert box["placeholder"] == "e.g. I stop answering my phone"
        saved = await h.interact(submit(ALICE, form["custom_id"], {"text": SIGNS}))
        assert ephemeral(saved) and "Kept, in your words." in said(saved)
        assert "Step 2 of 6" in said(saved)

        # Skip leaves step 2 for another day; the walk goes on to step 3.
        second = answered_with(h, "Step 2 of 6")
        skipped = await h.interact(press(ALICE, second, buttons(second)["Skip"]))
        assert "That one can wait." in said(skipped) and "Step 3 of 6" in said(skipped)
        third = answered_with(h, "Step 3 of 6")
        stopped = await h.interact(press(ALICE, third, buttons(third)["Stop"]))
        assert "Stopped here" in said(stopped)

        # A step's own slash command opens its form at once.
        opened = await h.interact(slash(ALICE, "safetyplan helpers"))
        form = modal(opened)
        assert form["title"] == "People I can ask for help"
        saved = await h.interact(submit(ALICE, form["custom_id"], {"text": HELPERS}))
        assert "Kept: “People I can ask for help”" in said(saved)

        shown = await h.interact(slash(ALICE, "safetyplan show"))
        assert ephemeral(shown)
        assert SIGNS in said(shown) and HELPERS in said(shown)
        assert "2 · What helps me feel a little better\n— not written yet" in said(shown)

        # Nothing of it went anywhere but the ephemeral answers to Alice.
        posted = [r for r in h.fake.requests if r.path.startswith("/channels/")]
        for request in posted:
            text = json.dumps(request.json, ensure_ascii=False)
            assert SIGNS not in text and HELPERS not in text
        assert [p for r in h.fake.requests for p in openapi_problems(r)] == []
    finally:
        await h.stop()
