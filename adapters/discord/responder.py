"""Answering one interaction within Discord's three seconds.

The first reply is the interaction's response; later ones are follow-ups. An
interaction is deferred ("Hearth is thinking…", the answer then replaces it)
at once when others are already waiting for the core (a backlog: the answer
would queue behind them), else when the core has not answered by
`defer_after`. In a server every answer is ephemeral; in a DM a plain message.

Why not a timer alone: a timer lives on the event loop, and in a burst the
loop is what is busy (the core's inline SQLite statements, discord.py's
parsing). Each interaction's task first runs only after every task ahead of
it has run its first step, so for the last of 5,000 events at once a timer
started there starts about half a second late, then fires late again on the
busy loop, and the deferral it sends waits its turn once more: ack p99 2.37 s
with a 1.5 s timer, still 1.67 s with a 0.5 s one. Deferring in that first
step, before the core is asked anything, acknowledges as soon as discord.py
hands the interaction over: p99 0.88 s, in the same run
(`bench/discord_ack.py --timer-only` measures all three).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

# Discord allows 3 s for the first response: an answer not there within a few
# hundred milliseconds is deferred, with ample room for the request itself.
DEFER_AFTER = 0.5
# Events already waiting for the core from which a new interaction is deferred at
# once: at under a millisecond of the core's time each, a few ahead still leave
# the answer well inside DEFER_AFTER; more, and it would queue behind them.
BACKLOG = 8


class Responder:
    def __init__(self, interaction: discord.Interaction, *, defer_after: float = DEFER_AFTER):
        self.interaction = interaction
        self.ephemeral = interaction.guild_id is not None
        self.defer_after = defer_after
        self.answered = False
        self._deferred = False
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._firing = False  # past its sleep: cancelling now could cut a request in half

    async def defer_now(self) -> None:
        """Acknowledge before the core is asked (a backlog): the answer follows."""
        async with self._lock:
            if not self.interaction.response.is_done():
                await self._defer()

    def start(self) -> None:
        self._timer = asyncio.create_task(
            self._defer_later(), name=f"hearth-discord-defer-{self.interaction.id}"
        )

    async def _defer_later(self) -> None:
        await asyncio.sleep(self.defer_after)
        self._firing = True
        async with self._lock:
            if not self.interaction.response.is_done():
                await self._defer()

    async def _defer(self) -> None:
        try:
            await self.interaction.response.defer(ephemeral=self.ephemeral, thinking=True)
            self._deferred = True
            log.debug("interaction %s deferred", self.interaction.id)
        except discord.HTTPException as exc:
            log.warning("interaction %s: defer failed (%s)", self.interaction.id, exc.status)

    async def send(self, kwargs: dict[str, Any]) -> None:
        """Answer with a message (kwargs as `views`/`translate` built them)."""
        async with self._lock:
            try:
                if not self.interaction.response.is_done():
                    await self.interaction.response.send_message(ephemeral=self.ephemeral, **kwargs)
                else:
                    await self.interaction.followup.send(
                        ephemeral=self.ephemeral, wait=True, **kwargs
                    )
                self.answered = True
            except discord.HTTPException as exc:
                # The change is already durable; only this answer is lost.
                log.warning(
                    "interaction %s: answer failed (%s, code %s)",
                    self.interaction.id,
                    exc.status,
                    exc.code,
                )

    async def finish(self) -> None:
        """After the core is done: an interaction must never be left unanswered."""
        if self._timer is not None:
            if not self._firing:
                self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        async with self._lock:
            if self.answered:
                return
            try:
                if not self.interaction.response.is_done():
                    if self.interaction.type is discord.InteractionType.component:
                        await self.interaction.response.defer()  # a silent acknowledgement
                        return
                    await self._defer()
                if self._deferred:
                    await self.interaction.delete_original_response()
            except discord.HTTPException as exc:
                log.warning("interaction %s: closing failed (%s)", self.interaction.id, exc.status)
