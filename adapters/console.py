"""The console playground: a scriptable stand-in for a chat platform (SPEC §6).

Lines come from a terminal or a pipe; every message the bot sends is printed
as `[PLACE] TEXT`. Only translation lives here: what a line means for the
member is decided by the core.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TextIO

from bot.port import (
    Adapter,
    CommandGiven,
    Event,
    Member,
    Message,
    MessagePosted,
    Place,
    text,
)

PLATFORM = "console"
_DURATION = re.compile(r"^\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class Ledger(Protocol):
    """Where the playground remembers what it printed (bot/console_ledger.py)."""

    async def claim(self, idempotency_key: str) -> tuple[int, bool]:
        """The message's number, and whether it is printed for the first time."""
        ...


class Playground(Protocol):
    """What the playground asks of the running bot: the port's `handle`, and, for
    a script, running what is due and moving the virtual clock."""

    async def handle(self, event: Event) -> None: ...

    async def settle(self) -> None: ...

    async def advance_to(self, when: datetime) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class ConsoleAdapter(Adapter):
    platform = PLATFORM
    shows_attachments = True  # saved as files, and the path is printed

    def __init__(self, out: TextIO, output_dir: Path) -> None:
        self.out = out
        self.output_dir = output_dir
        self._sent = 0
        self._ledger: Ledger | None = None
        #: the last thread opened in each channel (`in #CHANNEL thread`)
        self.threads: dict[str, str] = {}

    def remember_deliveries(self, ledger: Ledger) -> None:
        """Honour idempotency keys across restarts, as a platform does: a message
        printed by a process killed before the outbox marked it sent is not
        printed again when the outbox sends it a second time."""
        self._ledger = ledger

    def _print(self, place: Place, message: Message) -> None:
        label = f"dm:{place.target}" if place.is_dm else f"#{place.target}"
        if place.only:
            label += f"|only:{place.only}"
        lines = message.text.splitlines() or [""]
        if message.mentions is not None and message.mentions.users:
            # A terminal rings no one: the moderators called are named, as a chat would.
            called = " ".join(f"@{user}" for user in message.mentions.users)
            lines[0] = f"{called} {lines[0]}"
        if message.spoiler is not None:
            # A terminal can't hide text; mark it the way Discord would.
            lines.append(text("console.content_warning", warning=message.spoiler.warning))
            lines += [f"||{line}||" for line in message.spoiler.text.splitlines()]
        if message.attachment is not None:
            saved = self._save(message.attachment.filename, message.attachment.data)
            lines.append(text("console.file_saved", path=saved))
        lines += [f"→ /{choice.command}   {choice.label}" for choice in message.choices]
        self.out.write(f"[{label}] {lines[0]}\n")
        for line in lines[1:]:
            self.out.write(f"  {line}\n")
        self.out.flush()

    def _save(self, filename: str, data: bytes) -> Path:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        stem, _, suffix = filename.rpartition(".")
        path = self.output_dir / f"{stem}-{uuid.uuid4().hex[:8]}.{suffix}"
        # An export holds private notes: only the owner may read it.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(data)
        return path

    async def send(self, place: Place, message: Message) -> str:
        number, first = await self._number(message)
        if first:
            self._print(place, message)
        return f"m{number}"

    async def _number(self, message: Message) -> tuple[int, bool]:
        """The message's number, and whether it is shown for the first time."""
        if self._ledger is None or message.idempotency_key is None:
            self._sent += 1
            return self._sent, True
        return await self._ledger.claim(message.idempotency_key)

    async def open_thread(self, place: Place, message: Message, name: str) -> str:
        """A channel post with a line saying how to answer under it: the members'
        lines after `in #CHANNEL thread` are its answers (docs/peers.md)."""
        number, first = await self._number(message)
        thread = f"m{number}"
        self.threads[place.target] = thread
        if first:
            hint = text("console.thread_opened", channel=place.target)
            self._print(place, dataclasses.replace(message, text=f"{message.text}\n{hint}"))
        return thread

    async def reply(self, event: Event, message: Message) -> None:
        place = event.place
        if not place.is_dm:
            place = Place(place.kind, place.platform, place.target, only=event.member.user_id)
        self._print(place, message)

    async def react(self, place: Place, message_id: str, emoji: str) -> None:
        self._print(place, Message(text("console.reacted", emoji=emoji, message=message_id)))

    async def delete(self, place: Place, message_id: str) -> None:
        self._print(place, Message(text("console.deleted", message=message_id)))

    async def close(self) -> None:
        self.connected = False


class ConsoleError(ValueError):
    """A playground line that makes no sense; printed, never fatal."""


def parse_clock(text: str, now: datetime) -> datetime:
    """`+1d`, `+2h30m` or `2026-03-08 09:00` (UTC) → the new time."""
    text = text.strip()
    match = _DURATION.match(text)
    try:
        if match and any(match.groups()):
            days, hours, minutes = (int(g or 0) for g in match.groups())
            return now + timedelta(days=days, hours=hours, minutes=minutes)
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # `+99999999999d`: past the end of the calendar
        raise ConsoleError("that time is outside the calendar (years 1 to 9999)") from None
    except ValueError:
        raise ConsoleError(
            "clock takes +1d, +2h30m or an absolute UTC time like 2026-03-08 09:00"
        ) from None
    if moment < now:
        raise ConsoleError("the clock only moves forward")
    return moment


class ConsoleSession:
    """Reads playground lines and turns them into events for Hearth."""

    def __init__(
        self,
        hearth: Playground,
        adapter: ConsoleAdapter,
        clock: Clock | None,
        who: str,
        channels: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.hearth = hearth
        self.adapter = adapter
        self.clock = clock
        self.who = who
        self.place = Place.dm(Member(PLATFORM, who))
        #: the thread the member's plain lines answer (`in #CHANNEL thread`), if any
        self.thread: str | None = None
        #: the communities' channels, as the config names them now (`mod reload`)
        self.channels = channels

    def greet(self) -> None:
        when = f", virtual clock {self.clock.now():%Y-%m-%d %H:%M} UTC" if self.clock else ""
        self._note(
            f"Hearth playground: you are {self.who}, in your DM with the bot{when}.\n"
            "Try /help or /checkin 4 feeling okay. Other lines: as NAME, in dm, in #CHANNEL, "
            "clock +1d. Ctrl-D quits."
        )

    def _note(self, text: str) -> None:
        self.adapter.out.write(f"(console) {text}\n")
        self.adapter.out.flush()

    async def run(self, lines: AsyncIterator[str]) -> None:
        async for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#") and not line.startswith("#!"):
                continue
            try:
                await self.feed(line)
            except ConsoleError as exc:
                self._note(str(exc))
            await self.hearth.settle()

    async def feed(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        member = Member(PLATFORM, self.who)
        if word == "as":
            name = rest.strip()
            if not re.fullmatch(r"[\w.-]{1,64}", name):
                raise ConsoleError("as NAME: a name of letters, digits, '.', '-' or '_'")
            self.who = name
            if self.place.is_dm:
                self.place = Place.dm(Member(PLATFORM, name))
        elif word == "in":
            where, _, thread = rest.strip().partition(" ")
            if where == "dm" and not thread:
                self.place, self.thread = Place.dm(member), None
            elif where.startswith("#") and len(where) > 1 and thread.strip() in ("", "thread"):
                channel = self._channel(where[1:])
                self.thread = self._thread_in(channel) if thread.strip() else None
                self.place = Place.channel(PLATFORM, channel)
            else:
                raise ConsoleError("in dm, or in #CHANNEL (in #CHANNEL thread: answer its thread)")
        elif word == "clock":
            if self.clock is None:
                raise ConsoleError("this session runs on the real clock")
            await self.hearth.advance_to(parse_clock(rest, self.clock.now()))
        elif line[:1] in ("/", "!"):
            await self.hearth.handle(
                CommandGiven(_event_id(), member, self.place, line[1:], display_name=self.who)
            )
        else:
            await self.hearth.handle(
                MessagePosted(
                    _event_id(),
                    member,
                    self.place,
                    line,
                    display_name=self.who,
                    thread=None if self.place.is_dm else self.thread,
                )
            )

    def _thread_in(self, channel: str) -> str:
        thread = self.adapter.threads.get(channel)
        if thread is None:
            raise ConsoleError(f"no thread has been opened in #{channel} yet")
        return thread

    def _channel(self, name: str) -> str:
        known = sorted(self.channels()) if self.channels is not None else []
        if known and name not in known:
            names = ", ".join(f"#{channel}" for channel in known)
            raise ConsoleError(f"there is no channel #{name}; the channels are {names}")
        return name


def _event_id() -> str:
    return uuid.uuid4().hex


async def stdin_lines(stream: TextIO = sys.stdin, read_ahead: int = 16) -> AsyncIterator[str]:
    """Lines from `stream`, read on a daemon thread: a read blocked on a quiet
    terminal or pipe must not keep the process alive after a shutdown signal.

    The thread reads at most `read_ahead` lines before they are taken: each
    hand-over wakes the event loop through the pipe that also carries signals,
    and a flood of wake-ups would fill it and lose a SIGTERM."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()
    room = threading.Semaphore(read_ahead)

    def read() -> None:
        try:
            while room.acquire():
                line = stream.readline()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if not line:  # end of input
                    return
        except RuntimeError:  # the loop closed first: Hearth has stopped
            return

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    while line := await lines.get():
        room.release()
        yield line
