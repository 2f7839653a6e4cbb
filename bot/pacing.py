"""How fast the outbox may send to each platform, so that Hearth stays under
the platform's rate limit (Discord: about 50 requests a second per bot;
Synapse: a few messages a second per user).

Each platform whose config names `sends_per_second` gets a token bucket:
`send_burst` requests may go at once, then one every 1/`sends_per_second`
seconds, so that in any sliding window of W seconds (open at one end, as a
platform counts) at most `send_burst - 1 + ceil(W × sends_per_second)`
requests go out: with a burst of 1, never more than the rate in any second.
Sends and deletes both take a token. Time comes
from the injected clock, never from the machine's, so a fake clock drives it
in tests. The buckets live in this process: several processes on one database
each send at the configured rate.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

from bot.config import AdapterSettings

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


class Pacing:
    """A bucket for each platform whose adapter config names a rate; any other
    platform (the console by default) sends unpaced."""

    def __init__(self, adapters: AdapterSettings | None = None) -> None:
        self._buckets: dict[str, TokenBucket] = {}
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

    def available(self, platform: str, now: datetime, most: int) -> int:
        """How many of `most` requests to `platform` may go at `now`."""
        bucket = self._buckets.get(platform)
        return most if bucket is None else min(most, bucket.available(now))

    def take(self, platform: str, now: datetime) -> bool:
        bucket = self._buckets.get(platform)
        return bucket is None or bucket.take(now)

    def ready_at(self, platform: str) -> datetime | None:
        """When `platform` may be sent to again, if it has to wait."""
        bucket = self._buckets.get(platform)
        return None if bucket is None else bucket.ready_at()
