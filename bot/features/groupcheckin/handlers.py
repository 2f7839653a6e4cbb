"""A member's message in a group check-in thread: counted, and listened to with care.

Nothing is stored of it but one more answer in that week's count. Its words are
read only for the crisis check, as a plain DM is: a cry for help in the thread
is answered privately, with the community's resources and a moderator's contact
offered, and nothing about it is kept or forwarded.
"""

from __future__ import annotations

from bot.features.groupcheckin import threads
from bot.localtime import checkin_day, parse_hhmm
from bot.port import MessagePosted
from bot.requests import Request, Router
from bot.safety import care
from bot.storage import Transaction
from bot.vault import Vault

#: the hidden command a message in a group check-in thread becomes (bot/app.py)
ANSWERED = "groupcheckin-answer"


def register(router: Router) -> None:
    router.add(ANSWERED, answered, "", "", hidden=True)


async def answer_words(tx: Transaction, vault: Vault, event: MessagePosted) -> str | None:
    """The command words for a message posted in a thread, when the thread is a group
    check-in Hearth opened (for its community); None for any other thread, which the
    core leaves alone: no member is looked up, nothing is written."""
    found = await threads.answered_occasion(tx, vault, event)
    return None if found is None else f"{ANSWERED} --community {found[0]}"


async def answered(req: Request) -> None:
    event = req.event
    if not isinstance(event, MessagePosted) or event.thread is None:
        return  # the words typed by hand: nothing to count
    found = await threads.answered_occasion(req.tx, req.vault, event)
    if found is None or found[0] != req.community.name:
        return
    await threads.count_answer(req.tx, *found)
    match = care.crisis_in(event.text, req.community)
    if match is None:
        return  # an ordinary answer: Hearth says nothing in the members' thread
    day = checkin_day(
        req.now,
        req.member.zone(req.community.checkins.default_timezone),
        parse_hhmm(req.community.checkins.day_reset),
    )
    await care.mark_cared_for(req, day)
    await care.offer_care(req, offer_contact=True, language=match.language)
