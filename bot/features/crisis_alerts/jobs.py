"""The job that raises again, once, every crisis alert nobody took in time."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.config import Config
from bot.localtime import from_epoch
from bot.safety import alerts
from bot.storage import Database
from bot.vault import Vault

log = logging.getLogger(__name__)


class AlertJob:
    """Due: the first waiting alert's `due_at`. Each pass raises what is due in one
    transaction; the alert is marked with its post queued, so nothing is raised twice."""

    name = "crisis-alerts"

    def __init__(self, db: Database, vault: Vault, config: Config) -> None:
        self.db = db
        self.vault = vault
        self.config = config  # replaced by `mod reload`

    async def next_due_at(self) -> datetime | None:
        value = await alerts.next_due_at(self.db)
        return None if value is None else from_epoch(value)

    async def run_due(self, now: datetime) -> None:
        communities = {c.name: c for c in self.config.communities}
        async with self.db.transaction() as tx:
            raised = await alerts.raise_again(tx, self.vault, communities, now)
        if raised:
            log.info("crisis alerts raised again: %d", raised)
