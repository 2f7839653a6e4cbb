"""Read the moderators' YAML file into a `bot.config.Config`, reporting every
problem at once with its line and key path (`hearth config check`)."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import re
import types
import typing
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from bot import texts
from bot.config import (
    WEEKDAYS,
    AdapterSettings,
    Buddies,
    Checkins,
    Community,
    Config,
    ConsoleSettings,
    DiscordSettings,
    GroupCheckin,
    Http,
    LanguageTerms,
    Log,
    MatrixSettings,
    Milestones,
    Moderation,
    Peers,
    Privacy,
    Resource,
    Safety,
    Sharing,
)
from bot.safety.crisis import LANGUAGES as CRISIS_LANGUAGES

__all__ = ["ConfigError", "Problem", "check_config_file", "load_config", "load_config_text"]

PLATFORMS = ("console", "discord", "matrix")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_GROUP_FLOOR = 5
MIN_SENDS_PER_SECOND = 0.01  # one send every 100 s; slower is surely a typo


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    key_path: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.key_path + ': ' if self.key_path else ''}{self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'' if len(self.problems) == 1 else 's'}"
        super().__init__(f"{count} in the configuration:\n" + "\n".join(f"  {p}" for p in problems))


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Config:
    text, problems = _read(path)
    if text is None:
        raise ConfigError(problems)
    return load_config_text(text, str(path), environ)


def load_config_text(
    text: str, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> Config:
    config, problems = _Loader(source, os.environ if environ is None else environ).load(text)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def check_config_file(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> list[Problem]:
    """Every problem in the file; an empty list means it is valid."""
    text, problems = _read(path)
    if text is None:
        return problems
    return _Loader(str(path), os.environ if environ is None else environ).load(text)[1]


def _read(path: str | os.PathLike[str]) -> tuple[str | None, list[Problem]]:
    try:
        return Path(path).read_text(encoding="utf-8"), []
    except UnicodeDecodeError:
        return None, [Problem(str(path), None, "", "is not UTF-8 text")]
    except OSError as error:
        return None, [Problem(str(path), None, "", f"cannot be read: {error.strerror or error}")]


# ---- field checks: one entry per key that needs more than its type ----

Check = Callable[[Any], str | None]


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f'; did you mean "{by_lower[close[0]]}"?' if close else ""


# What people write for a language instead of its code, for a kinder error message.
_LANGUAGE_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "ge": "de", "spanish": "es",
    "español": "es", "espanol": "es", "sp": "es", "french": "fr", "français": "fr",
    "francais": "fr", "portuguese": "pt", "português": "pt", "portugues": "pt", "br": "pt",
    "italian": "it", "italiano": "it", "dutch": "nl", "nederlands": "nl", "du": "nl",
    "polish": "pl", "polski": "pl", "po": "pl",
}  # fmt: skip


def _community_language(code: str) -> str | None:
    """`language:` must name a shipped catalogue (bot.texts.LOCALES)."""
    if texts.shipped(code, exact=True):
        return None
    near = texts.shipped(code) or _LANGUAGE_NAMES.get(code.strip().lower(), "")
    near = texts.shipped(near, exact=True) if near else None
    hint = f'; did you mean "{near}"?' if near else _did_you_mean(code, texts.LOCALES)
    return f'"{code}" is not one of the languages Hearth speaks{hint} ({", ".join(texts.LOCALES)})'


def _unknown_language(code: str) -> str:
    base = code.lower().replace("_", "-").split("-")[0]
    meant = base if base in CRISIS_LANGUAGES else _LANGUAGE_NAMES.get(base)
    hint = f' (did you mean "{meant}"?)' if meant else ""
    shown = f'"{code}"' if code else "this key"
    return (
        f"{shown} is not one of the languages Hearth has crisis phrases for{hint}: "
        f"{', '.join(CRISIS_LANGUAGES)}. Write phrases under one of these codes, "
        "or as a plain list to check them in every language"
    )


def _one_of(*choices: str) -> Check:
    def check(value: str) -> str | None:
        if value in choices:
            return None
        return f'must be one of {", ".join(choices)} (got "{value}"){_did_you_mean(value, choices)}'

    return check


def _at_least(low: float, why: str = "") -> Check:
    return lambda value: None if value >= low else f"must be at least {low} (got {value}){why}"


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be more than 0 (got {value})"


ALERT_ACK_MOST = 24 * 60


def _alert_minutes(minutes: int) -> str | None:
    """How long a crisis alert waits for a moderator: long enough to read it, never so
    long that someone in crisis waits a day."""
    if 1 <= minutes <= ALERT_ACK_MOST:
        return None
    return (
        f"must be from 1 to {ALERT_ACK_MOST} minutes (got {minutes}): how long a crisis "
        "alert waits for a moderator to take it before Hearth raises it again"
    )


def _database_url(url: str) -> str | None:
    if re.fullmatch(r"(sqlite:///|postgres(ql)?://).+", url):
        return None
    # Only the scheme is echoed: the rest of a URL can hold a password.
    got = f' (got "{url.partition("://")[0]}://…")' if "://" in url else ""
    return f"must start with sqlite:/// or postgresql://{got}"


def _community_name(name: str) -> str | None:
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", name):
        return None
    return f'must be a short id of a-z, 0-9, "-" and "_", at most 32 long (got "{name}")'


def _clock_time(text: str) -> str | None:
    ok = re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text)
    return None if ok else f'must be a time of day as HH:MM, like "04:00" (got "{text}")'


def _five_labels(labels: tuple[str, ...]) -> str | None:
    return None if len(labels) == 5 else f"must list exactly 5 labels, 1 to 5 (got {len(labels)})"


def _timezone(name: str) -> str | None:
    try:
        ZoneInfo(name)
        return None
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return f'must be an IANA time zone like "Europe/Berlin" (got "{name}")'


def _ascending_days(days: tuple[int, ...]) -> str | None:
    if any(day <= 0 for day in days):
        return "must all be more than 0"
    if any(a >= b for a, b in zip(days, days[1:], strict=False)):
        return "must be in ascending order, without repeats"
    return None


def _web_url(url: str) -> str | None:
    """Empty, or a web address a member's device can open: a link to help must work."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("https", "http") and parts.hostname and not re.search(r"\s", url):
        return None
    return f'must be a web address starting with https:// (got "{url}")'


_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
GROUP_CHECKIN_TEXT_MAX = 500


def _weekday(day: str) -> str | None:
    """`sun`, `Sunday`: a day of the week, in English, as the other keys are."""
    if day.strip().lower() in WEEKDAYS + _WEEKDAY_NAMES:
        return None
    hint = _did_you_mean(day.strip(), WEEKDAYS + _WEEKDAY_NAMES)
    return f'must be a day of the week: {", ".join(WEEKDAYS)} (got "{day}"){hint}'


def _prompt_text(words: str) -> str | None:
    if not words.strip():
        return "must not be empty (leave the key out for the default prompt)"
    if len(words) > GROUP_CHECKIN_TEXT_MAX:
        return f"must be at most {GROUP_CHECKIN_TEXT_MAX} characters (got {len(words)})"
    return None


# Buddies are matched on interests, never on a diagnosis (docs/peers.md): a tag that
# names one is refused, kindly. A few words in the languages Hearth speaks.
_DIAGNOSES = (
    "addiction", "adhd", "alcoholism", "alcoholic", "anorexia", "anxiety", "autism", "bipolar",
    "borderline", "bpd", "bulimia", "depression", "eating disorder", "ocd", "ptsd", "psychosis",
    "schizophrenia", "self-harm", "self harm", "suicidal", "trauma", "depresión", "ansiedad",
    "dépression", "depressão", "ansiedade", "angst", "sucht", "depressionen",
)  # fmt: skip
BUDDY_TAG_MAX_LENGTH = 24


def _buddy_tags(tags: tuple[str, ...]) -> str | None:
    if not tags:
        return "must list at least one interest members can pick, like walking or music"
    for tag in tags:
        if not tag.strip() or len(tag) > BUDDY_TAG_MAX_LENGTH:
            return f'must each be 1 to {BUDDY_TAG_MAX_LENGTH} characters (got "{tag[:40]}")'
        lower = tag.lower()
        if lower in _DIAGNOSES or any(word in _DIAGNOSES for word in lower.split()):
            return (
                f'"{tag}" names a diagnosis: buddies are matched on interests, never on a '
                "diagnosis (members told us they would rather not be); try what people "
                "enjoy or share, like walking, music or night shifts"
            )
        if tag != " ".join(lower.split()) or any(ch in tag for ch in ",#@"):
            return (
                f'must each be written in lower case, without commas, # or @ (got "{tag}"); '
                f'try "{" ".join(lower.replace(",", " ").split())}"'
            )
    if len(set(tags)) != len(tags):
        return "must not list an interest twice"
    return None


def _matrix_user_id(user_id: str) -> str | None:
    ok = not user_id or re.fullmatch(r"@[^:\s]+:\S+", user_id)
    return None if ok else f'must look like "@hearth:example.org" (got "{user_id}")'


FIELD_CHECKS: dict[tuple[type, str], Check] = {
    (Config, "database"): _database_url,
    (Community, "name"): _community_name,
    (Community, "platform"): _one_of(*PLATFORMS),
    (Community, "language"): _community_language,
    (Sharing, "cooldown_minutes"): _positive,
    (Sharing, "max_length"): _positive,
    (Sharing, "link_days"): _positive,
    (Sharing, "reports_per_day"): _positive,
    (Checkins, "catch_up_hours"): _at_least(0),
    (Checkins, "day_reset"): _clock_time,
    (Checkins, "mood_labels"): _five_labels,
    (Checkins, "max_note_length"): _positive,
    (Checkins, "default_timezone"): _timezone,
    (Milestones, "days"): _ascending_days,
    (Milestones, "streaks"): _ascending_days,
    (Privacy, "retention_days"): _positive,
    (Safety, "alert_ack_minutes"): _alert_minutes,
    (Moderation, "min_group"): _at_least(
        MIN_GROUP_FLOOR, "; it is a privacy floor, figures over fewer members could identify them"
    ),
    (Moderation, "log_days"): _positive,
    (Buddies, "tags"): _buddy_tags,
    (Peers, "buddy_tags"): _buddy_tags,
    (Buddies, "max_tags"): _positive,
    (Buddies, "max_hours_apart"): _at_least(0),
    (Buddies, "reminder_time"): _clock_time,
    (Buddies, "reminders_per_week"): _at_least(1, "; with fewer, turn reminders off instead"),
    (Buddies, "answer_days"): _positive,
    (Buddies, "quiet_days"): _positive,
    (Resource, "name"): lambda name: None if name.strip() else "must not be empty",
    (GroupCheckin, "channel"): lambda channel: None if channel.strip() else "must not be empty",
    (GroupCheckin, "weekday"): _weekday,
    (GroupCheckin, "time"): _clock_time,
    (GroupCheckin, "timezone"): _timezone,
    (GroupCheckin, "text"): _prompt_text,
    (Resource, "url"): _web_url,
    (ConsoleSettings, "sends_per_second"): _at_least(MIN_SENDS_PER_SECOND),
    (ConsoleSettings, "send_burst"): _positive,
    (DiscordSettings, "sends_per_second"): _at_least(MIN_SENDS_PER_SECOND),
    (DiscordSettings, "send_burst"): _positive,
    (MatrixSettings, "sends_per_second"): _at_least(MIN_SENDS_PER_SECOND),
    (MatrixSettings, "send_burst"): _positive,
    (MatrixSettings, "homeserver"): _web_url,
    (MatrixSettings, "user_id"): _matrix_user_id,
    (Http, "port"): lambda port: None if 1 <= port <= 65535 else f"must be 1–65535 (got {port})",
    (Log, "level"): _one_of(*LOG_LEVELS),
    (Log, "format"): _one_of("text", "json"),
}


def _cross_checks(
    communities: list[tuple[str, Community]], adapters: AdapterSettings
) -> Iterator[tuple[str, str]]:
    """Rules that span several keys, as (key path, message)."""
    first_use: dict[str, str] = {}
    for path, community in communities:
        if community.name in first_use:
            yield (
                f"{path}.name",
                f'"{community.name}" is also the name of {first_use[community.name]}',
            )
        first_use.setdefault(community.name, path)
        if community.buddies.tags and community.peers.buddy_tags:
            yield (
                f"{path}.peers.buddy_tags",
                "gives the buddy interests a second time: keep buddies.tags or this, not both",
            )
        if community.platform == "discord" and not community.guild_id:
            yield f"{path}.guild_id", "is required for a discord community (the server id)"
        if community.platform in PLATFORMS and not getattr(adapters, community.platform).enabled:
            yield f"{path}.platform", f"needs adapters.{community.platform}.enabled: true"
    if adapters.discord.enabled and not adapters.discord.token:
        yield "adapters.discord.token", "is required when the discord adapter is enabled"
    shards = adapters.discord.shards
    if shards.count is not None and shards.count < 1:
        yield "adapters.discord.shards.count", f"must be at least 1 (got {shards.count})"
    elif shards.ids and not all(0 <= i < (shards.count or 0) for i in shards.ids):
        yield "adapters.discord.shards.ids", "must each be from 0 to shards.count - 1"
    matrix = adapters.matrix
    if matrix.enabled:
        for key in ("homeserver", "user_id"):
            if not getattr(matrix, key):
                yield f"adapters.matrix.{key}", "is required when the matrix adapter is enabled"
        if not (matrix.password or matrix.access_token):
            yield "adapters.matrix.password", "is required (or access_token) when matrix is enabled"


# ---- the walk over yaml nodes, typed by the dataclasses ----

_BAD: Any = object()  # a value that already has its problem reported
_TAG = "tag:yaml.org,2002:"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_EXPECTED = {
    bool: "must be true or false",
    int: "must be a whole number",
    float: "must be a number",
    str: "must be text",
}
_LIST_OF = {
    str: "text values",
    int: "whole numbers",
    Resource: "resources",
    Community: "communities",
}
_UNITS = {"minutes": "minutes", "hours": "hours", "days": "days", "length": "characters"}
_MERGE_HINT = "; merge keys (<<) are not supported, use an alias (*name) for a whole section"
_constructor = SafeConstructor()
_resolver = Resolver()
_type_hints = functools.cache(typing.get_type_hints)


def _shown(node: Node) -> str:
    """How a wrong value is quoted back: its text as written, never an environment value."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _TAG + "null" and "${" not in node.value:
        return "nothing"
    text = node.value if len(node.value) <= 40 else node.value[:39] + "…"
    return f'"{text}"' if node.tag == _TAG + "str" else text


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Loader:
    def __init__(self, source: str, environ: Mapping[str, str]) -> None:
        self.source = source
        self.environ = environ
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}
        self.communities: list[tuple[str, Community]] = []

    def load(self, text: str) -> tuple[Config | None, list[Problem]]:
        root = self._compose(text)
        if root is None:
            return None, self.problems
        config = self._record(root, Config, "")
        if config is not _BAD:
            for path, message in _cross_checks(self.communities, config.adapters):
                self._problem(None, path, message)
            given = any(p.key_path.startswith("communities") for p in self.problems)
            if not self.communities and not given:
                self._problem(None, "communities", "must list at least one community")
        self.problems.sort(key=lambda p: p.line or 0)
        return (None if self.problems else config), self.problems

    def _compose(self, text: str) -> Node | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            reason = " ".join(str(part) for part in (error.context, error.problem) if part)
            self._problem(mark.line + 1 if mark else None, "", f"YAML syntax: {reason}")
            return None
        except yaml.reader.ReaderError as error:
            line = text.count("\n", 0, error.position) + 1
            self._problem(line, "", f"unreadable character #x{error.character:04x}")
            return None
        except yaml.YAMLError as error:
            self._problem(None, "", f"YAML syntax: {error}")
            return None
        except RecursionError:  # the composer recurses once per nesting level
            self._problem(None, "", "is nested too deeply")
            return None
        if root is None:
            self._problem(None, "", "is empty; see config.example.yaml")
        return root

    def _problem(self, where: Node | int | None, path: str, message: str) -> None:
        if isinstance(where, Node):
            line: int | None = where.start_mark.line + 1
        elif where is None:  # a rule about a key: point at it, or at its nearest given parent
            cuts = [len(path)] + [m.start() for m in re.finditer(r"[.\[]", path)][::-1]
            line = next((self.lines[path[:cut]] for cut in cuts if path[:cut] in self.lines), None)
        else:
            line = where
        self.problems.append(Problem(self.source, line, path, message))

    def _substitute(self, text: str) -> tuple[str, list[str]]:
        """Replace `${VAR}` and `${VAR:-default}` (an empty VAR takes the default, as in sh)."""
        unset: list[str] = []

        def value_of(match: re.Match[str]) -> str:
            name, default = match.groups()
            value = self.environ.get(name)
            if not value and default is not None:
                return default
            if value is None:
                unset.append(name)
            return value or ""

        return _VARIABLE.sub(value_of, text), unset

    def _text(self, node: ScalarNode, path: str, report: bool = True) -> tuple[str, str] | None:
        """The scalar's text after substitution and its YAML tag, or None if a variable is unset."""
        if "${" not in node.value:
            return node.value, node.tag
        text, unset = self._substitute(node.value)
        malformed = "${" in _VARIABLE.sub("", node.value)
        if report:
            for name in unset:
                optional = f"${{{name}:-default}}"
                self._problem(
                    node,
                    path,
                    f"environment variable {name} is not set ({optional} would make it optional)",
                )
            if malformed:
                self._problem(node, path, "has a malformed ${…}; write ${NAME} or ${NAME:-default}")
        if unset or malformed:
            return None
        # A substituted value is typed by what it became, so `port: "${PORT:-8080}"` is a number.
        return text, _resolver.resolve(ScalarNode, text, (True, False))

    def _is_null(self, node: Node, path: str) -> bool:
        if not isinstance(node, ScalarNode):
            return False
        resolved = self._text(node, path, report=False)
        return resolved is not None and resolved[1] == _TAG + "null"

    def _convert(self, node: Node, hint: Any, path: str, unit: str = "") -> Any:
        self.lines[path] = node.start_mark.line + 1
        # `str | None`: the caller has already turned an empty value into None.
        if typing.get_origin(hint) in (types.UnionType, typing.Union):
            hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        if dataclasses.is_dataclass(hint):
            return self._record(node, hint, path)
        if typing.get_origin(hint) is tuple:
            return self._list(node, typing.get_args(hint)[0], path)
        return self._scalar(node, hint, path, unit)

    def _scalar(self, node: Node, kind: type, path: str, unit: str) -> Any:
        expected = _EXPECTED[kind] + (unit if kind in (int, float) else "")
        if not isinstance(node, ScalarNode):
            self._problem(node, path, f"{expected} (got {_shown(node)})")
            return _BAD
        resolved = self._text(node, path)
        if resolved is None:
            return _BAD
        text, tag = resolved
        value = _BAD
        try:
            if kind is str and tag != _TAG + "null":
                value = text  # as written: ids stay exact, "04:00" is not sexagesimal
            elif kind is bool and tag == _TAG + "bool":
                value = SafeConstructor.bool_values.get(text.lower(), _BAD)
            elif kind in (int, float) and tag == _TAG + "int":
                value = kind(_constructor.construct_yaml_int(ScalarNode(tag, text)))
            elif kind is float and tag == _TAG + "float":
                value = _constructor.construct_yaml_float(ScalarNode(tag, text))
                value = value if math.isfinite(value) else _BAD
        except (ValueError, OverflowError):  # `!!int ten`, or a float beyond 1e308
            value = _BAD
        if value is _BAD:
            self._problem(node, path, f"{expected} (got {_shown(node)})")
        return value

    def _list(self, node: Node, item: Any, path: str) -> Any:
        if not isinstance(node, SequenceNode):
            self._problem(node, path, f"must be a list of {_LIST_OF[item]} (got {_shown(node)})")
            return _BAD
        items = [self._convert(child, item, f"{path}[{i}]") for i, child in enumerate(node.value)]
        good = tuple(value for value in items if value is not _BAD)
        # Good records are kept so cross-key rules still see them; a scalar list is all or nothing.
        return good if len(good) == len(items) or dataclasses.is_dataclass(item) else _BAD

    def _crisis_terms(self, node: Node, path: str) -> Any:
        """`safety.crisis_terms`: a list of phrases, or a mapping of language code to one."""
        if not isinstance(node, MappingNode):
            if isinstance(node, SequenceNode):
                return self._list(node, str, path)
            self._problem(
                node,
                path,
                f"must be a list of phrases, or a mapping of language code to phrases "
                f"(got {_shown(node)})",
            )
            return _BAD
        terms: dict[str, tuple[str, ...]] = {}
        good = True
        for key_node, value_node in node.value:
            code = key_node.value if isinstance(key_node, ScalarNode) else ""
            key_path = _join(path, code or "?")
            if code not in CRISIS_LANGUAGES:
                self._problem(key_node, key_path, _unknown_language(code))
                good = False
                continue
            if code in terms:
                self._problem(key_node, key_path, "is given more than once")
                good = False
                continue
            phrases = (
                () if self._is_null(value_node, key_path) else self._list(value_node, str, key_path)
            )
            if phrases is _BAD:
                good = False
                continue
            terms[code] = phrases
        return LanguageTerms(terms) if good else _BAD

    def _record(self, node: Node, cls: type, path: str) -> Any:
        if not isinstance(node, MappingNode):
            self._problem(node, path, f"must be a mapping of keys to values (got {_shown(node)})")
            return _BAD
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        seen: set[str] = set()
        empty: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "has a key that is not a plain name")
                continue
            name, key_path = key_node.value, _join(path, key_node.value)
            if name not in fields:
                hint = _MERGE_HINT if name == "<<" else _did_you_mean(name, fields)
                self._problem(key_node, key_path, f"unknown key{hint}")
                continue
            if name in seen:
                self._problem(key_node, key_path, "is given more than once")
                continue
            seen.add(name)
            if self._is_null(value_node, key_path):  # an empty value means "the default"
                self.lines[key_path] = value_node.start_mark.line + 1
                empty.add(name)
                continue
            unit = _UNITS.get(name.rpartition("_")[2])
            hint = _type_hints(cls)[name]
            if (cls, name) == (Safety, "crisis_terms"):
                self.lines[key_path] = value_node.start_mark.line + 1
                value = self._crisis_terms(value_node, key_path)
            else:
                value = self._convert(value_node, hint, key_path, f" of {unit}" if unit else "")
            if value is _BAD:
                continue
            check = FIELD_CHECKS.get((cls, name))
            message = check(value) if check else None
            if message:
                self._problem(value_node, key_path, message)
            elif (cls, name) == (Community, "language"):
                value = texts.shipped(value, exact=True)  # `pt-BR` is the catalogue `pt_BR`
            values[name] = value
        missing = [
            name
            for name, f in fields.items()
            if name not in values
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        for name in missing:
            if name not in seen or name in empty:  # a wrong value was reported already
                self._problem(node, _join(path, name), "is required")
        if missing:
            return _BAD
        record = cls(**values)
        if isinstance(record, Community):
            self.communities.append((path, record))
        return record
