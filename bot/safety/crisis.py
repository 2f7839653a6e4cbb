"""Spotting language that may signal a risk of suicide or self-harm (SPEC §4).

Nothing here logs or keeps the text it is given; a match carries only the listed phrases.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

import yaml

# Decisions, each pinned by a test in tests/test_crisis.py:
# - whole words only: "skill myself up", "diet", "studied", "harmless" and "cutting the cake"
#   do not fire; inflections are not matched either, so "the battery died" and "overdosed on
#   coffee" stay quiet while "overdose" and "overdosed on purpose" fire;
# - "I could die laughing" does not fire (bare "die" is not a term), but "want to die
#   laughing" and "killing myself laughing" do: those phrases are listed, and a post held for
#   a moderator costs far less than a missed crisis;
# - "suicide squad" fires, on purpose: an exceptions list would be a way around the check;
# - ignored: case, punctuation, apostrophes, repeated letters, simple leetspeak, hyphens,
#   underscores, missing spaces, Unicode compatibility forms, zero-width characters, accents;
# - not handled: letters spelled apart ("k i l l"), look-alike letters from other scripts
#   (Cyrillic "і"), misspellings other than repeated letters.

TERMS_RESOURCE = "data/crisis_terms.yaml"

# Removed rather than turned into spaces, so "can't" reads as "cant". U+00B4 is here because
# NFKD would otherwise turn it into a space and a combining accent.
# Texts are squashed to words and single spaces, so a word boundary is a space or an end.
_WORD_START, _WORD_END = r"(?<!\S)", r"(?!\S)"
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018`\u00b4\u02bc\u02b9\u2032\uff07"))

# Leetspeak that reads the same whichever letter is meant.
_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
# "1" and "|" stand for i (k1ll) as often as for l (ki11): the text is read both ways.
_LEET_AMBIGUOUS = ("1", "|")
_LEET_CHARS = frozenset(_LEET) | frozenset(_LEET_AMBIGUOUS)


@dataclass(frozen=True)
class CrisisMatch:
    """Why a text was flagged: the listed phrases it matched, never the text itself."""

    phrases: tuple[str, ...]


@dataclass(frozen=True)
class TermList:
    """One language's phrases and the spellings its words may take inside a phrase."""

    terms: tuple[str, ...]
    equivalents: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class _Phrase:
    canonical: str
    pattern: re.Pattern[str]


class CrisisMatcher:
    """Finds crisis phrases in a text; build it once and reuse it (see `check_text`)."""

    def __init__(
        self,
        terms: Iterable[str],
        equivalents: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        word_options = _normalise_equivalents(equivalents or {})
        phrases: list[_Phrase] = []
        bodies: list[str] = []
        seen: set[str] = set()
        for term in terms:
            canonical = " ".join(str(term).split())
            normalised = _normalise_phrase(canonical)
            # A term that is only punctuation would match nothing; "self-harm" after
            # "self harm" would report the same thing twice.
            if not normalised or normalised in seen:
                continue
            seen.add(normalised)
            body = _phrase_body(normalised, word_options)
            bodies.append(body)
            phrases.append(_Phrase(canonical, re.compile(_WORD_START + body + _WORD_END)))
        self._phrases = tuple(phrases)
        # One search for all of them, the word boundaries said once: a position
        # that is not a word's start fails there, not once per phrase (4x faster).
        either = "|".join(bodies)
        self._any = re.compile(f"{_WORD_START}(?:{either}){_WORD_END}") if phrases else None

    @classmethod
    def default(cls, extra_terms: Iterable[str] = ()) -> CrisisMatcher:
        """The built-in phrases of every language, then a community's `safety.crisis_terms`."""
        if isinstance(extra_terms, str):
            raise TypeError("extra_terms is a list of phrases, not one string")
        lists = load_builtin_terms().values()
        terms = [term for term_list in lists for term in term_list.terms]
        # Spellings are merged across languages: an extra spelling can only widen a match,
        # and a community's own terms are in no one language.
        equivalents: dict[str, list[str]] = {}
        for term_list in lists:
            for word, spellings in term_list.equivalents.items():
                equivalents.setdefault(word, []).extend(spellings)
        return cls([*terms, *extra_terms], equivalents)

    @property
    def terms(self) -> tuple[str, ...]:
        """The canonical phrases, in the order they were given, without duplicates."""
        return tuple(p.canonical for p in self._phrases)

    def match(self, text: str) -> CrisisMatch | None:
        if not isinstance(text, str):
            raise TypeError(f"match() needs str, not {type(text).__name__}")
        if self._any is None or not text:
            return None
        readings = _readings(text)
        if not any(self._any.search(reading) for reading in readings):
            return None  # the common case: one combined search per reading
        found = tuple(
            p.canonical
            for p in self._phrases
            if any(p.pattern.search(reading) for reading in readings)
        )
        return CrisisMatch(found) if found else None


def check_text(text: str, extra_terms: Iterable[str] = ()) -> CrisisMatch | None:
    """The crisis check the features call: built-in phrases plus the community's extra terms."""
    if isinstance(extra_terms, str):
        raise TypeError("extra_terms is a list of phrases, not one string")
    return _matcher_for(tuple(str(term) for term in extra_terms)).match(text)


@functools.lru_cache(maxsize=64)
def _matcher_for(extra_terms: tuple[str, ...]) -> CrisisMatcher:
    return CrisisMatcher.default(extra_terms)


@functools.cache
def load_builtin_terms() -> Mapping[str, TermList]:
    """The shipped phrase lists by language code, validated; read once, on first use."""
    text = resources.files("bot").joinpath(TERMS_RESOURCE).read_text(encoding="utf-8")
    return MappingProxyType(parse_term_lists(yaml.safe_load(text), origin=TERMS_RESOURCE))


def parse_term_lists(data: object, origin: str = "crisis terms") -> dict[str, TermList]:
    """Check the shape of a terms file (see bot/data/crisis_terms.yaml); raise ValueError."""
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{origin}: expected a mapping of language code to terms")
    lists: dict[str, TermList] = {}
    for language, body in data.items():
        where = f"{origin}: {language}"
        if not isinstance(body, dict) or set(body) - {"terms", "equivalents"}:
            raise ValueError(f"{where}: expected only the keys 'terms' and 'equivalents'")
        terms = body.get("terms")
        if not isinstance(terms, list) or not terms:
            raise ValueError(f"{where}.terms: expected a non-empty list of phrases")
        for index, term in enumerate(terms):
            if not isinstance(term, str) or not _normalise_phrase(term):
                raise ValueError(f"{where}.terms[{index}]: {term!r} is not a usable phrase")
        raw_equivalents = body.get("equivalents") or {}
        if not isinstance(raw_equivalents, dict):
            raise ValueError(f"{where}.equivalents: expected a mapping of word to spellings")
        equivalents: dict[str, tuple[str, ...]] = {}
        for word, spellings in raw_equivalents.items():
            if (
                not isinstance(word, str)
                or not isinstance(spellings, list)
                or not all(isinstance(s, str) and _normalise_phrase(s) for s in spellings)
            ):
                raise ValueError(f"{where}.equivalents.{word}: expected a list of spellings")
            equivalents[word] = tuple(spellings)
        lists[str(language)] = TermList(tuple(terms), equivalents)
    return lists


# --- normalisation -----------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Compatibility forms, no zero-width characters or accents, apostrophes gone, casefolded."""
    if text.isascii():  # nothing to decompose and no marks: the same result, sooner
        return text.translate(_APOSTROPHES).lower()
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf"))
    return unicodedata.normalize("NFC", text).casefold().translate(_APOSTROPHES)


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


# `_squash` for ASCII text, in two regex passes instead of a loop over every character.
_ASCII_GAPS = re.compile(r"[^A-Za-z0-9]+")
_ASCII_RUNS = {run: re.compile(rf"([A-Za-z0-9])\1{{{run},}}") for run in (1, 2)}


def _squash(text: str, max_run: int) -> str:
    """Every non-word character becomes one space; runs of a letter are cut to `max_run`."""
    if text.isascii() and max_run in _ASCII_RUNS:
        spaced = _ASCII_GAPS.sub(" ", text)
        return _ASCII_RUNS[max_run].sub(r"\1" * max_run, spaced).strip()
    return _squash_unicode(text, max_run)


def _squash_unicode(text: str, max_run: int) -> str:
    out: list[str] = []
    run_char, run_length = "", 0
    for ch in text:
        if not _is_word_char(ch):
            ch = " "
        run_length = run_length + 1 if ch == run_char else 1
        run_char = ch
        if run_length <= (1 if ch == " " else max_run):
            out.append(ch)
    return "".join(out).strip()


def _spell_out(text: str, ambiguous_as: str) -> str:
    """Read leetspeak as letters, but only where it touches a letter (so "5 pills" stays)."""

    def letterish(ch: str) -> bool:
        return ch.isalpha() or ch in _LEET_CHARS

    out = list(text)
    for i, ch in enumerate(text):
        if ch not in _LEET_CHARS:
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if letterish(before) or letterish(after):
            out[i] = ambiguous_as if ch in _LEET_AMBIGUOUS else _LEET[ch]
    return "".join(out)


def _readings(text: str) -> set[str]:
    """The text as written, and read as leetspeak with 1 and | as i, then as l.

    Runs are cut to two letters, not one: patterns allow any repeat (`l+`), and the cut keeps
    their backtracking small whatever the text.
    """
    folded = _fold(text)
    readings = {_squash(folded, max_run=2)}
    if not _LEET_CHARS.isdisjoint(folded):
        readings |= {_squash(_spell_out(folded, letter), max_run=2) for letter in ("i", "l")}
    return readings


def _normalise_phrase(phrase: str) -> str:
    # Phrases are written by people in plain words, so no leetspeak reading; doubled letters
    # become one, and the pattern lets the text repeat any letter.
    return _squash(_fold(phrase), max_run=1)


def _normalise_equivalents(equivalents: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for word, spellings in equivalents.items():
        key = _normalise_phrase(word)
        for spelling in spellings:
            normalised = _normalise_phrase(spelling)
            if key and normalised and normalised not in options.setdefault(key, []):
                options[key].append(normalised)
    return options


def _word_regex(word: str) -> str:
    # Each letter may repeat ("diiie"); words of a spelling may run together ("do not").
    return " ?".join("".join(re.escape(ch) + "+" for ch in part) for part in word.split(" "))


def _phrase_body(phrase: str, word_options: Mapping[str, list[str]]) -> str:
    groups = []
    for word in phrase.split(" "):
        spellings = [word, *word_options.get(word, ())]
        groups.append("(?:" + "|".join(_word_regex(s) for s in spellings) + ")")
    # The optional space lets "#selfharm" and "want2die" match.
    return " ?".join(groups)
