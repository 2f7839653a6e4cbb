"""A fake Discord for the adapter tests, at the transport: discord.py's own
gateway parsers take raw payloads, and its HTTP goes through a fake aiohttp
session that records every request and answers like Discord does. Everything
above the session (HTTPClient.request, the webhook adapter, serialisation,
error mapping, the command tree, views and modals) is discord.py's real code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from discord.http import Route
from jsonschema import Draft202012Validator
from multidict import CIMultiDict
from yarl import URL

from adapters.discord import DiscordAdapter
from bot.app import FEATURES, Hearth
from bot.clock import FakeClock
from bot.config import AdapterSettings, Channels, Community, Config, DiscordSettings, Moderators
from bot.feature import Feature
from bot.storage import open_database
from bot.vault import Vault
from tests.discord_payloads import (
    APP_ID,
    BOT,
    CELEBRATIONS,
    GENERAL,
    GUILD,
    MOD_QUEUE,
    MOD_ROLE,
    SHARES,
    TOKEN,
    guild_create,
    message_payload,
    ready,
    user,
)

API = "/api/v10"
UNREACHABLE_MESSAGE = "Cannot send messages to this user"


@dataclass
class Request:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Everything this request would tell Discord, for "never in a request" checks."""
        return json.dumps(self.json, ensure_ascii=False) + " " + self.path


class _Response:
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.reason = {
            200: "OK",
            204: "No Content",
            403: "Forbidden",
            404: "Not Found",
            429: "Too Many Requests",
            500: "Internal Server Error",
        }.get(status, "")
        self.headers = CIMultiDict()
        self._text = ""
        if body is not None:
            self._text = json.dumps(body)
            self.headers["content-type"] = "application/json"

    async def text(self, encoding: str = "utf-8") -> str:
        return self._text

    async def read(self) -> bytes:
        return self._text.encode()


class _Exchange:
    def __init__(self, response: _Response, fake: FakeDiscord, method: str, url: str) -> None:
        self.response = response
        self.fake, self.method, self.url = fake, method, url

    async def __aenter__(self) -> _Response:
        await asyncio.sleep(0)  # a real request yields to the loop
        for trace in self.fake.traces:  # as aiohttp's session calls the client's traces
            params = aiohttp.TraceRequestEndParams(
                self.method, URL(self.url), CIMultiDict(), self.response
            )
            await trace.on_request_end.send(self.fake, trace.trace_config_ctx(), params)
        return self.response

    async def __aexit__(self, *exc: object) -> None:
        return None


def _body(data: Any) -> tuple[Any, dict[str, bytes]]:
    if data is None:
        return None, {}
    if isinstance(data, str | bytes):
        return json.loads(data), {}
    assert isinstance(data, aiohttp.FormData)
    payload, files = None, {}
    for options, _headers, value in data._fields:
        if options["name"] == "payload_json":
            payload = json.loads(value)
        else:
            files[options.get("filename", options["name"])] = value.getvalue()
    return payload, files


class FakeDiscord:
    """The aiohttp session discord.py talks through: records, then answers."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.closed = False
        self._ids = itertools.count(700000000000000001)
        self.dm_channels: dict[str, str] = {}  # user id → DM channel id
        self.closed_dms: dict[str, int] = {}  # user id → error code on their DM channel
        self.no_dm_channel: dict[str, int] = {}  # user id → error code on creating it
        self.messages: dict[str, dict[str, Any]] = {}  # message id → payload as sent
        self.failures: dict[str, list[tuple[int, int]]] = {}  # path → (status, code) to answer
        self.rate_limits: dict[str, list[float]] = {}  # path → Retry-After of 429s to answer
        self.traces: list[aiohttp.TraceConfig] = []  # the client's (discord.py's http_trace)

    def next_id(self) -> str:
        return str(next(self._ids))

    # --- the session interface discord.py uses -------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> _Exchange:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.update({k: str(v) for k, v in (kwargs.get("params") or {}).items()})
        payload, files = _body(kwargs.get("data"))
        path = parts.path.removeprefix(API)
        recorded = Request(method, path, query, payload, files, dict(kwargs.get("headers") or {}))
        self.requests.append(recorded)
        if self.rate_limits.get(recorded.path):
            return _Exchange(
                self._too_many(self.rate_limits[recorded.path].pop(0)), self, method, url
            )
        status, body = self._answer(recorded)
        return _Exchange(_Response(status, body), self, method, url)

    @staticmethod
    def _too_many(retry_after: float) -> _Response:
        """Discord's 429 for this bot's requests (not a Cloudflare block: it has Via)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
        }
        response = _Response(429, body)
        response.headers.update(
            {"Retry-After": f"{retry_after:g}", "Via": "1.1 google", "X-RateLimit-Scope": "user"}
        )
        return response

    async def close(self) -> None:
        self.closed = True

    # --- what Discord answers -------------------------------------------------

    def _answer(self, req: Request) -> tuple[int, Any]:
        if self.failures.get(req.path):
            status, code = self.failures[req.path].pop(0)
            return status, {"code": code, "message": "Missing Permissions"}
        segments = req.path.strip("/").split("/")
        match req.method, segments:
            case "GET", ["users", "@me"]:
                return 200, BOT
            case "GET", ["oauth2", "applications", "@me"]:
                return 200, {
                    "id": str(APP_ID),
                    "name": "Hearth",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "owner": BOT,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "summary": "",
                }
            case "PUT", ["applications", _, *rest]:
                guild = rest[1] if rest[0] == "guilds" else None
                return 200, [
                    {
                        **command,
                        "id": self.next_id(),
                        "application_id": str(APP_ID),
                        "guild_id": guild,
                        "version": "1",
                        "default_member_permissions": command.get("default_member_permissions"),
                    }
                    for command in req.json
                ]
            case "POST", ["users", "@me", "channels"]:
                recipient = str(req.json["recipient_id"])
                if recipient in self.no_dm_channel:
                    return 403, {
                        "code": self.no_dm_channel[recipient],
                        "message": UNREACHABLE_MESSAGE,
                    }
                channel = self.dm_channels.setdefault(recipient, self.next_id())
                return 200, {
                    "id": channel,
                    "type": 1,
                    "last_message_id": None,
                    "recipients": [user(int(recipient), f"u{recipient[-4:]}")],
                }
            case "POST", ["channels", channel, "messages"]:
                owner = next((u for u, c in self.dm_channels.items() if c == channel), None)
                if owner in self.closed_dms:
                    return 403, {"code": self.closed_dms[owner], "message": UNREACHABLE_MESSAGE}
                return 200, self._message(channel, req.json)
            case "DELETE", ["channels", _, "messages", message]:
                self.messages.pop(message, None)
                return 204, None
            case "PUT", ["channels", _, "messages", _, "reactions", _, "@me"]:
                return 204, None
            case "POST", ["interactions", interaction, _, "callback"]:
                return 200, self._callback(interaction, req.json)
            case "POST", ["webhooks", _, _]:
                return 200, self._message(GENERAL, req.json)
            case "PATCH", ["webhooks", _, _, "messages", _]:
                return 200, self._message(GENERAL, req.json)
            case "DELETE", ["webhooks", _, _, "messages", _]:
                return 204, None
        return 404, {"code": 0, "message": f"fake Discord has no {req.method} {req.path}"}

    def _message(self, channel: str | int, body: dict[str, Any] | None) -> dict[str, Any]:
        body = body or {}
        message_id = self.next_id()
        payload = message_payload(
            message_id,
            str(channel),
            BOT,
            body.get("content") or "",
            embeds=body.get("embeds", []),
            flags=body.get("flags", 0),
            components=body.get("components", []),
            nonce=body.get("nonce"),
        )
        self.messages[message_id] = payload
        return payload

    def _callback(self, interaction: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body["type"]
        data = body.get("data") or {}
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            }
        }
        if kind in (4, 5):
            message = self._message(GENERAL, data)
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": kind, "message": message}
        return answer

    # --- reading what was sent -------------------------------------------------

    def sent(self, method: str | None = None, prefix: str = "") -> list[Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and r.path.startswith(prefix)
        ]

    def posts_to(self, channel: int | str) -> list[dict[str, Any]]:
        """Bodies of messages posted to a channel (not interaction answers)."""
        return [r.json for r in self.sent("POST", f"/channels/{channel}/messages")]

    def dms_to(self, user_id: int | str) -> list[dict[str, Any]]:
        channel = self.dm_channels.get(str(user_id))
        return [] if channel is None else self.posts_to(channel)

    def answers(self) -> list[Request]:
        """Interaction responses and follow-ups, in order."""
        return [r for r in self.requests if r.path.startswith(("/interactions/", "/webhooks/"))]


def install(client: Any, fake: FakeDiscord) -> None:
    """Log `client` in through `fake` instead of a real aiohttp session; the
    rest of `Client.login` (application info, setup_hook) runs as it is."""
    http = client.http
    if http.http_trace is not None:
        http.http_trace.freeze()  # as aiohttp's session does with the traces it is given
        fake.traces = [http.http_trace]

    async def static_login(token: str) -> Any:
        http._HTTPClient__session = fake
        http._global_over = asyncio.Event()
        http._global_over.set()
        http.token = token
        return await http.request(Route("GET", "/users/@me"))

    http.static_login = static_login


def _background(task: asyncio.Task[Any]) -> bool:
    name = getattr(task.get_coro(), "__qualname__", "")
    return "timeout_task" in name or "delay_ready" in name


async def settle() -> None:
    """Wait until every task discord.py or Hearth started for what was fed is done
    (not views' 15-minute timeouts)."""
    current = asyncio.current_task()
    for _ in range(50):
        await asyncio.sleep(0)
        pending = [t for t in asyncio.all_tasks() if t is not current and not _background(t)]
        if not pending:
            return
        await asyncio.wait(pending, timeout=5)


# --- a running Hearth on the fake Discord ---------------------------------------------

SECRET = bytes(range(32))
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin


def harbour(**overrides: Any) -> Community:
    base = Community(
        name="harbour",
        platform="discord",
        guild_id=str(GUILD),
        channels=Channels(
            shares=str(SHARES), mod_queue=str(MOD_QUEUE), celebrations=str(CELEBRATIONS)
        ),
        moderators=Moderators(roles=(str(MOD_ROLE),)),
    )
    return dataclasses.replace(base, **overrides)


def discord_config(db_url: str, *communities: Community, **adapter: Any) -> Config:
    # A burst wide enough for what a test sends at one fake instant (the clock
    # stands still between steps); pacing has tests of its own.
    base = DiscordSettings(enabled=True, token=TOKEN, send_burst=100)
    settings = dataclasses.replace(base, **adapter)
    return Config(
        database=db_url,
        adapters=AdapterSettings(discord=settings),
        communities=communities or (harbour(),),
    )


@dataclass
class Harness:
    hearth: Hearth
    adapter: DiscordAdapter
    fake: FakeDiscord
    clock: FakeClock

    def feed(self, event: str, payload: dict[str, Any]) -> None:
        self.adapter.client._connection.parsers[event](payload)

    async def run(self, event: str, payload: dict[str, Any]) -> list[Request]:
        """Feed one gateway event, wait for everything it set off; return the
        requests it caused."""
        before = len(self.fake.requests)
        self.feed(event, payload)
        await settle()
        return self.fake.requests[before:]

    async def interact(self, payload: dict[str, Any]) -> list[Request]:
        return await self.run("INTERACTION_CREATE", payload)

    async def advance(self, **delta: float) -> list[Request]:
        before = len(self.fake.requests)
        await self.hearth.scheduler.advance_to(self.clock.now() + timedelta(**delta))
        await settle()
        return self.fake.requests[before:]

    async def flush(self) -> list[Request]:
        before = len(self.fake.requests)
        await self.hearth.settle()
        await settle()
        return self.fake.requests[before:]

    async def stop(self) -> None:
        await self.adapter.close()
        await self.hearth.db.close()


async def start(
    config: Config,
    *,
    clock: FakeClock | None = None,
    fake: FakeDiscord | None = None,
    defer_after: float = 1.5,
    connect: bool = True,
    features: tuple[Feature, ...] = FEATURES,
) -> Harness:
    """Hearth (with `features`) and the Discord adapter, logged in through `fake`,
    and (with `connect`) READY and GUILD_CREATE fed through discord.py's parser."""
    fake = fake or FakeDiscord()
    clock = clock or FakeClock(START)
    adapter = DiscordAdapter(
        config, defer_after=defer_after, client_options={"guild_ready_timeout": 0}
    )
    install(adapter.client, fake)
    db = await open_database(config.database)
    hearth = Hearth(config, db, clock, {"discord": adapter}, Vault(SECRET), features=features)
    await adapter.login(hearth)
    harness = Harness(hearth, adapter, fake, clock)
    if connect:
        guilds = [int(c.guild_id) for c in config.communities if c.guild_id]
        harness.feed("READY", ready(guilds))
        for guild_id in guilds:
            harness.feed("GUILD_CREATE", guild_create(guild_id, [MOD_ROLE]))
        await settle()
    return harness


# --- Discord's own description of its API ------------------------------------------------

# The project's shared copy beside the checkout when there is one (the newest), else
# the copy kept in tests/fixtures, so a clone anywhere checks against the same description.
_SHARED = Path(__file__).resolve().parents[2] / "shared" / "discord-openapi.json"
_KEPT = Path(__file__).parent / "fixtures" / "discord-openapi.json"
OPENAPI = _SHARED if _SHARED.exists() else _KEPT


@cache
def _openapi() -> dict[str, Any]:
    described = json.loads(OPENAPI.read_text(encoding="utf-8"))
    # The description types ids as strings; Discord takes them as JSON numbers too,
    # and discord.py sends some so (`recipient_id`).
    schemas = described["components"]["schemas"]
    schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer"}]}
    return described


@cache
def _routes() -> tuple[tuple[re.Pattern[str], dict[str, Any]], ...]:
    """Each path template as a pattern; the most literal first (`/users/@me/…`)."""
    templates = sorted(_openapi()["paths"].items(), key=lambda item: item[0].count("{"))
    return tuple(
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), operations)
        for template, operations in templates
    )


def openapi_problems(request: Request) -> list[str]:
    """What Discord's OpenAPI description (OPENAPI) finds wrong
    with a JSON request body as discord.py sent it; [] for a body it accepts."""
    if request.json is None or request.files:
        return []  # no body, or a multipart one (its payload_json has its own schema)
    found = [ops for pattern, ops in _routes() if pattern.match(request.path)]
    operation = found[0].get(request.method.lower()) if found else None
    if operation is None:
        return [f"{request.method} {request.path}: not in Discord's API"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": _openapi()["components"]})
    return [
        f"{request.method} {request.path} {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in validator.iter_errors(request.json)
    ]
