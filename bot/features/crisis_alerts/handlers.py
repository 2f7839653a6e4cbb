"""`mod take aN`: a moderator says "I'm on it" for a crisis alert. The first to say
so has it; everyone else is told who does, and the queue shows it."""

from __future__ import annotations

from bot import audit
from bot.port import Command, Option, Words
from bot.requests import Args, Refusal, Request
from bot.safety import alerts

TAKE = Command(
    ("mod", "take"),
    Words("discord.command_mod_take"),
    (Option("alert", Words("discord.option_mod_take_alert"), required=True, max_length=12),),
)


async def take(req: Request, args: Args) -> None:
    number = alerts.parse_label(args.word(0))
    if number is None:
        raise Refusal(req.t("alerts.take_which"))
    community = req.community
    # How the other moderators know them: their name on the platform, else their id.
    shown = req.event.display_name or req.member.user_id
    taken = await alerts.take(
        req.tx, req.vault, community, number, req.member.member, shown, req.now
    )
    label = alerts.label(number)
    if taken is None:
        raise Refusal(req.t("alerts.no_such_alert", alert=label))
    if not taken.won and taken.by == shown:  # theirs already (a second tap)
        req.say(req.t("alerts.taken_yours", alert=label, what=taken.what))
        return
    if not taken.won:
        req.say(req.t("alerts.taken_already", alert=label, moderator=taken.by))
        return
    await audit.record(
        req.tx,
        req.vault,
        community.name,
        req.member.member,
        "take",
        None,
        f"{label} late" if taken.late else label,
        req.now,
    )
    await alerts.tell_queue_taken(req.tx, req.vault, community, number, taken, req.now)
    req.say(req.t("alerts.taken_yours", alert=label, what=taken.what))
