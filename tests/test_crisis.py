"""The crisis matcher: what fires, what stays quiet, and that it never fails on any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.safety import crisis
from bot.safety.crisis import CrisisMatch, CrisisMatcher, check_text, parse_term_lists

FIRES = [
    # (text, a phrase that must be reported)
    ("I want to kill myself", "kill myself"),
    ("i want to KILL MYSELF.", "kill myself"),
    ("I can't go on like this", "can't go on"),
    ("i cant go on", "can't go on"),
    ("I can\u2019t go on!!!", "can't go on"),  # curly apostrophe
    ("I cannot go on", "can't go on"),
    ("been thinking about suicide a lot", "suicide"),
    ("Suicide.", "suicide"),
    ("I've been feeling suicidal lately", "suicidal"),
    ("su1c1de", "suicide"),
    ("$uicidal thoughts again", "suicidal"),
    ("I want to diiiiie", "want to die"),
    ("i just wanna die", "wanna die"),
    ("want   to \t  die", "want to die"),
    ("w@nt to die", "want to die"),
    ("want2die", "want to die"),
    ("#wanttodie", "want to die"),
    ("k1ll mys3lf", "kill myself"),
    ("ki11 myself", "kill myself"),
    ("k!ll myself", "kill myself"),
    ("self-harm is back", "self harm"),
    ("self_harm", "self harm"),
    ("#selfharm", "self harm"),
    ("Self-Harming again", "self harming"),
    ("I started cutting again", "cutting again"),
    ("I cut myself last night", "cut myself"),
    ("everyone would be better off without me", "better off without me"),
    ("honestly I'd be better off dead", "better off dead"),
    ("there's no reason to live", "no reason to live"),
    ("I don't want to be here anymore", "don't want to be here anymore"),
    ("i do not want to be here any more", "don't want to be here anymore"),
    ("I want to end my life", "end my life"),
    ("thinking of taking my own life", "taking my own life"),
    ("life is not worth living", "not worth living"),
    ("I want to hurt myself", "hurt myself"),
    ("I took an overdose", "took an overdose"),
    ("thinking about an overdose", "overdose"),
    ("\uff4b\uff49\uff4c\uff4c \uff4d\uff59\uff53\uff45\uff4c\uff46", "kill myself"),  # fullwidth
    ("ki\u200bll my\u200dself", "kill myself"),  # zero-width space and joiner
    ("su\u0301ici\u0300de", "suicide"),  # combining accents
    ("\U0001d42c\U0001d42e\U0001d422\U0001d41c\U0001d422\U0001d41d\U0001d41e", "suicide"),  # bold
    # Hard cases, decided (see bot/safety/crisis.py):
    ("suicide squad was a fun movie", "suicide"),
    ("I'm killing myself laughing", "killing myself"),
]

QUIET = [
    "I need to skill myself up for the new job",
    "killing it at work today",
    "I overdosed on coffee this morning",
    "starting a new diet",
    "I studied all night",
    "the battery died",
    "I could die laughing",
    "I almost died of embarrassment",
    "that cake is to die for",
    "I'm dying to see you",
    "cutting the cake at the party",
    "my new cutting board",
    "that joke was harmless",
    "harm reduction saves lives",
    "a killer workout",
    "my phone is dead",
    "I was dead tired",
    "I can't go online right now",
    "the end of my lifelong habit",
    "I hurt my knee",
    "the herbicide and the pesticide",
    "homicide detective on TV",
    "self care sunday",
    "90 days sober and feeling alive",
    "I dyed my hair",
    "5 pills a day, as prescribed",
    "",
]


@pytest.mark.parametrize(("text", "phrase"), FIRES)
def test_fires(text: str, phrase: str) -> None:
    match = check_text(text)
    assert match is not None, text
    assert phrase in match.phrases


@pytest.mark.parametrize("text", QUIET)
def test_stays_quiet(text: str) -> None:
    assert check_text(text) is None


def test_tables_are_big_enough() -> None:
    assert len(FIRES) >= 20
    assert len(QUIET) >= 20


def test_match_reports_the_listed_phrase_never_the_text() -> None:
    match = check_text("k1ll mys3lf tonight, s u r e")
    assert match == CrisisMatch(("kill myself",))


def test_all_matching_phrases_are_reported_in_list_order() -> None:
    match = check_text("suicidal, I want to die and I cut myself")
    assert match is not None
    assert match.phrases == ("suicidal", "want to die", "cut myself")


def test_community_terms_are_added() -> None:
    assert check_text("everything feels hopeless") is None
    match = check_text("everything feels hopeless", extra_terms=["hopeless"])
    assert match == CrisisMatch(("hopeless",))


def test_community_terms_get_the_same_tolerance() -> None:
    match = check_text("Gonna  GIVE-UP for good", extra_terms=("give up for good",))
    assert match == CrisisMatch(("give up for good",))


def test_blank_and_duplicate_terms_are_ignored() -> None:
    matcher = CrisisMatcher(["self harm", "self-harm", "  ", "!!!", "Self  Harm"])
    assert matcher.terms == ("self harm",)
    assert matcher.match("!!!") is None


def test_one_string_is_not_a_list_of_terms() -> None:
    with pytest.raises(TypeError):
        check_text("hopeless", extra_terms="hopeless")


def test_matchers_are_cached_per_extra_terms() -> None:
    check_text("hello", extra_terms=["a phrase"])
    before = crisis._matcher_for.cache_info()
    check_text("hello again", extra_terms=("a phrase",))
    assert crisis._matcher_for.cache_info().hits == before.hits + 1


def test_equivalent_spellings_apply_inside_phrases() -> None:
    matcher = CrisisMatcher(["can't go on"], {"can't": ["cannot", "can not"]})
    assert matcher.match("I can not go on") is not None
    assert matcher.match("I cannot go on") is not None
    assert matcher.match("I could not go on") is None


def test_builtin_list_is_a_careful_size_and_clean() -> None:
    lists = crisis.load_builtin_terms()
    assert "en" in lists
    terms = lists["en"].terms
    assert 30 <= len(terms) <= 60
    # Every listed phrase must survive normalisation and fire on itself.
    matcher = CrisisMatcher.default()
    assert len(matcher.terms) == len(terms), "two terms normalise to the same phrase"
    for term in terms:
        assert check_text(term) is not None, term


def test_terms_file_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="terms"):
        parse_term_lists({"en": {"terms": []}})
    with pytest.raises(ValueError, match="usable phrase"):
        parse_term_lists({"en": {"terms": ["ok", "..."]}})
    with pytest.raises(ValueError, match="keys"):
        parse_term_lists({"en": {"terms": ["ok"], "extra": 1}})
    with pytest.raises(ValueError, match="equivalents"):
        parse_term_lists({"en": {"terms": ["ok"], "equivalents": {"can't": "cannot"}}})


def test_another_language_is_only_data() -> None:
    lists = parse_term_lists({"de": {"terms": ["nicht mehr leben"]}})
    matcher = CrisisMatcher(lists["de"].terms, lists["de"].equivalents)
    assert matcher.match("Ich will NICHT mehr leben.") == CrisisMatch(("nicht mehr leben",))


def test_non_text_is_refused() -> None:
    with pytest.raises(TypeError):
        check_text(None)  # type: ignore[arg-type]


@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    match = check_text(text)
    assert match is None or set(match.phrases) <= set(crisis._matcher_for(()).terms)


@given(st.text(), st.text())
def test_a_phrase_between_spaces_always_fires(before: str, after: str) -> None:
    match = check_text(f"{before} kill myself {after}")
    assert match is not None
    assert "kill myself" in match.phrases


def test_long_repetitive_text_is_fast() -> None:
    import time

    text = "k" + "1|" * 20_000 + " " + "t" * 50_000 + " want" + "t" * 10_000 + "o"
    started = time.perf_counter()
    check_text(text)
    assert time.perf_counter() - started < 2


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80), st.sampled_from([1, 2]))
def test_the_ascii_shortcuts_read_text_as_the_unicode_path_does(text, max_run):
    assert crisis._fold(text) == crisis._fold_unicode(text)
    assert crisis._squash(text, max_run) == crisis._squash_unicode(text, max_run)
