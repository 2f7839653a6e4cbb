"""Typed invocations (bot/port.py `Invoked`): checked once, against the command's
declaration, then handed to its handler.

An adapter delivers the option values a platform typed for a declared command
(a Discord slash command) and the fields of its form. Here they are held to the
declaration's types and limits; the values become the command's words for the
handler (the same words a Matrix or console member types), and a form's fields
go to the form's own handler untouched.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from functools import cache

from bot.port import Command, Invoked, Option
from bot.requests import Refusal
from bot.texts import text

# A platform checks limits too, but a payload is the client's: refuse what breaks them.
LIMIT = 25  # suggestions a member is shown at once (Discord's own limit)


def _checked(option: Option, value: object) -> object:
    """`value` as the option's kind, or a Refusal that says what fits."""
    name = option.name
    if option.kind is bool:
        if not isinstance(value, bool):
            raise Refusal(text("core.option_yes_or_no", option=name))
        return value
    if option.kind is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise Refusal(text("core.option_whole_number", option=name))
        try:
            number = int(str(value).strip())
        except ValueError:
            raise Refusal(text("core.option_whole_number", option=name)) from None
        low, high = option.min_value, option.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            raise Refusal(
                text("core.option_between", option=name, low=low or 1, high=high or number)
            )
        return number
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Refusal(text("core.option_words", option=name))
    words = " ".join(str(value).split())  # one option never spills into the next
    if option.max_length is not None and len(words) > option.max_length:
        raise Refusal(text("core.option_too_long", option=name, limit=option.max_length))
    if option.choices and words not in {value for _, value in option.choices}:
        shown = ", ".join(value for _, value in option.choices)
        raise Refusal(text("core.option_one_of", option=name, choices=shown))
    return words


def checked_values(command: Command, values: Mapping[str, object]) -> dict[str, object]:
    """The invocation's values the declaration knows, each checked; options left
    out (None, an empty text) are left out; a required one missing is refused."""
    checked: dict[str, object] = {}
    for option in command.options:
        value = values.get(option.name)
        if value is None or value == "":
            if option.required:
                raise Refusal(text("core.option_needed", option=option.name))
            continue
        checked[option.name] = _checked(option, value)
    return checked


def words_for(command: Command, values: Mapping[str, object]) -> str:
    """The core words for checked values: `/checkin schedule time:09:00 days:weekdays`
    → "checkin schedule 09:00 weekdays", as a member would type it."""
    words = [command.command_words]
    for option in command.options:
        value = values.get(option.name)
        if option.prefill or value is None or value is False:
            continue
        if option.kind is bool:
            if option.flag:
                words.append(option.flag)
            continue
        words.append(str(value))
    return " ".join(words)


def find(commands: Sequence[Command], event: Invoked) -> Command:
    found = next((c for c in commands if c.path == tuple(event.command)), None)
    if found is None:
        name = " ".join(event.command)[:40]
        raise Refusal(text("core.unknown_command", command=name))
    return found


# --- autocomplete -----------------------------------------------------------------


@cache
def zone_names() -> tuple[str, ...]:
    """The zones the core accepts: Area/City, and UTC."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def best_matches(names: Sequence[str], typed: str) -> list[str]:
    """Names starting with what was typed, then those containing it."""
    typed = typed.strip().lower()
    starts = [n for n in names if n.lower().startswith(typed)]
    inside = [n for n in names if typed in n.lower() and n not in starts]
    return (starts + inside)[:LIMIT]
