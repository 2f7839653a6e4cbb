"""The message catalogue (bot/texts) and the scan for words still in the code."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest

from bot import texts
from tests.literal_scan import literals_in_source, member_facing_literals

ENGLISH_PO = texts.LOCALE_DIR / "en" / "LC_MESSAGES" / "hearth.po"


def _write_po(locale_dir: Path, locale: str, body: str, plural_forms: str) -> None:
    folder = locale_dir / locale / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = textwrap.dedent(f"""\
        msgid ""
        msgstr ""
        "Language: {locale}\\n"
        "Content-Type: text/plain; charset=UTF-8\\n"
        "Plural-Forms: {plural_forms}\\n"

        """)
    (folder / "hearth.po").write_text(header + textwrap.dedent(body), encoding="utf-8")


@pytest.fixture
def with_german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped English catalogue plus a partial German one, in a temp folder."""
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(ENGLISH_PO, tmp_path / "en" / "LC_MESSAGES" / "hearth.po")
    _write_po(
        tmp_path,
        "de",
        """\
        msgid "checkins.saved"
        msgstr "Gespeichert — {mood} am {day}."

        msgid "checkins.streak_days"
        msgid_plural "checkins.streak_days"
        msgstr[0] "Serie: {count} Tag 🌱"
        msgstr[1] "Serie: {count} Tage 🌱"

        msgid "milestones.day_one"
        msgstr ""
        """,
        "nplurals=2; plural=(n != 1);",
    )
    monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path)
    return tmp_path


def test_text_is_the_english_words_from_the_code() -> None:
    assert texts.text("safety.contact_declined") == (
        "Okay. If you change your mind, `contact yes` any time. Take care 💛"
    )


def test_text_fills_placeholders_by_name() -> None:
    saved = texts.text("checkins.saved", "en", mood="🙂 good", day="Mon 02 Mar")
    assert saved == "Saved — 🙂 good for Mon 02 Mar."


def test_member_words_are_values_never_a_template() -> None:
    assert texts.text("checkins.saved", mood="{day}", day="{0.__class__}") == (
        "Saved — {day} for {0.__class__}."
    )


def test_a_locale_without_a_catalogue_reads_english() -> None:
    for locale in ("ja", "ko-KR", "en_GB", "xx"):
        assert locale.replace("-", "_") not in texts.LOCALES
        assert texts.text("milestones.day_one", locale) == "Day one starts today 🌱"


def test_a_translation_is_used_and_missing_ids_fall_back(with_german: Path) -> None:
    assert texts.text("checkins.saved", "de", mood="gut", day="Mo., 2. März") == (
        "Gespeichert — gut am Mo., 2. März."
    )
    assert texts.text("checkins.saved", "de-AT", mood="gut", day="x").startswith("Gespeichert")
    # not in the German file, and an empty msgstr is not shown: English
    assert texts.text("checkins.prompt", "de").startswith("Time for your check-in")
    assert texts.text("milestones.day_one", "de") == "Day one starts today 🌱"
    assert texts.plural("checkins.streak_days", 1000, "de") == "Serie: 1.000 Tage 🌱"


def test_an_unknown_id_fails_loudly() -> None:
    with pytest.raises(KeyError, match="checkins.svaed"):
        texts.text("checkins.svaed")
    with pytest.raises(KeyError):
        texts.plural("checkins.no_such_plural", 2, "de")


def test_text_and_plural_are_not_interchangeable() -> None:
    with pytest.raises(TypeError, match="plural"):
        texts.text("checkins.streak_days")
    with pytest.raises(TypeError):
        texts.plural("safety.contact_declined", 2)


def test_plural_picks_the_english_form_for_the_count() -> None:
    assert texts.plural("checkins.streak_days", 1) == "Streak: 1 day 🌱"
    assert texts.plural("checkins.streak_days", 3) == "Streak: 3 days 🌱"
    assert texts.plural("checkins.streak_days", 0) == "Streak: 0 days 🌱"
    assert texts.plural("checkins.streak_days", 1200) == "Streak: 1,200 days 🌱"


def test_plural_count_is_formatted_for_the_locale_even_in_english_words() -> None:
    # Italian has no catalogue: English words, Italian digits
    assert texts.plural("checkins.streak_days", 1200, "it") == "Streak: 1.200 days 🌱"
    assert texts.plural("checkins.streak_days", 1200, "de") == "Serie: 1.200 Tage 🌱"


def test_day_formats_through_cldr() -> None:
    d = date(2026, 3, 2)
    assert texts.day(d) == "Mar 2, 2026"
    assert texts.day(d, "en", "long") == "March 2, 2026"
    # Babel's German, with no German catalogue shipped
    assert texts.day(d, "de") == "02.03.2026"
    assert texts.day(d, "de", "long") == "2. März 2026"


def test_day_short_keeps_hearths_english_and_reads_right_elsewhere() -> None:
    d = date(2026, 3, 2)
    assert texts.day_short(d) == d.strftime("%a %d %b") == "Mon 02 Mar"
    assert texts.day_short(d, "de") == "Mo., 2. März"


def test_the_shipped_catalogues_are_clean() -> None:
    assert "en" in texts.LOCALES
    for locale in texts.LOCALES:
        assert texts.check_catalogue(locale) == []


def test_check_catalogue_reports_what_a_translator_got_wrong(with_german: Path) -> None:
    _write_po(
        with_german,
        "pl",
        """\
        msgid "checkins.saved"
        msgstr "Zapisano — {nastroj}, {day}."

        msgid "checkins.streak_days"
        msgid_plural "checkins.streak_days"
        msgstr[0] "Seria: {count} dzień 🌱"
        msgstr[1] "Seria: {count} dni 🌱"

        msgid "checkins.not_in_english"
        msgstr "Coś"
        """,
        "nplurals=2; plural=(n != 1);",  # Polish has three forms
    )
    problems = texts.check_catalogue("pl", with_german)
    assert len(problems) == 4, problems
    assert "placeholders ['day', 'nastroj'] differ from English ['day', 'mood']" in problems[1]
    assert "nplurals=2" in problems[0] and "3 forms" in problems[0]
    assert "checkins.streak_days: 2 plural forms, the rule needs 3" in problems[2]
    assert "checkins.not_in_english: not in the English catalogue" in problems[3]
    assert texts.check_catalogue("de", with_german) == [
        f"{with_german / 'de/LC_MESSAGES/hearth.po'}:15: milestones.day_one: empty msgstr"
    ]


def test_check_catalogue_reports_a_missing_or_broken_file(tmp_path: Path) -> None:
    assert texts.check_catalogue("fr", tmp_path)[0].endswith("no catalogue")
    _write_po(tmp_path, "en", 'msgid "a.b"\nmsgstr "{unclosed"\n', "nplurals=2; plural=(n != 1);")
    assert "bad placeholder" in texts.check_catalogue("en", tmp_path)[0]


def test_plural_takes_count_once() -> None:
    with pytest.raises(TypeError):
        texts.plural("checkins.streak_days", 2, "en", count=3)


SAMPLE = '''\
"""A module docstring that says a lot of words."""
import logging

log = logging.getLogger(__name__)
RECENT = "SELECT id FROM checkins WHERE member_id = $1"
HELLO_TEXT = "Hello there, friend"
CODE = "snake_case_key"


def handler(req, n):
    """A function docstring, also many words."""
    log.info("Saved the check-in for %s quietly", n)
    req.say(f"Saved {n} check-ins, well done")
    raise Refusal("Nope.")
'''


def test_member_facing_literals_finds_words_and_skips_the_rest(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(SAMPLE, encoding="utf-8")
    found = member_facing_literals([tmp_path])
    assert found == [
        (str(sample), 6, "Hello there, friend"),
        (str(sample), 13, "Saved {} check-ins, well done"),
        (str(sample), 14, "Nope."),
    ]


def test_literal_scan_follows_locals_helpers_and_choice_labels() -> None:
    source = """\
def _when(days):
    return "Day one" if not days else f"{days} days in"

def _tell(tx, text):
    tx.queue(Message(text))

def h(req, days, tx):
    so_far = _when(days)
    lines = ["Your counters:"]
    lines.append(f"Going: {so_far}")
    req.say("\\n".join(lines), choices=(Choice("Yes, please", "contact yes"),))
    _tell(tx, "Someone cheered")
"""
    texts_found = [text for _, _, text in literals_in_source(source)]
    assert texts_found == [
        "Day one",
        "{} days in",
        "Your counters:",
        "Going: {}",
        "Yes, please",
        "Someone cheered",
    ]
