"""Crisis alerts on Discord, on a fake Discord at the transport (issue 22, item 4):
"I'm on it" is a button on the alert, and an alert nobody took is raised again
mentioning the configured moderator roles — for that one message only."""

from __future__ import annotations

from tests.discord_payloads import MOD_QUEUE, MOD_ROLE, buttons, press, slash, submit, user
from tests.discord_support import Harness, discord_config, openapi_problems, start

BOB = user(400000000000000002, "bob")
CAROL = user(400000000000000003, "carol")
MONA = user(400000000000000004, "mona")
CRISIS = "I can't go on, I want to end my life"


def said(requests) -> str:
    bodies = [r.json.get("data", r.json) for r in requests if r.json]
    return "\n".join(b.get("content") or "" for b in bodies)


def ephemeral(requests) -> bool:
    callbacks = [r.json for r in requests if r.path.endswith("/callback")]
    return bool(callbacks) and all(c["data"].get("flags", 0) & 64 for c in callbacks)


def queue_posts(h: Harness) -> list[dict]:
    """What Hearth posted in the mod queue, as the requests' bodies."""
    return h.fake.posts_to(MOD_QUEUE)


def sent_alerts(h: Harness) -> list[dict]:
    return [m for m in h.fake.messages.values() if m["channel_id"] == str(MOD_QUEUE)]


async def share_a_crisis(h: Harness) -> dict:
    (form,) = await h.interact(slash(BOB, "share post"))
    custom_id = form.json["data"]["custom_id"]
    await h.interact(submit(BOB, custom_id, {"text": CRISIS}))
    await h.flush()
    (alert,) = [m for m in sent_alerts(h) if "Possible crisis" in m["content"]]
    return alert


async def test_im_on_it_is_a_button_and_the_first_moderator_has_it(db_url):
    h = await start(discord_config(db_url))
    try:
        alert = await share_a_crisis(h)
        assert set(buttons(alert)) == {"Approve", "Reject", "I'm on it"}
        assert "Alert a1" in alert["content"] and "bob" not in alert["content"]

        refused = await h.interact(press(CAROL, alert, buttons(alert)["I'm on it"]))
        assert "Only moderators" in said(refused)
        taken = await h.interact(press(MONA, alert, buttons(alert)["I'm on it"], roles=[MOD_ROLE]))
        assert ephemeral(taken) and "Alert a1 (share #1) is yours" in said(taken)
        await h.flush()
        notice = queue_posts(h)[-1]
        assert notice["content"] == "🙋 mona is on alert a1 (share #1)."
        assert notice["allowed_mentions"] == {"parse": []}

        # Nobody is called later: it was taken.
        await h.advance(minutes=30)
        assert not [p for p in queue_posts(h) if p["content"].startswith(("⏰", "<@"))]
        again = await h.interact(press(MONA, alert, buttons(alert)["I'm on it"], roles=[MOD_ROLE]))
        assert "is yours" in said(again)
    finally:
        await h.stop()


async def test_an_alert_raised_again_mentions_only_the_moderator_roles(db_url):
    h = await start(discord_config(db_url))
    try:
        await share_a_crisis(h)
        requests = await h.advance(minutes=16)
        posted = [r for r in requests if r.method == "POST" and r.path.endswith("/messages")]
        (raised,) = [r for r in posted if "Nobody has taken alert a1" in r.json["content"]]
        body = raised.json
        assert body["content"].startswith(f"<@&{MOD_ROLE}> ⏰ Nobody has taken alert a1")
        # Exactly the configured role may be notified: no @everyone, no user, no other role.
        assert body["allowed_mentions"] == {"parse": [], "roles": [MOD_ROLE]}
        assert openapi_problems(raised) == []
        assert "I'm on it" in {c["label"] for row in body["components"] for c in row["components"]}
        # Every other message keeps every mention disabled.
        others = [p for p in queue_posts(h) if p is not body]
        assert others and all(p["allowed_mentions"] == {"parse": []} for p in others)

        # Taken from the message that called them: late, and said so in the log.
        message = h.fake.messages[
            next(
                i for i, m in h.fake.messages.items() if m["content"].startswith(f"<@&{MOD_ROLE}>")
            )
        ]
        taken = await h.interact(
            press(MONA, message, buttons(message)["I'm on it"], roles=[MOD_ROLE])
        )
        assert "is yours" in said(taken)
        await h.advance(days=1)
        assert len([p for p in queue_posts(h) if "Nobody has taken" in p["content"]]) == 1
        log = await h.interact(slash(MONA, "mod log", {}, roles=[MOD_ROLE]))
        assert "took crisis alert a1, after it was raised again" in said(log)
    finally:
        await h.stop()


def test_only_discord_ids_are_mentioned_and_only_when_asked():
    from adapters.discord.translate import render
    from bot.port import Mentions, Message

    plain = render(Message("@everyone hello"))
    assert (plain.mention_users, plain.mention_roles) == ((), ())
    called = render(
        Message("⏰ Nobody has taken alert a1", mentions=Mentions(("42", "mona"), ("7", "²")))
    )
    assert (called.mention_users, called.mention_roles) == ((42,), (7,))
    assert called.content == "<@&7> <@42> ⏰ Nobody has taken alert a1"
