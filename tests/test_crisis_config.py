"""`safety.crisis_terms`: a community's own crisis words, as a list or per language."""

from __future__ import annotations

import pytest

from bot.config import LanguageTerms
from bot.config_loader import ConfigError, load_config_text
from bot.safety.crisis import LANGUAGES, CrisisMatch, check_text

CONFIG = """
database: sqlite:///hearth.db
communities:
  - name: circle
    platform: console
    safety:
      crisis_terms: {terms}
"""


def terms_of(value: str) -> object:
    config = load_config_text(CONFIG.format(terms=value), "hearth.yaml")
    return config.communities[0].safety.crisis_terms


def problems(value: str) -> str:
    with pytest.raises(ConfigError) as error:
        load_config_text(CONFIG.format(terms=value), "hearth.yaml")
    return str(error.value)


def test_a_plain_list_still_works() -> None:
    assert terms_of('[hopeless, "give up for good"]') == ("hopeless", "give up for good")
    assert terms_of("[]") == ()


def test_terms_per_language() -> None:
    terms = terms_of("{en: [hopeless], de: [hoffnungslos, am Ende]}")
    assert isinstance(terms, LanguageTerms)
    assert dict(terms) == {"en": ("hopeless",), "de": ("hoffnungslos", "am Ende")}
    assert hash(terms) == hash(terms_of("{en: [hopeless], de: [hoffnungslos, am Ende]}"))


def test_every_shipped_language_is_accepted() -> None:
    body = ", ".join(f"{code}: [word{code}]" for code in LANGUAGES)
    assert set(terms_of("{" + body + "}")) == set(LANGUAGES)


def test_an_empty_language_means_no_extra_words() -> None:
    assert dict(terms_of("{en: }")) == {"en": ()}


def test_an_unknown_language_gets_a_kind_message() -> None:
    message = problems("{english: [hopeless]}")
    assert 'crisis_terms.english: "english" is not one of the languages' in message
    assert 'did you mean "en"?' in message
    assert "en, de, es, fr, pt, it, nl, pl" in message
    assert "plain list" in message
    assert 'did you mean "pt"?' in problems("{pt-BR: [x]}")
    assert "did you mean" not in problems("{xx: [x]}")


def test_wrong_shapes_are_reported_with_their_key() -> None:
    assert "must be a list of phrases, or a mapping" in problems('"hopeless"')
    assert "crisis_terms.en: must be a list of text values" in problems('{en: "hopeless"}')
    assert "is given more than once" in problems("{en: [a], en: [b]}")


def test_per_language_terms_are_checked_with_that_language_s_words() -> None:
    terms = LanguageTerms({"de": ("hoffnungslos",), "en": ("hopeless",)})
    assert check_text("Ich bin so hoffnungslos", terms) == CrisisMatch(("hoffnungslos",), "de")
    # The German negation is heard around a German community word.
    assert check_text("Ich bin nicht hoffnungslos", terms) is None
    assert check_text("everything feels hopeless", terms) == CrisisMatch(("hopeless",), "en")
    assert check_text("I'm not hopeless", terms) is None
    # And the built-in phrases still count.
    assert check_text("Je veux mourir", terms) is not None


def test_a_plain_mapping_works_as_well() -> None:
    match = check_text("estoy desesperada", {"es": ["desesperada"]})
    assert match == CrisisMatch(("desesperada",), "es")


def test_a_list_counts_in_every_language() -> None:
    assert check_text("ik ben wanhopig", ("wanhopig",)) is not None
    assert check_text("jestem zrozpaczona", ["zrozpaczona"]) is not None
