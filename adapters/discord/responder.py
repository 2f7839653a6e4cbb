"""Answering one interaction within Discord's three seconds.

The first reply is the interaction's response; later ones are follow-ups. If
the core has not answered by `defer_after`, the interaction is deferred
("Hearth is thinking…"), and the answer then replaces that. In a server every
answer is ephemeral; in a DM a plain message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

# Discord allows 3 s for the first response; leave room for the request itself.
DEFER_AFTER = 1.5


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
