"""A reply that goes to the member's DM wherever they asked (SPEC §2: `mydata export`
is answered by DM, never in a channel, not even ephemerally)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.port import Message


@dataclass(frozen=True)
class DirectReply(Message):
    """Sent to the member's DM by the core (bot/app.py). Asked in a channel, the member
    is answered there with `instead`, or with `undelivered` when the DM could not go."""

    instead: str = ""
    undelivered: str = ""

    def plain(self) -> Message:
        return Message(
            self.text,
            choices=self.choices,
            attachment=self.attachment,
            spoiler=self.spoiler,
            reply_to=self.reply_to,
            idempotency_key=self.idempotency_key,
        )
