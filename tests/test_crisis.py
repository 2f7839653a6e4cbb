"""The crisis matcher: what fires, what stays quiet, and that it never fails on any text.

The labelled corpus and its figures are in tests/test_crisis_corpus.py; these are the
decisions, one example each."""

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
    ("i just wanna die", "want to die"),  # "wanna" is a spelling of "want to"
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
    ("I started cutting again", "cut again"),  # phrases are reported in their first form
    ("I cut myself last night", "cut myself"),
    ("everyone would be better off without me", "better off without me"),
    ("honestly I'd be better off dead", "better off dead"),
    ("there's no reason to live", "no reason to live"),
    ("I don't want to be here anymore", "don't want to be here anymore"),
    ("i do not want to be here any more", "don't want to be here anymore"),
    ("I want to end my life", "end my life"),
    ("thinking of taking my own life", "take my own life"),
    ("life is not worth living", "not worth living"),
    ("I want to hurt myself", "hurt myself"),
    ("I took an overdose", "take an overdose"),
    ("thinking about an overdose", "overdose"),
    # Inflections are matched now (issue 16): overdosed, overdosing, hanged, cutting.
    ("I overdosed on purpose", "overdose on purpose"),
    ("been overdosing on purpose", "overdose on purpose"),
    ("\uff4b\uff49\uff4c\uff4c \uff4d\uff59\uff53\uff45\uff4c\uff46", "kill myself"),  # fullwidth
    ("ki\u200bll my\u200dself", "kill myself"),  # zero-width space and joiner
    ("su\u0301ici\u0300de", "suicide"),  # combining accents
    ("\U0001d42c\U0001d42e\U0001d422\U0001d41c\U0001d422\U0001d41d\U0001d41e", "suicide"),  # bold
    # Hard cases, decided (see docs/crisis.md):
    ("I could die laughing, but honestly I want to die", "want to die"),
    ("I'm not okay. I want to kill myself", "kill myself"),  # "not" is another sentence
    ("I used to cut but last night I did it again", "used to cut"),  # again, now
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
    # Reversed by issue 16: media, prevention and figures of speech are heard as such.
    "suicide squad was a fun movie",
    "I'm killing myself laughing",
    "I overdosed on coffee again",
    "a training on suicide prevention",
    "I'm not suicidal, just tired",
]

# Issue 16's examples, word for word: how people write, and what recovery sounds like.
ISSUE_FIRES = [
    ("kms fr", "en"),
    ("im going to unalive myself", "en"),
    ("I took a whole bottle of pills an hour ago", "en"),
    ("I bought a rope today and I know what it's for", "en"),
    ("everyone would be better off if I wasn't here", "en"),
    ("I wrote goodbye letters to my kids today", "en"),
    ("thinking about suicde again", "en"),
    ("I relapsed and cut my arms last night", "en"),
    ("I keep thinking about hanging myself", "en"),
    ("i want to kiII myself", "en"),
    ("i want to k i l l myself", "en"),
    ("i want to k\u0456ll mys\u0435lf", "en"),  # Cyrillic і and е
    ("sewerslide is the only way out", "en"),
    ("I don't want to wake up tomorrow", "en"),
    ("Ich will nicht mehr leben", "de"),
    ("Quiero morirme, ya no aguanto", "es"),
    ("Je veux mourir", "fr"),
]
ISSUE_QUIET = [
    "one month without self-harm",
    "I haven't had suicidal thoughts in a whole year",
    "a training on suicide prevention",
    "cut myself shaving",
    "Suicide Squad",
    "my uncle died of an overdose",
    "dead tired",
    "this heat is killing me",
    "dying to see the new film",
    "killing it at work",
    "clean for 200 days",
    "I used to cut but I've stopped",
]


@pytest.mark.parametrize(("text", "phrase"), FIRES)
def test_fires(text: str, phrase: str) -> None:
    match = check_text(text)
    assert match is not None, text
    assert phrase in match.phrases


@pytest.mark.parametrize("text", QUIET)
def test_stays_quiet(text: str) -> None:
    assert check_text(text) is None


@pytest.mark.parametrize(("text", "language"), ISSUE_FIRES)
def test_what_people_write_fires_in_its_language(text: str, language: str) -> None:
    match = check_text(text)
    assert match is not None, text
    assert match.language == language


@pytest.mark.parametrize("text", ISSUE_QUIET)
def test_recovery_and_everyday_talk_stay_quiet(text: str) -> None:
    assert check_text(text) is None, text


def test_a_method_in_detail_is_marked() -> None:
    detailed = check_text("I took 30 of my sleeping pills and I don't want to be saved")
    assert detailed is not None and detailed.method_detail
    plain = check_text("I want to die")
    assert plain is not None and not plain.method_detail


def test_a_match_never_holds_the_text() -> None:
    text = "honestly, Sam, I want to end my life tonight"
    match = check_text(text)
    assert match is not None
    held = repr(match)
    assert "Sam" not in held and "honestly" not in held and "tonight" not in held
    # The word caches are keyed by hashes: no member's words stay in memory.
    matcher = crisis._matcher_for(())
    assert all(isinstance(key, int) for key in matcher._cache)
    assert all(isinstance(key, int) for key in matcher._tokens)


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


def _example(phrase: str) -> str:
    """A phrase's first spelling as a text: "~kill myself|meself" -> "kill myself"."""
    words = []
    for word in crisis._groups(phrase.replace("-", " "))[0].split():
        if word == "..." or (word.endswith("?") and len(word) > 1):
            continue
        word = word.split("|")[0].lstrip("~")
        words.append("30" if word == "#" else word[:-1] + "x" if word.endswith("*") else word)
    return " ".join(words)


def test_builtin_lists_are_a_careful_size_and_clean() -> None:
    lists = crisis.load_builtin_terms()
    assert set(lists) == set(crisis.LANGUAGES)
    for code, term_list in lists.items():
        assert 40 <= len(term_list.terms) <= 300, code
        # Every listed phrase must survive normalisation and fire on itself.
        for term in term_list.terms:
            assert check_text(_example(term)) is not None, (code, term)


def test_no_phrase_is_cut_short_by_a_yaml_comment() -> None:
    # In YAML " #" starts a comment: `- take # pills` would silently become "take".
    from importlib import resources

    folder = resources.files("bot").joinpath(crisis.DATA_DIR)
    for code in crisis.LANGUAGES:
        for number, line in enumerate(folder.joinpath(f"{code}.yaml").read_text().splitlines()):
            item = line.strip()
            if item.startswith("- ") and item[2:3] not in "\"'":
                assert " #" not in item and not item[2:].startswith("#"), (code, number + 1)


def test_word_forms_come_from_simplemma_and_are_up_to_date() -> None:
    pytest.importorskip("simplemma")
    from importlib import resources

    import yaml

    language = crisis.load_languages()["en"]  # the smallest dictionary: about half a second
    derived = crisis.derive_forms(
        "en", sorted(crisis.inflected_words(language)), language.get("derive_suffixes")
    )
    shipped = yaml.safe_load(
        resources.files("bot").joinpath(crisis.DATA_DIR, "en.forms.yaml").read_text()
    )
    assert derived == shipped, "run `python -m bot.safety.crisis` to regenerate the forms"


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
def test_a_phrase_on_its_own_line_always_fires(before: str, after: str) -> None:
    # Words around a phrase may now say it is not so ("I would never kill myself"), so the
    # property is a phrase that is a sentence of its own, whatever surrounds it.
    match = check_text(f"{before}\nkill myself\n{after}")
    assert match is not None
    assert "kill myself" in match.phrases


@given(
    st.text(alphabet=st.characters(blacklist_categories=("L", "N", "M", "Cf", "Co", "Cn", "Cs"))),
    st.text(alphabet=st.characters(blacklist_categories=("L", "N", "M", "Cf", "Co", "Cn", "Cs"))),
)
def test_a_phrase_between_spaces_fires_whatever_the_punctuation(before: str, after: str) -> None:
    match = check_text(f"{before} kill myself {after}")
    assert match is not None
    assert "kill myself" in match.phrases


def test_long_repetitive_text_is_fast() -> None:
    import time

    text = "k" + "1|" * 20_000 + " " + "t" * 50_000 + " want" + "t" * 10_000 + "o"
    started = time.perf_counter()
    check_text(text)
    assert time.perf_counter() - started < 2


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_the_ascii_shortcuts_read_text_as_the_unicode_path_does(text):
    assert crisis._fold(text) == crisis._fold_unicode(text)
    assert crisis._strip_accents(text) == crisis._strip_accents(text + "\u00e9")[:-1]
    for chunk in crisis._CLAUSES.split(text.replace("_", " ")):
        assert chunk.translate(crisis._ASCII_GAPS).split() == crisis._WORDS.findall(chunk)
