"""The optional HTTP endpoint (`http.enabled`): /healthz and /metrics.

Nothing here can change Hearth's state, and nothing it serves is about one
member. It has no authentication: bind it to loopback or a private network.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.config import Http
from bot.metrics import CONTENT_TYPE
from bot.ops.health import check_health
from bot.outbox import UNSENT

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import Hearth

log = logging.getLogger(__name__)


class ServeError(Exception):
    """The endpoint cannot listen where the config says (port taken, no such address)."""


async def observe(hearth: Hearth) -> None:
    """Set the gauges that are read at scrape time rather than counted."""
    metrics = hearth.metrics
    # On the read connection, by index: a scrape never waits for, nor holds up, an event.
    async with hearth.db.reading() as tx:
        metrics.outbox_depth.set(await tx.fetchval(f"SELECT count(*) FROM outbox WHERE {UNSENT}"))
        metrics.unreachable_members.set(
            await tx.fetchval("SELECT count(*) FROM members WHERE unreachable_at IS NOT NULL")
        )
    last = hearth.scheduler.last_tick
    age = 0.0 if last is None else (hearth.clock.now() - last).total_seconds()
    metrics.scheduler_last_tick_age.set(age)


def make_app(hearth: Hearth, *, background: bool) -> web.Application:
    from aiohttp import web  # only deployments that serve HTTP pay for the import

    async def healthz(request: web.Request) -> web.Response:
        report = await check_health(hearth, background=background)
        return web.json_response(report.as_json(), status=200 if report.healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        try:
            await observe(hearth)
        except Exception:  # the counters are still worth serving; /healthz tells the rest
            log.warning("metrics: the gauges could not be read", exc_info=True)
        return web.Response(
            body=hearth.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


@asynccontextmanager
async def serving(
    http: Http, hearth: Hearth, *, background: bool
) -> AsyncIterator[list[tuple[str, int]]]:
    """Serve while inside the block; yields the bound (host, port) addresses (none if disabled)."""
    if not http.enabled:
        yield []
        return
    from aiohttp import web

    # No access log: a health check every few seconds would drown what matters.
    runner = web.AppRunner(make_app(hearth, background=background), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, http.host, http.port).start()
        except OSError as exc:
            raise ServeError(f"cannot serve http on {http.host}:{http.port}: {exc}") from exc
        addresses = [(address[0], address[1]) for address in runner.addresses]
        shown = ", ".join(f"{host}:{port}" for host, port in addresses)
        log.info("serving /healthz and /metrics on %s", shown)
        yield addresses
    finally:
        await runner.cleanup()
