"""What sharing puts in channels and DMs, through the outbox: share and reply
posts, the moderators' queue, take-downs, and relays to an anonymous author.
Every text a member wrote has its mentions neutralised before it goes out.

Channel posts are read by the whole community: in the community's language
(`Community.language`). A DM to one author is in theirs (`author_locale`)."""

from __future__ import annotations

from datetime import datetime

from bot import members, outbox
from bot.config import Community
from bot.features.sharing.store import Reply, Share
from bot.port import Choice, Member, Message, Place, Spoiler
from bot.safety.crisis import touches_topic
from bot.safety.mentions import neutralise_mentions
from bot.storage import Transaction
from bot.texts import text
from bot.vault import Vault


def share_key(community: str, number: int) -> str:
    return f"share:{community}:{number}"


def reply_key(community: str, label: str) -> str:
    return f"reply:{community}:{label}"


def queue_key(community: str, label: str) -> str:
    return f"queue:{community}:{label}"


def report_key(community: str, report_id: int) -> str:
    """The queue channel's post of a report (`tell_moderators` with key "report:ID")."""
    return f"modnote:{community}:report:{report_id}"


def shares_place(community: Community) -> Place:
    return Place.channel(community.platform, community.channels.shares or "")


def queue_place(community: Community) -> Place:
    return Place.channel(community.platform, community.channels.mod_queue or "")


def share_message(share: Share, community: Community) -> Message:
    lang = community.language  # a channel post: the community's language
    body = neutralise_mentions(share.body or "")
    words = f"{share.content_warning or ''} {share.body or ''}"
    # Under a post that speaks of suicide or self-harm (safe-messaging guidance,
    # #chatsafe); outside any spoiler, so the pointer to help is seen before what it is about.
    topic = touches_topic(words, community.safety.crisis_terms)
    # Replies are typed to the bot in private, never under the post where all can see;
    # the pointer to help comes last.
    help_line = "\n" + text("sharing.post_reply_hint", lang, number=share.number)
    if topic:
        help_line += "\n" + text("sharing.help_line", lang)
    choices = (
        Choice(text("sharing.choice_support", lang), f"support {share.number}", "🤝"),
        # No emoji: on Matrix a reaction is public and would show who means to reply.
        Choice(text("sharing.choice_reply", lang), f"reply {share.number}"),
    )
    if share.content_warning:
        warning = neutralise_mentions(share.content_warning)
        title = text("sharing.post_share_title", lang, number=share.number)
        return Message(title + help_line, choices=choices, spoiler=Spoiler(warning, body))
    post = text("sharing.post_share", lang, number=share.number, body=body)
    return Message(post + help_line, choices=choices)


async def post_share(
    tx: Transaction, vault: Vault, community: Community, share: Share, now: datetime
) -> None:
    await outbox.enqueue(
        tx,
        vault,
        share_key(community.name, share.number),
        shares_place(community),
        share_message(share, community),
        now,
    )


async def post_reply(
    tx: Transaction, vault: Vault, community: Community, reply: Reply, now: datetime
) -> None:
    lang = community.language  # a channel post: the community's language
    post = text(
        "sharing.post_reply", lang, label=reply.label, body=neutralise_mentions(reply.body or "")
    )
    await outbox.enqueue(
        tx,
        vault,
        reply_key(community.name, reply.label),
        shares_place(community),
        Message(post),
        now,
        reply_to_key=share_key(community.name, reply.share_number),
    )


async def queue_for_review(
    tx: Transaction,
    vault: Vault,
    community: Community,
    share: Share,
    now: datetime,
    *,
    past_warning: bool = False,
) -> None:
    """The moderators' view: number and words, never who wrote them; and why to look
    twice when the author posted identifying details past the warning."""
    lang = community.language  # a channel post: the community's language
    number = share.number
    lines = [text("sharing.queue_post", lang, number=number)]
    if past_warning:
        lines.append(text("sharing.queue_post_details", lang))
    if share.content_warning:
        warning = neutralise_mentions(share.content_warning)
        lines.append(text("sharing.queue_post_warning", lang, warning=warning))
    lines.append(neutralise_mentions(share.body or ""))
    choices = (
        Choice(text("sharing.choice_approve", lang), f"mod approve {number}", "✅"),
        Choice(text("sharing.choice_reject", lang), f"mod reject {number}", "❌"),
        Choice(text("sharing.choice_block_author", lang), f"mod block {number}", "⛔"),
    )
    await outbox.enqueue(
        tx,
        vault,
        queue_key(community.name, str(number)),
        queue_place(community),
        Message("\n".join(lines), choices=choices),
        now,
    )


async def tell_moderators(
    tx: Transaction,
    vault: Vault,
    community: Community,
    key: str,
    text: str,
    now: datetime,
    choices: tuple[Choice, ...] = (),
) -> None:
    if community.channels.mod_queue:
        await outbox.enqueue(
            tx,
            vault,
            f"modnote:{community.name}:{key}",
            queue_place(community),
            Message(text, choices=choices),
            now,
        )


async def take_down(
    tx: Transaction, vault: Vault, community: Community, key: str, place: Place, now: datetime
) -> None:
    await outbox.enqueue_delete(tx, vault, f"takedown:{key}", place, key, now)


async def author_locale(
    tx: Transaction, vault: Vault, author: Member | None, community: Community
) -> str:
    """The language to tell an author in: their own, else their community's. What a
    moderator decided is told in the author's language, not the moderator's."""
    record = await members.find(tx, vault, author) if author is not None else None
    return members.locale_for(record, community.language) if record else community.language


async def tell_author(
    tx: Transaction,
    vault: Vault,
    author: Member | None,
    key: str,
    text: str | Message,
    now: datetime,
) -> bool:
    """A private word to an anonymous author, while their link lasts.

    No member id is stored with it: the recipient is sealed inside the outbox
    row, so the database never pairs them with their share in the clear."""
    if author is None:
        return False
    message = text if isinstance(text, Message) else Message(text)
    return await outbox.enqueue(tx, vault, key, Place.dm(author), message, now)


async def mark_handled(
    tx: Transaction, vault: Vault, community: Community, key: str, emoji: str, now: datetime
) -> None:
    """Mark the queue channel's post queued as `key` as decided (a reaction on it)."""
    if community.channels.mod_queue:
        await outbox.enqueue_react(
            tx, vault, f"handled:{key}", queue_place(community), key, emoji, now
        )
