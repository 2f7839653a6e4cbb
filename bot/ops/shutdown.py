"""Stopping cleanly on SIGTERM and SIGINT (`docker stop`, systemd, Ctrl-C).

The order matters: stop taking events, let the one in hand finish (its
reply is only sent once its write is durable), flush the outbox for a
bounded time, then close the adapters (each saves what it needs to resume);
the caller closes the database last, which folds SQLite's WAL into its file.
Whatever the outbox could not send in time stays in the database and goes
out after the next start, so a slow platform delays messages, never loses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.app import Hearth

log = logging.getLogger(__name__)

# Seconds the final outbox flush may take. `docker stop` sends SIGKILL 10 s
# after SIGTERM by default: this leaves room to close everything before that.
FLUSH_WITHIN = 8.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)

T = TypeVar("T")


@contextlib.contextmanager
def stop_on_signals(stopping: asyncio.Event) -> Iterator[None]:
    """Within the block, SIGTERM or SIGINT sets `stopping`; a second one acts at once."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(signum: signal.Signals) -> None:
        log.info("%s received: stopping", signum.name)
        stopping.set()
        for each in installed:  # back to the default: a second signal is not ignored
            loop.remove_signal_handler(each)
        installed.clear()

    for signum in SIGNALS:
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def until_stopped(items: AsyncIterator[T], stopping: asyncio.Event) -> AsyncIterator[T]:
    """`items` until they end or `stopping` is set: nothing new is taken after a signal."""
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        while not stopping.is_set():
            step = asyncio.ensure_future(anext(items))
            await asyncio.wait({step, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.is_set():  # even if an item arrived too: it was never acknowledged
                step.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await step
                return
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        stopped.cancel()


async def finish(hearth: Hearth, within: float = FLUSH_WITHIN) -> None:
    """After intake has stopped: flush the outbox for at most `within` s, close the adapters."""
    try:
        await asyncio.wait_for(hearth.stop(), within)
    except TimeoutError:
        log.warning("outbox not flushed in %g s: the rest goes out after the next start", within)
    for name, adapter in hearth.adapters.items():
        try:
            await adapter.close()
        except Exception:
            log.exception("adapter %s did not close cleanly", name)
