"""What can go wrong talking to a homeserver, in one place for both halves."""

from __future__ import annotations

import asyncio

import aiohttp

#: The homeserver could not be reached or did not answer in time.
NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


class MatrixLoginError(SystemExit):
    """The homeserver refused the credentials, or the store would not open: a
    SystemExit, so `hearth run` stops and says why instead of running deaf."""


class SyncFailed(Exception):
    """One sync did not come back; the loop tries again."""
