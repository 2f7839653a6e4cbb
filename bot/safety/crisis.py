"""Spotting language that may signal a risk of suicide or self-harm (SPEC §4), offline,
in eight languages (docs/crisis.md).

Nothing here logs or keeps the text it is given: a text is read into per-word facts that
live for one call, and a match carries only the listed phrases that matched, the language
of those phrases, and whether a method was described in detail.

How it reads a text, each step data-driven from bot/data/crisis/<lang>.yaml:

1. Normalise: Unicode compatibility forms, no zero-width characters, Cyrillic and Greek
   look-alikes as Latin letters, casefolded, accents folded; each word is also read as
   leetspeak (1 and | both as i and as l), with a capital I inside a word as l ("kiII"),
   with runs of three or more letters cut to two and to one, and, for listed key words
   of five letters or more, with one letter wrong, missing, extra or swapped ("suicde").
   Letters spelled apart are joined when they make a listed word ("k i l l").
2. Find phrases: words match a phrase's words as written, in any inflected form of a
   word marked `~` (the forms come from simplemma's dictionaries, derived once into
   bot/data/crisis/<lang>.forms.yaml: see `derive_forms`), or by a listed prefix.
3. Weigh the words around each phrase in its part of the sentence: a negation just before
   it, a past or recovery marker (unless something says it is happening again or now),
   someone else as the subject, prevention or media, everyday exaggeration. Means (rope,
   pills) count only with an intent in the same message; a past phrase ("I used to cut")
   counts again when the message says it happened again.

Every language is checked on every text: in the corpus that caught more than detecting
the language first, and cost less (docs/crisis.md has the figures and the command).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

import yaml

LANGUAGES = ("en", "de", "es", "fr", "pt", "it", "nl", "pl")
DATA_DIR = "data/crisis"
TERMS_RESOURCE = DATA_DIR  # the shipped phrase files, one per language: <lang>.yaml
# The language a plain list of community terms (`safety.crisis_terms: [...]`) is reported as;
# such terms are checked whatever language a text is in.
DEFAULT_LANGUAGE = "en"

GAP = 3  # how many other words `...` in a phrase stands for
NEGATION_REACH = 4  # a negation counts this many words before a phrase
NEAR = 5  # prevention, media and exaggeration count this near a phrase
MAX_FUZZY_LENGTH = 24  # longer words are not read with a letter wrong
MAX_WORD = 64  # longer "words" (a run of one letter, a pasted hash) are only matched as written
_CACHE_LIMIT = 50_000  # words whose reading is remembered, per matcher

ROLES = (
    "crisis",
    "history",
    "means",
    "intent",
    "method_detail",
    "relapse",
    "negation",
    "recovery",
    "recency",
    "third_party",
    "prevention",
    "hyperbole",
)
_WORD_LISTS = ("first_person", "keywords", "clause_breaks", "numbers", "derive_suffixes")
_LIST_KEYS = frozenset(ROLES[1:]) | frozenset(_WORD_LISTS)
_FILE_KEYS = _LIST_KEYS | {"crisis", "terms", "equivalents", "language", "name"}


@dataclass(frozen=True)
class CrisisMatch:
    """Why a text was flagged: the listed phrases it matched, never the text itself.

    `language` is the language whose phrases matched; `method_detail` says the text also
    describes a method in detail (an amount of pills, how), which safe-messaging
    guidelines ask to keep out of what others read."""

    phrases: tuple[str, ...]
    language: str = DEFAULT_LANGUAGE
    method_detail: bool = False


@dataclass(frozen=True)
class TermList:
    """One language's crisis phrases and the spellings its words may take inside a phrase."""

    terms: tuple[str, ...]
    equivalents: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Language:
    """One language's data file, validated (bot/data/crisis/<code>.yaml)."""

    code: str
    crisis: tuple[str, ...]
    equivalents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, key: str) -> tuple[str, ...]:
        return self.lists.get(key, ())


# --- normalisation -----------------------------------------------------------------------------

# Removed: zero-width characters and the soft hyphen, which hide inside words.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
# Cyrillic and Greek letters that look like Latin ones, as the Latin letter (lower case; texts
# are casefolded first). Only look-alikes: a Russian or Greek text stays unreadable here.
_LOOKALIKES = dict(
    zip(
        "аеёкмнорстухѕіїјԁһӏьгпишαβεηικνορτυχωςϲϳ",
        "aeekmhopctyxsiijdhlbrnuwabenikvoptuxwscj",
        strict=True,
    )
)
_UNICODE_CHARS = re.compile("[" + re.escape(_INVISIBLE + "".join(_LOOKALIKES)) + "]")
_UNICODE_TABLE = {ord(ch): None for ch in _INVISIBLE} | {ord(k): v for k, v in _LOOKALIKES.items()}
# Letters that do not decompose into a base letter and an accent.
_UNDECOMPOSABLE = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l"})
_APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc\u02b9\u2032\uff07"
_STRIP_APOSTROPHES = dict.fromkeys(map(ord, _APOSTROPHES))

# Leetspeak that reads the same whichever letter is meant; "1" and "|" are i as often as l.
_LEET = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_LEET_CHARS = frozenset("013457@$!|")

# Words (with the apostrophes and leetspeak inside them) and the punctuation between parts of
# a sentence; underscores are turned into spaces first, as hyphens are not words.
_TOKENS = re.compile(
    r"[\w'\u2019\u2018`\u00b4\u02bc\u02b9\u2032@$|!]+|[.?;,:\u2026\n\r\u2028\u2029]+"
)
_CLAUSES = re.compile(r"[.?;,:\u2026\n\r\u2028\u2029]+")
# For ASCII text, the same words by translating every other character to a space.
_ASCII_GAPS = {
    code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) in "'`@$|!")
}
_WORDS = re.compile(r"[\w'\u2019\u2018`\u00b4\u02bc\u02b9\u2032@$|!]+")
_BOUNDARY_START = frozenset(".?;,:\u2026\n\r\u2028\u2029")
_EDGE = "!|" + _APOSTROPHES
_RUNS = re.compile(r"(.)\1{2,}")


def _fold(text: str) -> str:
    """Casefolded, compatibility forms, no invisible characters, look-alikes as Latin."""
    if text.isascii():  # nothing to normalise or translate: the same result, sooner
        return text.lower()
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_UNICODE_TABLE)


def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_letterish(ch: str) -> bool:
    return ch.isalpha() or ch in _LEET_CHARS


def _spell_out(word: str, ambiguous_as: str) -> str:
    """Leetspeak as letters, where it touches a letter (so "5" alone stays a number)."""
    out = []
    for i, ch in enumerate(word):
        if ch in _LEET_CHARS and (
            (i and _is_letterish(word[i - 1])) or (i + 1 < len(word) and _is_letterish(word[i + 1]))
        ):
            ch = ambiguous_as if ch in "1|" else ch.translate(_LEET)
        out.append(ch)
    return "".join(out)


def _word_readings(raw: str) -> set[str]:
    """Every way a written word may be read: see the module's docstring, step 1."""
    if len(raw) > MAX_WORD:
        return {_strip_accents(_fold(raw).translate(_STRIP_APOSTROPHES))}
    starts: list[str] = [raw]
    if "I" in raw[1:] and any(ch.islower() for ch in raw):
        starts.append(raw[0] + raw[1:].replace("I", "l"))  # "kiII": a capital I for an l
    readings: set[str] = set()
    for start in starts:
        low = _fold(start)
        pieces = [low.translate(_STRIP_APOSTROPHES)]
        cut = next((i for i, ch in enumerate(low) if ch in _APOSTROPHES), -1)
        if 0 < cut <= 3 and cut + 1 < len(low):  # an elision: "j'ai", "l'air", "un'overdose"
            pieces.append(low[cut + 1 :].translate(_STRIP_APOSTROPHES))
        for piece in pieces:
            piece = _strip_accents(piece)
            if not piece:
                continue
            if piece.isdigit() or _LEET_CHARS.isdisjoint(piece):
                readings.add(piece)
            else:
                readings |= {_spell_out(piece, "i"), _spell_out(piece, "l")}
    for reading in list(readings):
        if _RUNS.search(reading):
            readings.add(_RUNS.sub(r"\1\1", reading))
            readings.add(_RUNS.sub(r"\1", reading))
    return readings


def _plain_words(phrase: str) -> list[str]:
    """A phrase given as plain words (a community's terms), read as a text is."""
    words = []
    for token in _TOKENS.findall(phrase.replace("_", " ").replace("-", " ")):
        if token[0] not in _BOUNDARY_START:
            word = _normalise_word(token.strip(_EDGE))
            if word and word.isalnum():
                words.append(word)
    return words


def _normalise_word(word: str) -> str:
    """A word of a phrase as the data writes it: plain letters, so no leetspeak reading."""
    return _strip_accents(_fold(word).translate(_STRIP_APOSTROPHES))


def _deletions(word: str) -> Iterator[str]:
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


# --- phrases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    number: bool = False


@dataclass(frozen=True)
class _Pattern:
    role: str
    language: str
    shown: str  # the phrase as reported: its first spelling, without the syntax
    elements: tuple[int, ...]  # slot ids; -1 is a gap; an optional slot is ~id (negative < -1)
    required: frozenset[int]
    first_person: bool
    simple: bool = False  # consecutive words, none optional: matched without a search

    def __post_init__(self) -> None:
        object.__setattr__(self, "simple", all(element >= 0 for element in self.elements))


_GAP_ELEMENT = -1
_MAIN_ROLES = frozenset({"crisis", "history", "means"})
_PHRASE_ROLES = frozenset({"crisis", "history"})
_NOW, _PAST, _BLOCKED = 0, 1, 2
_WORD_SYNTAX = re.compile(r"[^\w*~#|?'\u2019.-]")


def _shown(phrase: str) -> str:
    words = []
    for word in _groups(phrase)[0].split():
        if word == "...":
            words.append("…")
            continue
        if word.endswith("?"):
            continue
        words.append(word.split("|")[0].lstrip("~").rstrip("*"))
    return " ".join(words)


class _Compiler:
    """Phrases to slots and patterns, with the indexes the matcher looks words up in."""

    def __init__(self) -> None:
        self.slots: list[_Slot] = []
        self._slot_ids: dict[_Slot, int] = {}
        self.patterns: list[_Pattern] = []
        self._seen: set[tuple[str, str, tuple[int, ...]]] = set()

    def slot(self, slot: _Slot) -> int:
        if slot not in self._slot_ids:
            self._slot_ids[slot] = len(self.slots)
            self.slots.append(slot)
        return self._slot_ids[slot]

    def word_slot(self, spec: str, language: Language) -> tuple[int, bool] | None:
        """One word of a phrase (`~kill|slay?`) as a slot id and whether it may be missing."""
        optional = spec.endswith("?") and len(spec) > 1
        spec = spec.rstrip("?") if optional else spec
        words: set[str] = set()
        prefixes: list[str] = []
        number = False
        for option in spec.split("|"):
            if option == "#":
                number = True
                words.update(_normalise_word(n) for n in language.get("numbers"))
                continue
            inflect = option.startswith("~")
            option = option.lstrip("~")
            if option.endswith("*") and len(option) > 3:
                prefixes.append(_normalise_word(option[:-1]))
                continue
            word = _normalise_word(option)
            if not word:
                continue
            words.add(word)
            if inflect:
                words.update(language.forms.get(word, ()))
        if not (words or prefixes or number):
            return None
        slot = _Slot(frozenset(words), tuple(sorted(set(prefixes))), number)
        return self.slot(slot), optional

    def add(self, role: str, phrase: str, language: Language, shown: str = "") -> str:
        """Compile one phrase and its spellings; return it as reported ("" if nothing in it
        can match)."""
        phrase = phrase.replace("-", " ")  # texts are read with hyphens between words
        shown = shown or " ".join(_shown(phrase).split())
        first_person_words = {_normalise_word(w) for w in language.get("first_person")}
        added = False
        for variant in _variants(phrase, language.equivalents):
            elements: list[int] = []
            required: set[int] = set()
            first_person = False
            for spec in variant.split():
                if spec == "...":
                    if elements and elements[-1] != _GAP_ELEMENT:
                        elements.append(_GAP_ELEMENT)
                    continue
                compiled = self.word_slot(spec, language)
                if compiled is None:
                    continue
                slot_id, optional = compiled
                elements.append(~slot_id - 1 if optional else slot_id)
                if not optional:
                    required.add(slot_id)
                if self.slots[slot_id].words & first_person_words:
                    first_person = True
            while elements and elements[-1] == _GAP_ELEMENT:
                elements.pop()
            if not required:
                continue
            key = (role, language.code, tuple(elements))
            if key in self._seen:
                added = True
                continue
            self._seen.add(key)
            self.patterns.append(
                _Pattern(
                    role, language.code, shown, tuple(elements), frozenset(required), first_person
                )
            )
            added = True
            joined = _joined(variant)
            if joined:  # "#selfharm", "want2die": the words run together
                slot_id = self.slot(_Slot(frozenset(joined)))
                key = (role, language.code, (slot_id,))
                if key not in self._seen:
                    self._seen.add(key)
                    self.patterns.append(
                        _Pattern(
                            role,
                            language.code,
                            shown,
                            (slot_id,),
                            frozenset({slot_id}),
                            first_person,
                        )
                    )
        return shown if added else ""


_GROUP = re.compile(r"\(([^()]*)\)")


def _groups(phrase: str) -> list[str]:
    """`(los brazos|las piernas)`: alternatives of several words, one phrase for each."""
    found = _GROUP.search(phrase)
    if found is None:
        return [phrase]
    head, tail = phrase[: found.start()], phrase[found.end() :]
    out: list[str] = []
    for option in found.group(1).split("|"):
        out += _groups(f"{head} {option} {tail}")
    return out[:64]


def _variants(phrase: str, equivalents: Mapping[str, Sequence[str]]) -> list[str]:
    """The phrase with each word (or words) that has other spellings written each way."""
    variants = _groups(phrase)
    for key, spellings in equivalents.items():
        key_words = key.split()
        for variant in list(variants):
            words = variant.split()
            plain = [
                _normalise_word(w.lstrip("~").rstrip("?")) if "|" not in w else "" for w in words
            ]
            for i in range(len(words) - len(key_words) + 1):
                if plain[i : i + len(key_words)] == key_words:
                    rest = words[i + len(key_words) :]
                    variants += [" ".join([*words[:i], *s.split(), *rest]) for s in spellings]
        if len(variants) > 64:
            break
    return list(dict.fromkeys(variants))[:64]


def _joined(phrase: str) -> frozenset[str]:
    """A phrase of two to four plain words, written without spaces."""
    words = phrase.split()
    if not 2 <= len(words) <= 4 or any(
        w == "..." or w.endswith(("?", "*")) or "#" in w for w in words
    ):
        return frozenset()
    options = [[_normalise_word(o.lstrip("~")) for o in w.split("|")] for w in words]
    if any(not all(o.isalnum() for o in opts) for opts in options):
        return frozenset()
    combos = list(itertools.islice(itertools.product(*options), 17))
    return frozenset("".join(c) for c in combos) if len(combos) <= 16 else frozenset()


# --- the matcher --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    slots: frozenset[int]
    letter: str  # the word if it is a single letter (for letters spelled apart)
    breaks: bool  # starts a new part of the sentence ("but", "aber")


@dataclass(slots=True)
class _Found:
    pattern: _Pattern
    clause: int
    start: int
    end: int
    consumed: tuple[int, ...]


class CrisisMatcher:
    """Finds crisis phrases in a text; build it once and reuse it (see `check_text`).

    `CrisisMatcher(terms, equivalents)` matches plain phrases alone, with no context;
    `CrisisMatcher.default()` reads every shipped language with its context words."""

    def __init__(
        self,
        terms: Iterable[str] = (),
        equivalents: Mapping[str, Sequence[str]] | None = None,
        *,
        languages: Iterable[Language] = (),
        extra: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        compiler = _Compiler()
        self._languages: dict[str, Language] = {}
        shown: list[str] = []
        for language in languages:
            self._languages[language.code] = language
            for phrase in language.crisis:
                reported = compiler.add("crisis", phrase, language)
                if reported:
                    shown.append(reported)
            for role in ROLES[1:]:
                for phrase in language.get(role):
                    compiler.add(role, phrase, language)
        merged = _merge_equivalents(self._languages.values(), equivalents or {})
        seen: set[tuple[str, str]] = set()
        for code, phrases in {DEFAULT_LANGUAGE: tuple(terms), **(extra or {})}.items():
            base = self._languages.get(code) or Language(code, ())
            language = Language(code, (), merged, base.lists, base.forms)
            for phrase in phrases:
                # Community terms are words, read as texts are: "~" or "|" in them are not
                # syntax, punctuation goes, and "self-harm" is "self harm".
                plain = " ".join(_plain_words(str(phrase)))
                if not plain or (code, plain) in seen:
                    continue
                seen.add((code, plain))
                given = " ".join(str(phrase).split())
                if compiler.add("crisis", plain, language, shown=given):
                    shown.append(given)
        self._compiler = compiler
        self._slots = tuple(compiler.slots)
        self._patterns = tuple(compiler.patterns)
        order = {s: i for i, s in enumerate(dict.fromkeys(shown))}
        self._terms = tuple(order)
        self._order = order
        self._build_indexes()

    # construction ------------------------------------------------------------------

    def _build_indexes(self) -> None:
        words: dict[str, set[int]] = {}
        prefixes: dict[str, set[int]] = {}
        self._number_slots = frozenset(i for i, s in enumerate(self._slots) if s.number)
        for slot_id, slot in enumerate(self._slots):
            for word in slot.words:
                words.setdefault(word, set()).add(slot_id)
            for prefix in slot.prefixes:
                prefixes.setdefault(prefix, set()).add(slot_id)
        self._words = {w: frozenset(s) for w, s in words.items()}
        self._prefixes = {p: frozenset(s) for p, s in prefixes.items()}
        self._prefix_lengths = tuple(sorted({len(p) for p in prefixes}))
        fuzzy: dict[str, set[str]] = {}
        for language in self._languages.values():
            for keyword in language.get("keywords"):
                word = _normalise_word(keyword)
                if len(word) >= 5:
                    for key in (word, *_deletions(word)):
                        fuzzy.setdefault(key, set()).add(word)
        self._fuzzy = {k: tuple(v) for k, v in fuzzy.items()}
        self._breaks = frozenset(
            _normalise_word(w)
            for lang in self._languages.values()
            for w in lang.get("clause_breaks")
        )
        main: dict[int, list[_Pattern]] = {}
        intents: dict[int, list[_Pattern]] = {}
        others: dict[int, list[_Pattern]] = {}
        usage: dict[int, int] = {}
        for pattern in self._patterns:
            for slot_id in pattern.required:
                usage[slot_id] = usage.get(slot_id, 0) + 1
        for pattern in self._patterns:
            # Indexed under its least used word ("kill", not "i"), so most texts try few
            # patterns; the phrases first, the words around them only when one was found.
            anchor = min(pattern.required, key=lambda s: (usage[s], -len(self._slots[s].words)))
            group = (
                main
                if pattern.role in _MAIN_ROLES
                else intents
                if pattern.role == "intent"
                else others
            )
            group.setdefault(anchor, []).append(pattern)
        self._main_anchors = {k: tuple(v) for k, v in main.items()}
        self._context_anchors = {k: tuple(v) for k, v in others.items()}
        self._intent_anchors = {k: tuple(v) for k, v in intents.items()}
        self._intent_keys = frozenset(self._intent_anchors)
        # The words around phrases, per language (only the languages whose phrases were
        # found are read), and negations, which count in every language.
        context: dict[str, dict[int, list[_Pattern]]] = {}
        for group in (others, intents):
            for anchor, patterns in group.items():
                for pattern in patterns:
                    code = "" if pattern.role == "negation" else pattern.language
                    context.setdefault(code, {}).setdefault(anchor, []).append(pattern)
        self._context_by_language = {
            code: ({k: tuple(v) for k, v in anchors.items()}, frozenset(anchors))
            for code, anchors in context.items()
        }
        self._main_keys = frozenset(self._main_anchors)
        self._context_keys = frozenset(self._context_anchors)
        self._cache: dict[int, _Word] = {}
        self._tokens: dict[int, tuple[int, frozenset[int], str]] = {}
        self._context_sets: dict[
            frozenset[str], tuple[dict[int, tuple[_Pattern, ...]], frozenset[int]]
        ] = {}

    @classmethod
    def default(
        cls, extra_terms: Iterable[str] | Mapping[str, Iterable[str]] = ()
    ) -> CrisisMatcher:
        """Every shipped language, then a community's `safety.crisis_terms`."""
        plain, per_language = _split_extra(extra_terms)
        return cls(plain, languages=load_languages().values(), extra=per_language)

    @property
    def terms(self) -> tuple[str, ...]:
        """The crisis phrases as reported, in the order they were given, without duplicates."""
        return self._terms

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._languages)

    # reading a text -------------------------------------------------------------------

    def _word(self, raw: str) -> _Word:
        # Remembered by the word's hash, not the word: the cache keeps no member's words.
        key = hash(raw)
        known = self._cache.get(key)
        if known is not None:
            return known
        readings = _word_readings(raw)
        slots = self._slots_of(readings)
        if not slots:  # a word known as written is not a misspelling of another
            near = {
                keyword
                for reading in readings
                if 5 <= len(reading) <= MAX_FUZZY_LENGTH
                for key in (reading, *_deletions(reading))
                for keyword in self._fuzzy.get(key, ())
            }
            slots = self._slots_of(near)
        letter = next(iter(readings)) if len(readings) == 1 else ""
        word = _Word(
            frozenset(slots),
            letter if len(letter) == 1 and letter.isalpha() else "",
            not readings.isdisjoint(self._breaks),
        )
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = word
        return word

    def _slots_of(self, readings: Iterable[str]) -> set[int]:
        slots: set[int] = set()
        for reading in readings:
            slots |= self._words.get(reading, frozenset())
            for length in self._prefix_lengths:
                if length > len(reading):
                    break
                slots |= self._prefixes.get(reading[:length], frozenset())
            if reading.isdigit():
                slots |= self._number_slots
        return slots

    def _token(self, token: str) -> tuple[int, frozenset[int], str]:
        """What one token of the text is, remembered: (kind, slots, letter).

        kind: 0 a word; 1 a boundary (punctuation, "but"); 2 a word after a boundary ("!x");
        3 a word before one ("x!"); 4 both."""
        key = hash(token)  # by hash, as in `_word`
        known = self._tokens.get(key)
        if known is not None:
            return known
        if token[0] in _BOUNDARY_START:
            info: tuple[int, frozenset[int], str] = (1, frozenset(), "")
        else:
            core = token.strip(_EDGE)
            if not core:
                info = (1, frozenset(), "")
            else:
                lead = token[: token.index(core[0])]
                trail = token[len(lead) + len(core) :]
                word = self._word(core)
                if word.breaks:
                    info = (1, frozenset(), "")
                else:
                    kind = (2 if "!" in lead else 0) + (1 if "!" in trail else 0) * (
                        3 if "!" not in lead else 2
                    )
                    info = (kind, word.slots, word.letter)
        if len(self._tokens) >= _CACHE_LIMIT:
            self._tokens.clear()
        self._tokens[key] = info
        return info

    def _read(self, text: str) -> list[list[frozenset[int]]]:
        """The text as clauses, each a list of the slot sets of its words."""
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
            if _UNICODE_CHARS.search(text):  # rare: translating every character costs
                text = text.translate(_UNICODE_TABLE)
        if "_" in text:
            text = text.replace("_", " ")
        known, token = self._tokens.get, self._token
        clauses: list[list[frozenset[int]]] = []
        ascii_text = text.isascii()
        for chunk in _CLAUSES.split(text):
            found = chunk.translate(_ASCII_GAPS).split() if ascii_text else _WORDS.findall(chunk)
            infos = [known(hash(word)) or token(word) for word in found]
            if not infos:
                continue
            if any(info[0] for info in infos) or _spelled_out(infos):
                clauses += _clauses_of(infos, self._word)
            else:  # the common case: plain words, no "!", no "but", no spelled-out letters
                clauses.append([info[1] for info in infos])
        return clauses

    @staticmethod
    def _candidates(
        present: set[int], anchors: Mapping[int, tuple[_Pattern, ...]], keys: frozenset[int]
    ) -> list[_Pattern]:
        """The patterns indexed in `anchors` whose every word is somewhere in the text."""
        return [
            pattern
            for slot_id in keys & present
            for pattern in anchors[slot_id]
            if pattern.required <= present
        ]

    @staticmethod
    def _find(
        clauses: list[list[frozenset[int]]],
        words: list[tuple[int, int, frozenset[int]]],
        candidates: list[_Pattern],
    ) -> list[_Found]:
        """Every match of the candidates; `words` are the text's words that are in any slot,
        as (clause, position, slots)."""
        firsts = {p.elements[0] for p in candidates}
        where: dict[int, list[tuple[int, int]]] = {}
        for index, position, slots in words:
            for slot_id in firsts.intersection(slots):
                where.setdefault(slot_id, []).append((index, position))
        found: list[_Found] = []
        for pattern in candidates:
            elements = pattern.elements
            first = elements[0]
            if pattern.simple:  # consecutive words, nothing optional: no search needed
                size = len(elements)
                for index, start in where.get(first, ()):
                    clause = clauses[index]
                    if start + size > len(clause):
                        continue
                    for n in range(1, size):
                        if elements[n] not in clause[start + n]:
                            break
                    else:
                        span = tuple(range(start, start + size))
                        found.append(_Found(pattern, index, start, start + size, span))
                continue
            starts = where.get(first, ()) if first >= 0 else _everywhere(clauses)
            for index, start in starts:
                hit = _match(elements, clauses[index], start, 0, start)
                if hit is not None:
                    found.append(_Found(pattern, index, start, hit[0], hit[1]))
        return found

    def match(self, text: str) -> CrisisMatch | None:
        found = self._phrases_in(text, means_need_intent=True)
        return self._judge(found) if found else None

    def touches(self, text: str) -> bool:
        """Whether `text` speaks of suicide or self-harm at all — recovering from it,
        someone else's, not any more — rather than of a film or a figure of speech.
        Safe-messaging guidance asks for a pointer to help under such a post."""
        found = self._phrases_in(text, means_need_intent=False)
        if not found:
            return False
        # Of any language: the same words may be a phrase in several ("suicide").
        topics = [
            (f.clause, f.start, f.end)
            for f in found
            if f.pattern.role in ("prevention", "hyperbole")
        ]
        return any(
            f.pattern.role in ("crisis", "history")
            and not any(
                clause == f.clause and start >= f.start - NEAR and end <= f.end + NEAR
                for clause, start, end in topics
            )
            for f in found
        )

    def _phrases_in(self, text: str, *, means_need_intent: bool) -> list[_Found]:
        """The phrases found in `text` with the words around them; [] when none."""
        if not isinstance(text, str):
            raise TypeError(f"match() needs str, not {type(text).__name__}")
        if not text:
            return []
        clauses = self._read(text)
        present = set().union(*itertools.chain.from_iterable(clauses))
        main = self._candidates(present, self._main_anchors, self._main_keys)
        if not main:  # the common case ends here
            return []
        words = [
            (i, p, slots)
            for i, clause in enumerate(clauses)
            for p, slots in enumerate(clause)
            if slots
        ]
        if all(p.role == "means" for p in main):
            if not means_need_intent:
                return []  # a means alone is no topic
            intent = self._candidates(present, self._intent_anchors, self._intent_keys)
            if not intent or not self._find(clauses, words, intent):
                return []  # pills, a rope, a bridge, and no intent: everyday talk
        # The words around phrases, of the languages whose phrases may be there.
        context = self._context_for(frozenset(p.language for p in main))
        found = self._find(clauses, words, main + self._candidates(present, *context))
        if not any(f.pattern.role in _MAIN_ROLES for f in found):
            return []
        return found

    def _context_for(
        self, codes: frozenset[str]
    ) -> tuple[dict[int, tuple[_Pattern, ...]], frozenset[int]]:
        """The context patterns of these languages and every language's negations, indexed
        as `_candidates` reads them; built once per set of languages."""
        known = self._context_sets.get(codes)
        if known is None:
            merged: dict[int, list[_Pattern]] = {}
            for code in ("", *sorted(codes)):
                anchors, _ = self._context_by_language.get(code, ({}, frozenset()))
                for anchor, patterns in anchors.items():
                    merged.setdefault(anchor, []).extend(patterns)
            known = ({k: tuple(v) for k, v in merged.items()}, frozenset(merged))
            self._context_sets[codes] = known
        return known

    # weighing the words around a phrase ------------------------------------------------

    def _rank(self, f: _Found) -> int:
        return self._order.get(f.pattern.shown, len(self._order))

    def _judge(self, found: list[_Found]) -> CrisisMatch | None:
        # The words around the phrases, by role, language and part of the sentence.
        context: dict[tuple[str, str, int], list[_Found]] = {}
        by_role: dict[tuple[str, str], list[_Found]] = {}
        negations: dict[int, list[_Found]] = {}
        for f in found:
            role, lang = f.pattern.role, f.pattern.language
            if role == "negation":
                # Negations of every language count: a negation in one language is rarely
                # anything else in another, and texts mix them ("ich bin nicht suicidal").
                negations.setdefault(f.clause, []).append(f)
            elif role != "crisis":
                context.setdefault((role, lang, f.clause), []).append(f)
                by_role.setdefault((role, lang), []).append(f)

        def negated(f: _Found) -> bool:
            for c in negations.get(f.clause, ()):
                if c.end <= f.start and c.start >= f.start - NEGATION_REACH:
                    return True  # just before it
                if (
                    f.start < c.start
                    and c.end <= f.end
                    and not any(p in f.consumed for p in range(c.start, c.end))
                ):
                    return True  # inside it, in a gap ("will ... nicht ... sterben")
            return False

        def near(role: str, f: _Found) -> bool:
            return any(
                c.start >= f.start - NEAR and c.end <= f.end + NEAR
                for c in context.get((role, f.pattern.language, f.clause), ())
            )

        def blocked(f: _Found) -> bool:
            """Someone else, a topic, a figure of speech or a negation: not a crisis."""
            if negated(f):
                return True
            if not f.pattern.first_person and any(
                c.start < f.end
                for c in context.get(("third_party", f.pattern.language, f.clause), ())
            ):
                return True
            return near("prevention", f) or near("hyperbole", f)

        def past(f: _Found) -> bool:
            """A past or recovery marker (not one of the phrase's own words), and no sign
            that it is happening again or now."""
            key = (f.pattern.language, f.clause)
            return not context.get(("recency", *key)) and any(
                not any(p in f.consumed for p in range(c.start, c.end))
                for c in context.get(("recovery", *key), ())
            )

        phrases = [f for f in found if f.pattern.role in _PHRASE_ROLES]
        verdicts = [_BLOCKED if blocked(f) else _PAST if past(f) else _NOW for f in phrases]
        # The same words may be a phrase in several languages ("suicide", "overdose"): when
        # the words around them tell one language's reader it is not a crisis, that holds for
        # the others too, whose lists may not know those words ("la prévention du suicide").
        if len({f.pattern.language for f in phrases}) > 1:
            for n, f in enumerate(phrases):
                if verdicts[n] != _NOW:
                    continue
                for m, other in enumerate(phrases):
                    if (
                        verdicts[m] != _NOW
                        and other.clause == f.clause
                        and other.pattern.language != f.pattern.language
                        and set(f.consumed) <= set(other.consumed)
                    ):
                        verdicts[n] = verdicts[m]
                        break
        fired: list[_Found] = []
        history: list[_Found] = []
        for f, verdict in zip(phrases, verdicts, strict=True):
            if verdict == _NOW and f.pattern.role == "crisis":
                fired.append(f)
            elif verdict != _BLOCKED:
                history.append(f)
        for lang in {f.pattern.language for f in history}:
            relapse = [r for r in by_role.get(("relapse", lang), ()) if not blocked(r)]
            if relapse:
                fired += [f for f in history if f.pattern.language == lang] + relapse[:1]
        for role, lang in list(by_role):
            if role != "means":
                continue
            means = [m for m in by_role[role, lang] if not blocked(m) and not past(m)]
            intent = [i for i in by_role.get(("intent", lang), ()) if not blocked(i)]
            if means and intent:
                fired += [means[0], intent[0]]
        if not fired:
            return None
        # One reading of the same words is enough ("kill myself", "kill … myself").
        spans: dict[tuple[int, tuple[int, ...]], _Found] = {}
        for f in fired:
            key = (f.clause, f.consumed)
            if key not in spans or self._rank(f) < self._rank(spans[key]):
                spans[key] = f
        fired = list(spans.values())
        counts: dict[str, int] = {}
        for f in fired:
            counts[f.pattern.language] = counts.get(f.pattern.language, 0) + 1
        language = max(counts, key=lambda code: counts[code])
        shown = sorted(
            {f.pattern.shown for f in fired},
            key=lambda s: (self._order.get(s, len(self._order)), s),
        )
        detail = any(role == "method_detail" for role, _ in by_role)
        return CrisisMatch(tuple(shown), language, detail)


def _spelled_out(infos: list[tuple[int, frozenset[int], str]]) -> bool:
    """Whether three single letters come in a row ("k i l l"): "I" and "a" alone do not."""
    run = 0
    for info in infos:
        if info[2]:
            run += 1
            if run == 3:
                return True
        else:
            run = 0
    return False


def _clauses_of(
    infos: list[tuple[int, frozenset[int], str]], word: Callable[[str], _Word]
) -> list[list[frozenset[int]]]:
    """A part of a text between punctuation marks, as clauses: split at "!" and at words like
    "but", with letters spelled apart ("k i l l") joined when they make a listed word."""
    clauses: list[list[frozenset[int]]] = []
    clause: list[frozenset[int]] = []
    letters: list[str] = []

    def join_letters() -> None:
        if len(letters) >= 3:
            joined = word("".join(letters))
            if joined.slots:
                del clause[-len(letters) :]
                clause.append(joined.slots)
        letters.clear()

    for kind, slots, letter in infos:
        if letters and not letter or kind:
            join_letters()
        if kind in (1, 2, 4):  # a boundary before this word (or the word is one)
            if clause:
                clauses.append(clause)
                clause = []
            if kind == 1:
                continue
        clause.append(slots)
        if letter:
            letters.append(letter)
        if kind >= 3:  # a boundary after it
            join_letters()
            clauses.append(clause)
            clause = []
    join_letters()
    if clause:
        clauses.append(clause)
    return clauses


def _everywhere(clauses: list[list[frozenset[int]]]) -> list[tuple[int, int]]:
    return [(i, p) for i, clause in enumerate(clauses) for p in range(len(clause))]


def _match(
    elements: tuple[int, ...], clause: list[frozenset[int]], i: int, k: int, start: int
) -> tuple[int, tuple[int, ...]] | None:
    """Where the pattern's elements from `k` on, read from word `i`, end, and the words its
    slots used; None if they do not match there. The first slot must take word `start`."""
    used: list[int] = []
    return _walk(elements, clause, i, k, used, start)


def _walk(
    elements: tuple[int, ...],
    clause: list[frozenset[int]],
    i: int,
    k: int,
    used: list[int],
    start: int,
) -> tuple[int, tuple[int, ...]] | None:
    size = len(clause)
    while k < len(elements):
        element = elements[k]
        if element == _GAP_ELEMENT:
            for skip in range(min(GAP, size - i) + 1):
                hit = _walk(elements, clause, i + skip, k + 1, list(used), start)
                if hit is not None:
                    return hit
            return None
        if element < _GAP_ELEMENT:  # optional
            slot_id = ~(element + 1)
            if i < size and slot_id in clause[i]:
                hit = _walk(elements, clause, i + 1, k + 1, [*used, i], start)
                if hit is not None:
                    return hit
            k += 1
            continue
        if i < size and element in clause[i]:
            used.append(i)
            i += 1
            k += 1
            continue
        return None
    if not used or used[0] != start:
        return None
    return i, tuple(used)


def _merge_equivalents(
    languages: Iterable[Language], extra: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    merged: dict[str, list[str]] = {}
    for source in [*(lang.equivalents for lang in languages), extra]:
        for word, spellings in source.items():
            key = _normalise_word(word)
            for spelling in spellings:
                if key and spelling not in merged.setdefault(key, []):
                    merged[key].append(spelling)
    return {k: tuple(v) for k, v in merged.items()}


def _split_extra(
    extra_terms: Iterable[str] | Mapping[str, Iterable[str]],
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    if isinstance(extra_terms, str):
        raise TypeError("extra_terms is a list of phrases, not one string")
    if isinstance(extra_terms, Mapping):
        per_language: dict[str, tuple[str, ...]] = {}
        for code, phrases in extra_terms.items():
            if isinstance(phrases, str):
                raise TypeError(f"extra_terms[{code!r}] is a list of phrases, not one string")
            per_language[str(code)] = tuple(str(p) for p in phrases)
        return (), per_language
    return tuple(str(term) for term in extra_terms), {}


def _cache_key(
    extra_terms: Iterable[str] | Mapping[str, Iterable[str]],
) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    plain, per_language = _split_extra(extra_terms)
    return plain, tuple(sorted(per_language.items()))


def check_text(
    text: str, extra_terms: Iterable[str] | Mapping[str, Iterable[str]] = ()
) -> CrisisMatch | None:
    """The crisis check the features call: built-in phrases plus the community's extra terms,
    either a list (checked in every language) or a mapping of language code to phrases."""
    kind = type(extra_terms)
    if kind is tuple or kind is list:
        return _matcher_for(tuple(map(str, extra_terms))).match(text)  # type: ignore[arg-type]
    return _matcher_for(_cache_key(extra_terms)).match(text)


def touches_topic(text: str, extra_terms: Iterable[str] | Mapping[str, Iterable[str]] = ()) -> bool:
    """Whether `text` speaks of suicide or self-harm, in any way (`CrisisMatcher.touches`)."""
    kind = type(extra_terms)
    key = tuple(map(str, extra_terms)) if kind is tuple or kind is list else _cache_key(extra_terms)
    return _matcher_for(key).touches(text)  # type: ignore[arg-type]


_Key = tuple[str, ...] | tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]


@functools.lru_cache(maxsize=64)
def _matcher_for(key: _Key = ()) -> CrisisMatcher:
    """A matcher per community's terms: a tuple of phrases, or `_cache_key`'s form."""
    if len(key) != 2 or type(key[0]) is not tuple:  # a plain tuple of phrases
        return CrisisMatcher.default(key)  # type: ignore[arg-type]
    plain, per_language = key
    return CrisisMatcher.default(dict(per_language) if per_language else plain)  # type: ignore[arg-type]


# --- the data files ---------------------------------------------------------------------------


def _load_yaml(text: str) -> object:
    # Every value as text: "no", "on" and "30" are words here, not booleans or numbers.
    return yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 (BaseLoader builds no objects)


def _data_file(name: str) -> str | None:
    path = resources.files("bot").joinpath(DATA_DIR, name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


@functools.cache
def load_languages() -> Mapping[str, Language]:
    """The shipped languages, validated, with their word forms; read once, on first use."""
    languages: dict[str, Language] = {}
    for code in LANGUAGES:
        origin = f"{DATA_DIR}/{code}.yaml"
        text = _data_file(f"{code}.yaml")
        if text is None:
            raise ValueError(f"{origin}: missing")
        forms_text = _data_file(f"{code}.forms.yaml")
        forms = (
            parse_forms(_load_yaml(forms_text), f"{DATA_DIR}/{code}.forms.yaml")
            if forms_text
            else {}
        )
        languages[code] = parse_language(_load_yaml(text), code, origin, forms)
    return MappingProxyType(languages)


@functools.cache
def load_builtin_terms() -> Mapping[str, TermList]:
    """The shipped crisis phrases by language code (without their context words)."""
    return MappingProxyType(
        {code: TermList(lang.crisis, lang.equivalents) for code, lang in load_languages().items()}
    )


def parse_forms(data: object, origin: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: expected a mapping of word to its forms")
    forms: dict[str, tuple[str, ...]] = {}
    for word, spellings in data.items():
        if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
            raise ValueError(f"{origin}: {word}: expected a list of forms")
        forms[_normalise_word(str(word))] = tuple(
            dict.fromkeys(f for f in (_normalise_word(s) for s in spellings) if f)
        )
    return forms


def _phrases(value: object, where: str, *, nested: bool = False) -> list[str]:
    if nested and isinstance(value, dict):  # crisis phrases grouped by kind
        return [p for kind, group in value.items() for p in _phrases(group, f"{where}.{kind}")]
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: expected a non-empty list of phrases")
    for index, phrase in enumerate(value):
        if not isinstance(phrase, str) or not _is_usable(phrase):
            raise ValueError(f"{where}[{index}]: {phrase!r} is not a usable phrase")
    return list(value)


def _is_usable(phrase: str) -> bool:
    return any(_normalise_word(w.strip("~?|*.")) for w in phrase.replace("|", " ").split())


def parse_language(
    data: object,
    code: str,
    origin: str = "crisis terms",
    forms: Mapping[str, tuple[str, ...]] | None = None,
) -> Language:
    """Check one language's file (see bot/data/crisis/en.yaml); raise ValueError."""
    where = f"{origin}: {code}"
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise ValueError(
            f"{where}: unknown keys {sorted(map(str, unknown))}; expected only the keys "
            "'terms' and 'equivalents', or those of bot/data/crisis/en.yaml"
        )
    crisis_key = "crisis" if "crisis" in data else "terms"
    crisis = _phrases(data.get(crisis_key), f"{where}.{crisis_key}", nested=True)
    raw_equivalents = data.get("equivalents") or {}
    if not isinstance(raw_equivalents, dict):
        raise ValueError(f"{where}.equivalents: expected a mapping of word to spellings")
    equivalents: dict[str, tuple[str, ...]] = {}
    for word, spellings in raw_equivalents.items():
        if (
            not isinstance(word, str)
            or not isinstance(spellings, list)
            or not all(isinstance(s, str) and _normalise_word(s) for s in spellings)
        ):
            raise ValueError(f"{where}.equivalents.{word}: expected a list of spellings")
        equivalents[_normalise_word(word)] = tuple(spellings)
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        if key in data:
            value = data[key]
            if key in _WORD_LISTS:
                if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                    raise ValueError(f"{where}.{key}: expected a list of words")
                lists[key] = tuple(str(v) for v in value)
            else:
                lists[key] = tuple(_phrases(value, f"{where}.{key}"))
    return Language(code, tuple(crisis), equivalents, lists, dict(forms or {}))


def parse_term_lists(data: object, origin: str = "crisis terms") -> dict[str, TermList]:
    """Check the shape of terms by language (`{code: {terms: [...], equivalents: {...}}}`)."""
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{origin}: expected a mapping of language code to terms")
    lists: dict[str, TermList] = {}
    for code, body in data.items():
        language = parse_language(body, str(code), origin)
        lists[str(code)] = TermList(language.crisis, language.equivalents)
    return lists


# --- deriving word forms with simplemma (a maintainer's step, never at run time) ---------------


def inflected_words(language: Language) -> set[str]:
    """The words written `~word` in a language's phrases: those whose forms are derived."""
    words = set()
    phrases = [*language.crisis, *(p for role in ROLES[1:] for p in language.get(role))]
    for phrase in phrases:
        for spec in phrase.split():
            for option in spec.rstrip("?").split("|"):
                if option.startswith("~"):
                    words.add(option[1:])
    return words


def derive_forms(
    code: str, words: Iterable[str], suffixes: Sequence[str] = ()
) -> dict[str, list[str]]:
    """Every form simplemma's dictionary gives for each word's lemma, e.g. kill → killed,
    killing, kills. Needs simplemma (a development dependency) and, for a moment, a few
    hundred MB: it reads the whole dictionary, which is why this is not done at run time."""
    import simplemma  # noqa: PLC0415
    from simplemma.strategies.dictionaries.dictionary_factory import (  # noqa: PLC0415
        _load_dictionary_from_disk,
    )

    wanted: dict[str, set[str]] = {}
    for word in words:
        lemma = simplemma.lemmatize(word, lang=code).lower()
        wanted.setdefault(lemma, set()).add(word)
        wanted.setdefault(word.lower(), set()).add(word)
    words = list(words)
    forms: dict[str, set[str]] = {word: set() for word in words}
    dictionary = _load_dictionary_from_disk(code)
    for form, lemma in dictionary.items():
        written = wanted.get(lemma.decode().lower())
        if written:
            for word in written:
                forms[word].add(form.decode().lower())
    for word in words:  # forms the dictionary files under their own lemma ("ending")
        stems = {word, word[:-1] if word.endswith("e") else word, word + word[-1:]}
        if word.endswith("ie"):
            stems.add(word[:-2] + "y")
        for stem in stems:
            for suffix in suffixes:
                if (stem + suffix).encode() in dictionary:
                    forms[word].add(stem + suffix)
    for word in words:
        forms[word].discard(word.lower())
    return {word: sorted(found) for word, found in sorted(forms.items()) if found}


def write_forms(codes: Sequence[str] = LANGUAGES) -> None:
    """Regenerate bot/data/crisis/<lang>.forms.yaml from the phrase files (run from the repo:
    `python -m bot.safety.crisis`, after `pip install -e '.[dev]'`)."""
    from pathlib import Path  # noqa: PLC0415

    folder = Path(__file__).resolve().parent.parent / DATA_DIR
    for code in codes:
        origin = folder / f"{code}.yaml"
        language = parse_language(_load_yaml(origin.read_text(encoding="utf-8")), code)
        suffixes = language.get("derive_suffixes")
        forms = derive_forms(code, sorted(inflected_words(language)), suffixes)
        header = (
            f"# Generated by `python -m bot.safety.crisis` from {code}.yaml with simplemma's\n"
            "# dictionary: the inflected forms of each word written ~word there. Do not edit.\n"
        )
        body = yaml.safe_dump(forms, allow_unicode=True, sort_keys=True, width=100)
        (folder / f"{code}.forms.yaml").write_text(header + body, encoding="utf-8")
        print(f"{code}: {sum(map(len, forms.values()))} forms of {len(forms)} words")


if __name__ == "__main__":
    import sys

    write_forms(sys.argv[1:] or LANGUAGES)
