"""What "healthy" means for a running Hearth, and how the CLI asks a running one.

Three checks: every adapter is connected, the database answers `SELECT 1`
quickly, and the scheduler has looked for due work recently. `/healthz`
serves the report; `hearth health --config FILE` asks it from outside (the
Docker HEALTHCHECK), so it needs `http.enabled: true`.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import Http
from bot.scheduler import IDLE_POLL

if TYPE_CHECKING:
    from bot.app import Hearth

DATABASE_TIMEOUT = 2.0  # seconds; a database slower than this is as good as gone
# The background loop looks at least every IDLE_POLL; a long batch of sends
# may hold one pass for a while, so only a much older tick means it is stuck.
STALE_AFTER = 5 * IDLE_POLL
OK = "ok"


@dataclass(frozen=True)
class HealthReport:
    checks: dict[str, str]  # check name → "ok" or what is wrong

    @property
    def healthy(self) -> bool:
        return all(result == OK for result in self.checks.values())

    def as_json(self) -> dict[str, object]:
        return {"status": "ok" if self.healthy else "unhealthy", "checks": self.checks}


async def check_health(
    hearth: Hearth, *, background: bool, database_timeout: float = DATABASE_TIMEOUT
) -> HealthReport:
    """`background`: the scheduler runs on the real clock (not stepped by console lines)."""
    return HealthReport(
        {
            "adapters": _adapters(hearth),
            "database": await _database(hearth, database_timeout),
            "scheduler": _scheduler(hearth, background),
        }
    )


def _adapters(hearth: Hearth) -> str:
    down = sorted(name for name, adapter in hearth.adapters.items() if not adapter.connected)
    return f"not connected: {', '.join(down)}" if down else OK


async def _database(hearth: Hearth, timeout: float) -> str:
    try:
        await asyncio.wait_for(hearth.db.fetchval("SELECT 1"), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as exc:  # whatever the engine raises, the answer is "unreachable"
        return f"unreachable ({type(exc).__name__})"
    return OK


def _scheduler(hearth: Hearth, background: bool) -> str:
    if not background:
        return OK  # a virtual clock: it runs after every console line, alive with the process
    last = hearth.scheduler.last_tick
    if last is None:
        return "has not run yet"
    age = hearth.clock.now() - last
    if age > STALE_AFTER:
        return f"last ran {age // timedelta(seconds=1)} s ago"
    return OK


def probe(http: Http, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask a running Hearth's /healthz; (healthy, what to print)."""
    if not http.enabled:
        return False, "http is disabled in the config: set http.enabled: true to check health"
    # A server bound to every interface is reached on loopback from inside the host.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(http.host, http.host)
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{http.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return True, response.read().decode()
    except urllib.error.HTTPError as error:  # 503: the body says which check failed
        return False, error.read().decode()
    except (OSError, ValueError) as error:
        return False, f"no answer from {url}: {error}"
