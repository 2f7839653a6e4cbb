"""Every member-facing word, by message id, from gettext catalogues.

`locale/<locale>/LC_MESSAGES/hearth.po` holds one language: `msgid` is the
message id (`feature.what`, e.g. `checkins.saved`), `msgstr` the text with
Python brace placeholders (`{mood}`, `{day}`). English is the reference: a
locale missing an id falls back to it, and an id unknown in English is a
`KeyError`, so a typo fails in tests. Adding a language is adding its .po file.

The .po files are read at load time, not compiled to .mo. A 400-message catalogue
loads in 19-23 ms in a fresh process with read_po (4-5 ms once Babel is warm), in
1-1.5 ms as a .mo; importing either is ~20-30 ms. Once per process and locale, that
is cheaper than a build step and a .mo that can drift from its .po.
"""

from __future__ import annotations

import gettext
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal

__all__ = [
    "LOCALES",
    "LOCALE_DIR",
    "check_catalogue",
    "day",
    "day_short",
    "include",
    "language_name",
    "message_ids",
    "placeholders",
    "plural",
    "shipped",
    "text",
]

DOMAIN = "hearth"
ENGLISH = "en"
LOCALE_DIR = Path(__file__).parent / "locale"


def _shipped(locale_dir: Path) -> tuple[str, ...]:
    return tuple(sorted(p.parents[1].name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


#: the locales with a catalogue in this package, English among them
LOCALES: tuple[str, ...] = _shipped(LOCALE_DIR)


@dataclass(frozen=True)
class _Entry:
    forms: tuple[str, ...]  # one for a plain message, one per plural form otherwise
    is_plural: bool
    fuzzy: bool
    line: int

    @property
    def usable(self) -> bool:
        # Like msgfmt: a fuzzy or half-empty translation is not shown.
        return not self.fuzzy and all(self.forms)


@dataclass(frozen=True)
class _Catalogue:
    locale: str
    path: Path
    entries: Mapping[str, _Entry]
    header_plurals: int
    plural_index: Callable[[int], int]


def _normalise(locale: str) -> str:
    return locale.replace("-", "_")


def _chain(locale: str) -> list[str]:
    """Where to look, best first: `pt_BR`, then `pt`, then English."""
    locale = _normalise(locale)
    return list(dict.fromkeys([locale, locale.split("_")[0], ENGLISH]))


def _path(locale_dir: Path, locale: str) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _files(locale_dir: Path, locale: str) -> list[Path]:
    """The locale's catalogue: `hearth.po`, and any further `.po` beside it (one per
    part of the house, so several people can add words at once)."""
    folder = _path(locale_dir, locale).parent
    return sorted(folder.glob("*.po")) if folder.is_dir() else []


def _read(locale_dir: Path, locale: str) -> _Catalogue | None:
    files = _files(locale_dir, locale)
    if not files:
        return None
    entries: dict[str, _Entry] = {}
    plurals = set()
    for path in files:
        with path.open("rb") as f:
            catalog = read_po(f, locale=locale, abort_invalid=True)
        plurals.add(catalog.num_plurals)
        for message in catalog:
            if not message.id:
                continue  # the header
            is_plural = isinstance(message.id, tuple | list)
            key = message.id[0] if is_plural else message.id
            if key in entries:
                raise ValueError(f"{path}:{message.lineno}: {key} is defined twice")
            forms = tuple(message.string) if is_plural else (message.string or "",)
            entries[key] = _Entry(forms, is_plural, message.fuzzy, message.lineno)
    # Forms are picked by Babel's CLDR-derived rule; check_catalogue holds the
    # files' own Plural-Forms headers to it.
    rule = get_plural(locale)
    return _Catalogue(
        locale=locale,
        path=_path(locale_dir, locale),
        entries=entries,
        header_plurals=plurals.pop() if len(plurals) == 1 else -1,
        plural_index=gettext.c2py(rule.plural_expr),
    )


def shipped(code: str, *, exact: bool = False) -> str | None:
    """The shipped locale a language code names, else None. Case and `-`/`_` do not
    matter (`pt-BR`, `pt_br` → `pt_BR`); unless `exact`, a region falls back to its
    language (`es-ES` → `es`, `en-US` → `en`) and a language to its one shipped
    region (`pt` → `pt_BR`), as an app's locale says it."""
    by_lower = {locale.lower(): locale for locale in LOCALES}
    wanted = _normalise(code.strip()).lower()
    if wanted in by_lower or exact:
        return by_lower.get(wanted)
    base = wanted.split("_")[0]
    if base in by_lower:
        return by_lower[base]
    regional = [locale for lower, locale in by_lower.items() if lower.split("_")[0] == base]
    return regional[0] if len(regional) == 1 else None


def language_name(locale: str) -> str:
    """A language in its own words ("Deutsch", "Português (Brasil)")."""
    name = _babel_locale(locale).get_display_name(_babel_locale(locale)) or locale
    return name[:1].upper() + name[1:]


# What replies use: each catalogue read once per process. check_catalogue reads afresh.
_load = cache(_read)


# Catalogue folders features bring (include), read after this package's.
_INCLUDED: list[Path] = []


def _folders() -> list[Path]:
    return [LOCALE_DIR, *_INCLUDED]


def include(locale_dir: Path) -> None:
    """Read a feature's own catalogue folder too (`<locale>/LC_MESSAGES/*.po`).
    Its ids must be its own: one already known elsewhere is refused."""
    locale_dir = Path(locale_dir)
    if locale_dir in _folders():
        return
    own = _load(locale_dir, ENGLISH)
    if own is None:
        raise ValueError(f"{locale_dir}: no English catalogue")
    for folder in _folders():
        known = _load(folder, ENGLISH)
        clash = sorted(set(own.entries) & set(known.entries if known else ()))
        if clash:
            raise ValueError(f"{locale_dir}: {clash[0]} is already defined in {folder}")
    _INCLUDED.append(locale_dir)


def _lookup(message_id: str, locale: str, is_plural: bool) -> tuple[_Catalogue, _Entry]:
    for candidate in _chain(locale):
        for folder in _folders():
            catalogue = _load(folder, candidate)
            entry = catalogue.entries.get(message_id) if catalogue else None
            if catalogue and entry and entry.usable and entry.is_plural == is_plural:
                return catalogue, entry
    for folder in _folders():
        english = _load(folder, ENGLISH)
        if english and message_id in english.entries:
            want, use = ("plural", "text") if is_plural else ("text", "plural")
            raise TypeError(f"{message_id} is not a {want} message: use {use}()")
    raise KeyError(message_id)


@cache
def _babel_locale(locale: str) -> Locale:
    # A platform may report a locale Babel doesn't know: the reply still goes out.
    try:
        return Locale.parse(_normalise(locale))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(ENGLISH)


def text(message_id: str, locale: str = ENGLISH, /, **values: object) -> str:
    """The message in `locale` (else English) with its placeholders filled."""
    _, entry = _lookup(message_id, locale, is_plural=False)
    # format_map on our own template only: member input is a value, never a template.
    return entry.forms[0].format_map(values)


def plural(message_id: str, count: int, locale: str = ENGLISH, /, **values: object) -> str:
    """The form of the message for `count`, which fills `{count}` in the locale's digits."""
    if "count" in values:
        raise TypeError("count is the second argument of plural()")
    catalogue, entry = _lookup(message_id, locale, is_plural=True)
    index = min(catalogue.plural_index(abs(count)), len(entry.forms) - 1)
    number = format_decimal(count, locale=_babel_locale(locale))
    return entry.forms[index].format_map({**values, "count": number})


def day(d: date, locale: str = ENGLISH, fmt: str = "medium") -> str:
    """A date the CLDR way: `fmt` is short, medium, long, full or a CLDR pattern."""
    return format_date(d, fmt, locale=_babel_locale(locale))


def day_short(d: date, locale: str = ENGLISH) -> str:
    """Weekday, day and month: "Mon 02 Mar" in English (as Hearth has always
    written it), CLDR's own order and names elsewhere ("Mo., 2. März")."""
    babel_locale = _babel_locale(locale)
    if babel_locale.language == ENGLISH:
        return format_date(d, "EEE dd MMM", locale=babel_locale)
    return format_skeleton("MMMEd", d, locale=babel_locale)


# --- checking a catalogue -----------------------------------------------------


def _placeholders(template: str) -> frozenset[str]:
    """The names a template fills; ValueError for a malformed one."""
    names: set[str] = set()
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is None:
            continue
        name = re.split(r"[.\[]", field, maxsplit=1)[0]
        if not name or name.isdigit():
            raise ValueError("a positional placeholder; values are passed by name")
        names.add(name)
        if spec:
            names |= _placeholders(spec)
    return frozenset(names)


def check_catalogue(locale: str, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """What is wrong with a locale's catalogue, one line per problem; [] if nothing.

    Checks each entry is translated and well formed, plural entries have the
    forms the locale's CLDR plural rule needs, and a translation fills the same
    placeholders as the English text (and knows no id English doesn't)."""
    path = _path(locale_dir, locale)
    try:
        catalogue = _read(locale_dir, locale)
        english = catalogue if locale == ENGLISH else _read(locale_dir, ENGLISH)
    except (PoFileError, UnknownLocaleError, ValueError) as error:
        return [f"{path}: unreadable: {error}"]
    if catalogue is None:
        return [f"{path}: no catalogue"]
    problems: list[str] = []
    needed = get_plural(locale).num_plurals
    if catalogue.header_plurals != needed:
        problems.append(
            f"{path}: Plural-Forms says nplurals={catalogue.header_plurals}, "
            f"the {locale} plural rule has {needed} forms"
        )
    for message_id, entry in catalogue.entries.items():
        where = f"{path}:{entry.line}: {message_id}"
        problems.extend(f"{where}: {p}" for p in _entry_problems(entry, needed))
        if english is None or english is catalogue:
            continue
        reference = english.entries.get(message_id)
        if reference is None:
            problems.append(f"{where}: not in the English catalogue")
        elif reference.is_plural != entry.is_plural:
            problems.append(f"{where}: plural in one catalogue, not in the other")
        else:
            problems.extend(f"{where}: {p}" for p in _placeholder_problems(entry, reference))
    if english is None:
        problems.append(f"{_path(locale_dir, ENGLISH)}: no English catalogue to check against")
    return problems


def message_ids(locale: str, locale_dir: Path = LOCALE_DIR) -> dict[str, bool]:
    """A locale's own ids, read afresh (no fallback): id → whether it is a plural
    entry. For checks (tests/test_catalogues.py); {} when it has no catalogue."""
    catalogue = _read(locale_dir, locale)
    return {} if catalogue is None else {k: e.is_plural for k, e in catalogue.entries.items()}


def placeholders(message_id: str) -> frozenset[str]:
    """The names the English text of `message_id` fills (all forms of a plural)."""
    _, entry = _lookup(message_id, ENGLISH, is_plural=_is_plural_in_english(message_id))
    return frozenset().union(*map(_placeholders, entry.forms))


def _is_plural_in_english(message_id: str) -> bool:
    for folder in _folders():
        english = _load(folder, ENGLISH)
        if english and message_id in english.entries:
            return english.entries[message_id].is_plural
    raise KeyError(message_id)


def _entry_problems(entry: _Entry, needed: int) -> list[str]:
    problems = []
    if entry.fuzzy:
        problems.append("marked fuzzy")
    if entry.is_plural and len(entry.forms) != needed:
        problems.append(f"{len(entry.forms)} plural forms, the rule needs {needed}")
    if not all(entry.forms):
        problems.append("empty msgstr")
    for form in entry.forms:
        try:
            _placeholders(form)
        except ValueError as error:
            problems.append(f"bad placeholder in {form!r}: {error}")
    return problems


def _placeholder_problems(entry: _Entry, reference: _Entry) -> list[str]:
    try:
        expected = frozenset().union(*map(_placeholders, reference.forms))
        forms = [_placeholders(form) for form in entry.forms if form]
    except ValueError:
        return []  # reported as a bad placeholder already
    if not forms:
        return []
    # A plural's "one" form may spell the number out ("ein Tag"), so each form
    # may leave a name out, but together they fill what English fills.
    used = frozenset().union(*forms)
    if used == expected and (entry.is_plural or forms[0] == expected):
        return []
    return [f"placeholders {sorted(used)} differ from English {sorted(expected)}"]
