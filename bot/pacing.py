"""How fast the outbox may send to each platform, so that Hearth stays under
the platform's rate limit (Discord: about 50 requests a second per bot;
Synapse: a few messages a second per user).

Each platform whose config names `sends_per_second` gets a token bucket:
`send_burst` requests may go at once, then one every 1/`sends_per_second`
seconds, so that in any sliding window of W seconds (open at one end, as a
platform counts) at most `send_burst - 1 + ceil(W × sends_per_second)`
requests go out: with a burst of 1, never more than the rate in any second.
Every request the outbox makes takes a token (sends, deletes, reactions, and
what an adapter must ask first, like a Discord DM channel). Time comes from the
injected clock, never from the machine's, so a fake clock drives it in tests.

On SQLite (one process) the buckets live in this process. On PostgreSQL,
where several processes (Discord shards) share one database and one bot
token, each platform's bucket is one row of `send_budget` (migration 20),
taken by one atomic UPDATE, so all processes together stay under the rate;
a 429 from the platform (`RateLimited`) pushes that row past its Retry-After,
and every process waits (docs/postgres.md).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

from bot.config import AdapterSettings
from bot.storage import Database

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _moment(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


class TokenBucket:
    """`burst` tokens, one more every 1/`rate` seconds; a request takes one.

    Kept as the time the next token is due at the steady rate (the "virtual
    scheduling" form of a token bucket, GCRA), in whole microseconds: the
    moment `ready_at()` names, a token is there, with no rounding in between.
    The interval is rounded up, so the rate is never exceeded."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        self._due = 0  # µs: when the next token is due at the steady rate (the past: full)
        self._latest = 0  # µs: the latest moment the bucket was asked about
        self._interval = 0  # µs between two tokens
        self.configure(rate, burst)

    def configure(self, rate: float, burst: int) -> None:
        """A new rate from now on: the next token is one new interval after the
        last request, however long the old interval was."""
        if rate <= 0 or burst < 1:
            raise ValueError(f"a rate above 0 and a burst of at least 1 (got {rate}, {burst})")
        interval = math.ceil(1_000_000 / rate)
        if self._due:
            self._due += interval - self._interval
        self.rate, self.burst = rate, burst
        self._interval = interval
        self._slack = (burst - 1) * interval  # how far ahead of the rate a burst may run

    def _at(self, now: datetime) -> int:
        at = _micros(now)
        self._latest = max(self._latest, at)
        return at

    def available(self, now: datetime) -> int:
        """How many requests may go at `now`, one straight after the other."""
        at = self._at(now)
        room = at + self._slack - max(self._due, at)
        return 0 if room < 0 else room // self._interval + 1

    def take(self, now: datetime) -> bool:
        """Spend a token for a request at `now`; False (nothing spent) if none is there."""
        at = self._at(now)
        if at + self._slack < self._due:
            return False
        self._due = max(self._due, at) + self._interval
        return True

    def ready_at(self) -> datetime | None:
        """When the next token is there, or None if it was there when last asked."""
        ready = self._due - self._slack
        return _moment(ready) if ready > self._latest else None

    def hold(self, until: datetime) -> None:
        """The platform asked to wait (a 429's Retry-After): no token before `until`."""
        self._due = max(self._due, _micros(until) + self._slack)


class SharedBudget:
    """The buckets of every process on one database: one `send_budget` row per
    platform holding the bucket's `due` (µs), GCRA as in `TokenBucket`. A take is
    one UPDATE that grants only tokens that are there, so two processes never
    spend the same one; the rate and burst are each process's configured ones.

    The row is not worth an fsync: after a crash it may have lost its last
    grants, which costs at most one burst (the platform's 429 then holds every
    process back), so its updates commit without waiting for the disk."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ready: dict[str, int] = {}  # platform → the last `due` seen (µs)
        self._known: dict[str, int] = {}  # platform → the interval the row was set to

    async def _ensure(self, platform: str, bucket: TokenBucket) -> None:
        """The platform's row, at this process's interval: a new rate (a reload)
        moves the next token as `TokenBucket.configure` does, once, whichever
        process applies it first."""
        interval = bucket._interval
        if self._known.get(platform) == interval:
            return
        await self.db.execute(
            "INSERT INTO send_budget (platform, due, step, granted) VALUES ($1, 0, $2, 0) "
            "ON CONFLICT (platform) DO NOTHING",
            platform,
            interval,
        )
        await self.db.execute(
            f"UPDATE send_budget SET due = CASE WHEN due > 0 THEN due - step + {interval} "
            f"ELSE 0 END, step = {interval} WHERE platform = $1 AND step <> {interval}",
            platform,
        )
        self._known[platform] = interval

    async def due(self, platform: str, bucket: TokenBucket) -> int:
        await self._ensure(platform, bucket)
        due = int(
            await self.db.fetchval("SELECT due FROM send_budget WHERE platform = $1", platform)
        )
        self._ready[platform] = due
        return due

    async def _update(self, sql: str, *args: object) -> object:
        async with self.db.transaction() as tx:
            await tx.execute("SET LOCAL synchronous_commit TO OFF")
            return await tx.fetchrow(sql, *args)

    async def take(
        self, platform: str, bucket: TokenBucket, now: datetime, count: int, *, exact: bool
    ) -> int:
        """Grant `count` tokens at `now` (`exact`: all or none; else as many as are
        there, up to `count`); how many were granted."""
        await self._ensure(platform, bucket)
        at, interval, slack = _micros(now), bucket._interval, bucket._slack
        # Integers of this process's own written into the statement, so that both
        # engines compute in BIGINT; GREATEST and LEAST spelled as CASE for both.
        base = f"(CASE WHEN due > {at} THEN due ELSE {at} END)"
        if exact:
            grant, allowed = f"{count}", f"{base} + {(count - 1) * interval} <= {at + slack}"
        else:
            room = f"(({at + slack} - {base}) / {interval} + 1)"
            grant, allowed = (
                f"(CASE WHEN {room} < {count} THEN {room} ELSE {count} END)",
                (f"{base} <= {at + slack}"),
            )
        row = await self._update(
            f"UPDATE send_budget SET granted = {grant}, due = {base} + {grant} * {interval} "
            f"WHERE platform = $1 AND {allowed} RETURNING due, granted",
            platform,
        )
        if row is None:
            await self.due(platform, bucket)  # taken by someone else: when is the next?
            return 0
        self._ready[platform] = int(row["due"])  # type: ignore[index]
        return int(row["granted"])  # type: ignore[index]

    async def hold(self, platform: str, bucket: TokenBucket, until: datetime) -> None:
        await self._ensure(platform, bucket)
        due = _micros(until) + bucket._slack
        await self._update(
            f"UPDATE send_budget SET due = CASE WHEN due > {due} THEN due ELSE {due} END "
            "WHERE platform = $1 RETURNING due",
            platform,
        )
        self._ready[platform] = max(self._ready.get(platform, 0), due)

    def last_due(self, platform: str) -> int:
        return self._ready.get(platform, 0)


class Pacing:
    """A bucket for each platform whose adapter config names a rate; any other
    platform (the console by default) sends unpaced. With `shared` (PostgreSQL),
    the buckets' state is the database's, shared by every process on it; the
    rate and burst are still this process's config."""

    def __init__(
        self, adapters: AdapterSettings | None = None, *, shared: SharedBudget | None = None
    ) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self.shared = shared
        # Shared: tokens granted by `available` for the rows it let this pass lease.
        self._granted: dict[str, int] = {}
        self.configure(adapters or AdapterSettings())

    def configure(self, adapters: AdapterSettings) -> None:
        """Apply the rates in `adapters` (at start, and on a reload)."""
        for platform in (f.name for f in dataclasses.fields(adapters)):
            settings = getattr(adapters, platform)
            rate, burst = settings.sends_per_second, settings.send_burst
            bucket = self._buckets.get(platform)
            if rate is None:
                self._buckets.pop(platform, None)
            elif bucket is None:
                self._buckets[platform] = TokenBucket(rate, burst)
            else:
                bucket.configure(rate, burst)

    def paced(self, platform: str) -> bool:
        return platform in self._buckets

    async def available(self, platform: str, now: datetime, most: int) -> int:
        """How many of `most` requests to `platform` may go at `now`. Shared, they
        are granted here and then (`take`) spent: a process leases rows only for
        tokens it holds, so processes do not lease rows just to hand them back.
        One at a time: a token is spent within a lease's round trip of its grant,
        never a batch's sends later (which could crowd a later second)."""
        bucket = self._buckets.get(platform)
        if bucket is None:
            return most
        if self.shared is None:
            return min(most, bucket.available(now))
        granted = await self.shared.take(platform, bucket, now, min(most, 1), exact=False)
        self._granted[platform] = granted  # what a pass before left unspent has lapsed
        self._sync(platform, bucket, now)
        return granted

    async def take(self, platform: str, now: datetime) -> bool:
        """Spend a token for one request, or say there is none."""
        bucket = self._buckets.get(platform)
        if bucket is None:
            return True
        if self.shared is None:
            return bucket.take(now)
        held = self._granted.get(platform, 0)
        if held:  # granted to this pass by `available`
            self._granted[platform] = held - 1
            return True
        taken = await self.shared.take(platform, bucket, now, 1, exact=True)
        self._sync(platform, bucket, now)
        return taken > 0

    def _sync(self, platform: str, bucket: TokenBucket, now: datetime) -> None:
        assert self.shared is not None
        bucket._due = self.shared.last_due(platform)
        bucket._at(now)

    async def hold(self, platform: str, until: datetime) -> None:
        """The platform answered "too many requests": nothing goes before `until`,
        from this process or (shared) any other."""
        bucket = self._buckets.get(platform)
        if bucket is None:
            return
        bucket.hold(until)
        if self.shared is not None:
            await self.shared.hold(platform, bucket, until)

    async def ready_at(self, platform: str) -> datetime | None:
        """When `platform` may be sent to again, if it has to wait."""
        bucket = self._buckets.get(platform)
        if bucket is None:
            return None
        if self.shared is not None:
            bucket._due = await self.shared.due(platform, bucket)
        return bucket.ready_at()
