"""Every shipped language is complete and renders (issue 19, docs/translating.md).

For each locale in `bot.texts.LOCALES` (a folder with a `hearth.po`): its catalogue
has no problem `check_catalogue` finds (placeholders, plural forms, empty or fuzzy
entries), holds exactly the English ids, and every message renders with sample
values: numbers for `count`, short strings otherwise, each plural at counts that
reach every form of its language. A translator runs `pytest tests/test_catalogues.py`
before sending a change."""

from __future__ import annotations

import gettext

import pytest
from babel.messages.plurals import get_plural

from bot import texts

ENGLISH_IDS = texts.message_ids(texts.ENGLISH)
# Counts that reach every plural form of the shipped languages (CLDR: one, few,
# many, other; `many` in French, Spanish and Portuguese is 1 000 000).
COUNTS = (0, 1, 2, 3, 5, 11, 21, 22, 101, 1_000_000)


def sample_values(message_id: str) -> dict[str, object]:
    names = texts.placeholders(message_id) - {"count"}
    return {name: 7 if name == "number" else f"<{name}>" for name in sorted(names)}


def test_every_locale_folder_is_a_shipped_locale() -> None:
    """A folder of .po files without its `hearth.po` is a language half added: it is
    not offered (LOCALES) and nothing here checks it."""
    folders = sorted(p.name for p in texts.LOCALE_DIR.iterdir() if any(p.glob("*/*.po")))
    assert folders == sorted(texts.LOCALES)


def test_english_is_shipped_and_well_formed() -> None:
    assert texts.ENGLISH in texts.LOCALES
    assert texts.check_catalogue(texts.ENGLISH) == []


@pytest.mark.parametrize("locale", texts.LOCALES)
def test_check_catalogue_finds_nothing(locale: str) -> None:
    assert texts.check_catalogue(locale) == []


@pytest.mark.parametrize("locale", texts.LOCALES)
def test_every_english_id_and_no_other(locale: str) -> None:
    own = texts.message_ids(locale)
    missing = sorted(set(ENGLISH_IDS) - set(own))
    extra = sorted(set(own) - set(ENGLISH_IDS))
    assert (missing, extra) == ([], [])
    plural_mismatch = sorted(i for i in own if i in ENGLISH_IDS and own[i] != ENGLISH_IDS[i])
    assert plural_mismatch == []


@pytest.mark.parametrize("locale", texts.LOCALES)
def test_plural_forms_are_complete(locale: str) -> None:
    """check_catalogue holds each plural entry to its language's number of forms;
    here, every form is reached by the counts the rendering test uses."""
    rule = get_plural(locale)
    index = gettext.c2py(rule.plural_expr)
    assert {index(n) for n in COUNTS} == set(range(rule.num_plurals))


@pytest.mark.parametrize("locale", texts.LOCALES)
def test_every_message_renders_with_sample_values(locale: str) -> None:
    failed = []
    for message_id, is_plural in sorted(ENGLISH_IDS.items()):
        values = sample_values(message_id)
        try:
            if is_plural:
                for count in COUNTS:
                    assert texts.plural(message_id, count, locale, **values)
            else:
                assert texts.text(message_id, locale, **values)
        except Exception as error:  # noqa: BLE001 — every broken message, not the first
            failed.append(f"{message_id}: {type(error).__name__}: {error}")
    assert failed == []
