"""The crisis check against a labelled corpus, per language (issue 16).

tests/corpus/crisis/<lang>.crisis.txt and <lang>.ordinary.txt hold one sentence a line,
written for Hearth (not copied from anywhere): crisis messages as people write them
(slang, misspellings, leetspeak, look-alike letters, plans, goodbyes, self-harm) and
ordinary ones that share their words (recovery talk, third parties, prevention and media,
figures of speech). A fifth of each language's lines was set aside in heldout/ before the
detector was written, and its failures were never looked at while tuning: it shows how
the check does on sentences its phrase lists were not fitted to.

Run with `-s` to see the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.safety.crisis import LANGUAGES, check_text

CORPUS = Path(__file__).resolve().parent / "corpus" / "crisis"
HELDOUT = CORPUS / "heldout"

MIN_RECALL = 0.95  # overall, main corpus
MAX_FALSE_ALARMS = 0.03
MIN_RECALL_PER_LANGUAGE = 0.90
HELDOUT_MIN_RECALL = 0.85  # overall, held-out set
HELDOUT_MAX_FALSE_ALARMS = 0.05
MIN_LINES = {"en": 150}  # crisis and ordinary each, main corpus; 40 for the others


@dataclass(frozen=True)
class Figures:
    crisis: int
    caught: int
    ordinary: int
    alarms: int

    @property
    def recall(self) -> float:
        return self.caught / self.crisis if self.crisis else 1.0

    @property
    def false_alarms(self) -> float:
        return self.alarms / self.ordinary if self.ordinary else 0.0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.crisis + other.crisis,
            self.caught + other.caught,
            self.ordinary + other.ordinary,
            self.alarms + other.alarms,
        )


def lines(folder: Path, language: str, kind: str) -> list[str]:
    path = folder / f"{language}.{kind}.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def figures(folder: Path, language: str) -> Figures:
    crisis, ordinary = lines(folder, language, "crisis"), lines(folder, language, "ordinary")
    return Figures(
        len(crisis),
        sum(check_text(line) is not None for line in crisis),
        len(ordinary),
        sum(check_text(line) is not None for line in ordinary),
    )


def table(title: str, by_language: dict[str, Figures]) -> str:
    rows = [f"{title}", "language  crisis  recall  ordinary  false alarms"]
    total = Figures(0, 0, 0, 0)
    for language, f in by_language.items():
        total = total + f
        rows.append(
            f"{language:<8}  {f.crisis:>6}  {f.recall:>6.3f}  {f.ordinary:>8}  "
            f"{f.false_alarms:>12.3f}"
        )
    rows.append(
        f"{'overall':<8}  {total.crisis:>6}  {total.recall:>6.3f}  {total.ordinary:>8}  "
        f"{total.false_alarms:>12.3f}"
    )
    return "\n".join(rows)


@pytest.fixture(scope="module")
def main_figures() -> dict[str, Figures]:
    return {language: figures(CORPUS, language) for language in LANGUAGES}


@pytest.fixture(scope="module")
def heldout_figures() -> dict[str, Figures]:
    return {language: figures(HELDOUT, language) for language in LANGUAGES}


def test_the_corpus_is_big_enough_and_has_no_duplicates() -> None:
    for language in LANGUAGES:
        for kind in ("crisis", "ordinary"):
            main = lines(CORPUS, language, kind)
            held = lines(HELDOUT, language, kind)
            assert len(main) >= MIN_LINES.get(language, 40), (language, kind)
            assert held, (language, kind)
            everything = main + held
            assert len(set(everything)) == len(everything), (language, kind)
        crisis = set(lines(CORPUS, language, "crisis") + lines(HELDOUT, language, "crisis"))
        ordinary = set(lines(CORPUS, language, "ordinary") + lines(HELDOUT, language, "ordinary"))
        assert not crisis & ordinary, language


def test_recall_and_false_alarms_on_the_corpus(main_figures: dict[str, Figures]) -> None:
    print("\n" + table("Crisis check, main corpus (tests/corpus/crisis)", main_figures))
    total = sum(main_figures.values(), Figures(0, 0, 0, 0))
    assert total.recall >= MIN_RECALL
    assert total.false_alarms <= MAX_FALSE_ALARMS
    for language, f in main_figures.items():
        assert f.recall >= MIN_RECALL_PER_LANGUAGE, language


def test_the_held_out_set_shows_it_generalises(heldout_figures: dict[str, Figures]) -> None:
    print("\n" + table("Crisis check, held-out set (never tuned on)", heldout_figures))
    total = sum(heldout_figures.values(), Figures(0, 0, 0, 0))
    assert total.recall >= HELDOUT_MIN_RECALL
    assert total.false_alarms <= HELDOUT_MAX_FALSE_ALARMS


def test_the_issue_examples_are_in_the_corpus() -> None:
    # Issue 16 names these; they are part of the corpus (main or held-out), as written.
    every = {
        line
        for language in LANGUAGES
        for folder in (CORPUS, HELDOUT)
        for kind in ("crisis", "ordinary")
        for line in lines(folder, language, kind)
    }
    for example in (
        "kms fr",
        "im going to unalive myself",
        "I took a whole bottle of pills an hour ago",
        "everyone would be better off if I wasn't here",
        "Ich will nicht mehr leben",
        "Quiero morirme, ya no aguanto",
        "Je veux mourir",
        "one month without self-harm",
        "I haven't had suicidal thoughts in a whole year",
        "my uncle died of an overdose",
        "I used to cut but I've stopped",
    ):
        assert example in every, example
