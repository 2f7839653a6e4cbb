"""What the console playground remembers of what it printed, so a message
printed before a crash is printed once (as a real platform honours a retried
send's idempotency key). Keys are kept as `hash_key` makes them: keyed, since
"relay:reply:12" must not be readable in a copy of the database."""

from __future__ import annotations

from collections.abc import Callable

from bot.storage import Database

REMEMBERED = 10_000  # keys kept: only a recent message can be sent again


class ConsoleLedger:
    def __init__(self, db: Database, hash_key: Callable[[str], str]) -> None:
        self.db = db
        self.hash_key = hash_key

    async def claim(self, idempotency_key: str) -> tuple[int, bool]:
        """The message's number, and whether this is its first printing. Durable
        before it is printed: a kill in between loses this one message rather
        than printing it twice (at most once, as prompts promise)."""
        key = self.hash_key(idempotency_key)
        async with self.db.transaction() as tx:
            printed = await tx.fetchval(
                "SELECT id FROM console_deliveries WHERE idempotency_key = $1", key
            )
            if printed is not None:
                return printed, False  # printed before a restart: the outbox is catching up
            number = await tx.fetchval(
                "INSERT INTO console_deliveries (idempotency_key) VALUES ($1) RETURNING id", key
            )
            # Its outbox row is still there only for a recent message: keep the last keys.
            await tx.execute("DELETE FROM console_deliveries WHERE id <= $1", number - REMEMBERED)
        return number, True
