"""Crisis alerts that a moderator answers (SPEC §4, docs/crisis.md).

Every alert in the mod queue — a held crisis share, reply, celebration or
encouragement note (`care.alert_moderators`), a member's "yes, please reach
out" (`contact yes`) — is raised here, whatever held it: it gets a number
(`a3`), an "I'm on it" choice (`mod take a3`) and a row saying whether a
moderator has it. The first moderator to take it wins — one conditional
update, so of two at once exactly one does — and the others read who has it
in the queue. If nobody takes it within `safety.alert_ack_minutes`, it is
raised again once, calling the moderators by name (`Message.mentions`):
`raise_again`, run by the crisis alerts feature's job. `mod stats` counts the
alerts taken late and those never taken, by week.

What a copy of the database shows of an alert: a random id, its community and
number, its day, whether it was raised again and whether it was taken in time.
What it is about and who took it are sealed, so a copy cannot tell a held
share's alert from a contact request's, nor tie it to anyone. Only while it
waits (at most the acknowledgement time) does it keep the moment it falls due,
as a waiting outbox row keeps its own.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import outbox
from bot.config import Community
from bot.localtime import day_floor, epoch, from_epoch
from bot.port import Choice, Member, Mentions, Message, Place
from bot.storage import Database, Transaction
from bot.texts import plural, text
from bot.vault import ALERT_TAKEN_BY, ALERT_WHAT, Vault

PREFIX = "a"  # `mod take a3`: never mistaken for share #3
TAKE_EMOJI = "🙋"
#: an alert's row while nobody has it and it has not been raised again
WAITING = "due_at IS NOT NULL AND outcome IS NULL"
BATCH = 50  # alerts raised again in one pass; more due at once go in the next


def label(number: int) -> str:
    return f"{PREFIX}{number}"


def parse_label(word: str | None) -> int | None:
    """`a3` (or `A3`, or just `3`) → 3; None for anything else."""
    digits = (word or "").strip().lower().removeprefix(PREFIX)
    if digits.isascii() and digits.isdecimal() and 0 < len(digits) <= 9:
        return int(digits)
    return None


def take_choice(community: Community, number: int) -> Choice:
    """ "I'm on it": a button on Discord, a 🙋 reaction on Matrix, a command on the console."""
    words = text("alerts.choice_take", community.language)  # the queue's language
    return Choice(words, f"mod take {label(number)}", TAKE_EMOJI)


def moderators_called(community: Community) -> Mentions:
    """Whom an alert raised again calls: the moderators the community's config names."""
    moderators = community.moderators
    return Mentions(users=tuple(moderators.users), roles=tuple(moderators.roles))


async def _next_number(tx: Transaction, community: str) -> int:
    """The community's next alert number: atomic, so two alerts at once never share one."""
    await tx.execute(
        "INSERT INTO crisis_alert_numbers (community, last_number) VALUES ($1, 0) "
        "ON CONFLICT (community) DO NOTHING",
        community,
    )
    return int(
        await tx.fetchval(
            "UPDATE crisis_alert_numbers SET last_number = last_number + 1 WHERE community = $1 "
            "RETURNING last_number",
            community,
        )
    )


async def raise_alert(
    tx: Transaction,
    vault: Vault,
    community: Community,
    *,
    key: str,
    what: str,
    message: Message,
    now: datetime,
    member_id: int | None = None,
) -> bool:
    """Post `message` in the mod queue as a crisis alert about `what` (e.g. "share #12",
    in the community's language), under the outbox key `key`, with "I'm on it" after
    its own choices. False when there is no mod queue or `key` was queued before.
    `member_id`: the member the post names (a contact request), if any: it goes with
    them (`mydata delete`)."""
    channel = community.channels.mod_queue
    if not channel or await outbox.row_id_for(tx, vault, key) is not None:
        return False
    number = await _next_number(tx, community.name)
    line = text("alerts.alert_line", community.language, alert=label(number))
    post = dataclasses.replace(
        message,
        text=f"{message.text}\n{line}",
        choices=(*message.choices, take_choice(community, number)),
    )
    place = Place.channel(community.platform, channel)
    if not await outbox.enqueue(tx, vault, key, place, post, now, member_id=member_id):
        return False
    alert_id = secrets.randbits(62) + 1  # random: the order alerts came in is not kept
    due = now + timedelta(minutes=community.safety.alert_ack_minutes)
    await tx.execute(
        "INSERT INTO crisis_alerts (id, community, number, what, created_at, due_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        alert_id,
        community.name,
        number,
        vault.seal(ALERT_WHAT, alert_id, what),
        day_floor(now, community.zone),
        epoch(due),
    )
    return True


@dataclass(frozen=True)
class Taken:
    """The answer to `mod take`: whether this moderator took it now (`won`), who has it
    (`by`), what it is about, and whether it was taken after it fell due."""

    won: bool
    by: str
    what: str
    late: bool


def _seal_moderator(vault: Vault, alert_id: int, moderator: Member, shown_as: str) -> str:
    who = {"platform": moderator.platform, "user_id": moderator.user_id, "shown": shown_as}
    return vault.seal(ALERT_TAKEN_BY, alert_id, json.dumps(who))


def _open_moderator(vault: Vault, alert_id: int, sealed: str | None) -> dict[str, str]:
    return json.loads(vault.open(ALERT_TAKEN_BY, alert_id, sealed)) if sealed else {}


async def take(
    tx: Transaction,
    vault: Vault,
    community: Community,
    number: int,
    moderator: Member,
    shown_as: str,
    now: datetime,
) -> Taken | None:
    """`moderator` (shown to the others as `shown_as`) takes alert `number`; None if
    there is none.
    The first to take it wins: of two at once, the second's update finds it taken
    (PostgreSQL waits for the first to commit, SQLite has one writer at a time)."""
    row = await tx.fetchrow(
        "SELECT id, what, due_at, raised_again FROM crisis_alerts "
        "WHERE community = $1 AND number = $2",
        community.name,
        number,
    )
    if row is None:
        return None
    alert_id = row["id"]
    what = vault.open(ALERT_WHAT, alert_id, row["what"])
    late = bool(row["raised_again"]) or (row["due_at"] is not None and row["due_at"] <= epoch(now))
    won = await tx.execute(
        "UPDATE crisis_alerts SET outcome = $1, taken_by = $2, due_at = NULL "
        "WHERE id = $3 AND outcome IS NULL",
        "late" if late else "taken",
        _seal_moderator(vault, alert_id, moderator, shown_as),
        alert_id,
    )
    if won == 1:
        return Taken(True, shown_as, what, late)
    sealed = await tx.fetchval("SELECT taken_by FROM crisis_alerts WHERE id = $1", alert_id)
    return Taken(False, _open_moderator(vault, alert_id, sealed).get("shown", ""), what, late)


async def tell_queue_taken(
    tx: Transaction, vault: Vault, community: Community, number: int, taken: Taken, now: datetime
) -> None:
    """A line in the mod queue, so the other moderators see someone has it."""
    channel = community.channels.mod_queue
    if not channel:
        return
    words = text(
        "alerts.taken_notice",
        community.language,
        moderator=taken.by,
        alert=label(number),
        what=taken.what,
    )
    place = Place.channel(community.platform, channel)
    key = f"alert-taken:{community.name}:{number}"
    await outbox.enqueue(tx, vault, key, place, Message(words), now)


async def next_due_at(db: Database | Transaction) -> int | None:
    """When the next waiting alert falls due (epoch seconds), if any."""
    return await db.fetchval(f"SELECT min(due_at) FROM crisis_alerts WHERE {WAITING}")


async def raise_again(
    tx: Transaction, vault: Vault, communities: dict[str, Community], now: datetime
) -> int:
    """Raise every alert due by `now` again, once, calling the moderators by name;
    return how many. Each is marked in the same transaction as its post is queued,
    under a key of its own: a restart, a second process or a replay raises none twice."""
    rows = await tx.fetch(
        f"SELECT id, community, number, what FROM crisis_alerts WHERE {WAITING} "
        "AND due_at <= $1 ORDER BY due_at LIMIT $2",
        epoch(now),
        BATCH,
    )
    raised = 0
    for row in rows:
        claimed = await tx.execute(
            f"UPDATE crisis_alerts SET due_at = NULL, raised_again = 1 WHERE id = $1 AND {WAITING}",
            row["id"],
        )
        community = communities.get(row["community"])
        if claimed != 1 or community is None or not community.channels.mod_queue:
            continue  # taken meanwhile; or a community no longer configured: counted only
        minutes = community.safety.alert_ack_minutes
        words = plural(
            "alerts.raised_again",
            minutes,
            community.language,
            alert=label(row["number"]),
            what=vault.open(ALERT_WHAT, row["id"], row["what"]),
        )
        message = Message(
            words,
            choices=(take_choice(community, row["number"]),),
            mentions=moderators_called(community),
        )
        place = Place.channel(community.platform, community.channels.mod_queue)
        key = f"alert-again:{community.name}:{row['number']}"
        raised += await outbox.enqueue(tx, vault, key, place, message, now)
    return raised


async def taken_by(
    tx: Transaction, vault: Vault, moderator: Member, community: Community
) -> list[dict[str, object]]:
    """The alerts a moderator took in `community`, for their `mydata export`: found by
    opening each taken alert's sealed moderator (no column says who took it)."""
    rows = await tx.fetch(
        "SELECT id, number, created_at, outcome, taken_by FROM crisis_alerts "
        "WHERE community = $1 AND taken_by IS NOT NULL ORDER BY number",
        community.name,
    )
    found: list[dict[str, object]] = []
    for row in rows:
        who = _open_moderator(vault, row["id"], row["taken_by"])
        if (who.get("platform"), who.get("user_id")) != (moderator.platform, moderator.user_id):
            continue
        day = from_epoch(row["created_at"]).astimezone(community.zone).date()
        found.append(
            {
                "community": community.name,
                "alert": label(row["number"]),
                "raised_on": day.isoformat(),
                "taken": "late" if row["outcome"] == "late" else "in time",
            }
        )
    return found
