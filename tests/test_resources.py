"""Built-in crisis resources: every entry sourced and dated, two or three chosen, calm words."""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from urllib.parse import urlsplit

import pytest
import yaml

from bot.config import Resource
from bot.safety import resources
from bot.safety.resources import (
    EMERGENCY_LINE,
    MAX_RESOURCES,
    ResourceDataError,
    ResourceEntry,
    format_resources,
    load_default_resources,
    parse_resources,
    pick_resources,
)

GOOD_ENTRY = {
    "name": "Example Line",
    "contact": "call 123",
    "url": "https://example.org",
    "region": "GB",
    "languages": ["en"],
    "source": "https://example.org/contact",
    "verified": "2026-11-27",
}


def _raw_entries() -> list[dict[str, object]]:
    # Read the file as data, apart from the loader, so a broken loader cannot hide a bad entry.
    path = files("bot").joinpath(resources.RESOURCES_RESOURCE)
    return yaml.safe_load(path.read_text(encoding="utf-8"))["resources"]


def test_every_entry_in_the_data_file_has_a_source_and_a_verified_date() -> None:
    entries = _raw_entries()
    assert entries
    for entry in entries:
        source = entry.get("source")
        assert isinstance(source, str) and source.strip(), entry["name"]
        assert urlsplit(source).scheme in ("http", "https"), entry["name"]
        assert urlsplit(source).netloc, entry["name"]
        verified = entry.get("verified")
        assert verified, entry["name"]
        if not isinstance(verified, date):
            date.fromisoformat(str(verified))


def test_loader_accepts_the_data_file() -> None:
    entries = load_default_resources()
    assert all(isinstance(e, ResourceEntry) for e in entries)
    assert sum(e.region == "international" for e in entries) >= 1
    assert {"US", "GB", "CA", "AU", "DE", "IN"} <= {e.region for e in entries}
    for entry in entries:
        assert entry.source.startswith(("http://", "https://"))
        assert isinstance(entry.verified, date)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"source": None}, "source"),
        ({"source": ""}, "source"),
        ({"source": "samaritans.org"}, "source"),
        ({"source": "ftp://example.org"}, "source"),
        ({"verified": None}, "verified"),
        ({"verified": "last week"}, "verified"),
        ({"verified": "2026-13-01"}, "verified"),
        ({"name": ""}, "name"),
        ({"region": "Narnia"}, "region"),
        ({"url": "example.org", "contact": ""}, "url"),
        ({"url": "", "contact": ""}, "contact or a url"),
        ({"verfied": "2026-11-27"}, "unknown keys"),
        ({"languages": None}, "languages"),
        ({"languages": []}, "languages"),
        ({"languages": ["German"]}, "languages"),
    ],
)
def test_validator_refuses_a_bad_entry(change: dict[str, object], complaint: str) -> None:
    entry = {**GOOD_ENTRY, **change}
    entry = {key: value for key, value in entry.items() if value is not None}
    with pytest.raises(ResourceDataError, match=complaint):
        parse_resources({"resources": [GOOD_ENTRY, entry]})


def test_validator_reads_dates_and_regions() -> None:
    yaml_text = """
resources:
  - {name: A, contact: call 1, region: uk, languages: [en], source: "https://a.example",
     verified: 2026-11-27}
  - {name: B, url: "https://b.example", region: International, languages: [en, fr],
     source: "https://b.example", verified: "2025-01-02"}
"""
    a, b = parse_resources(yaml.safe_load(yaml_text))
    assert (a.region, a.verified) == ("GB", date(2026, 11, 27))
    assert (b.region, b.verified) == ("international", date(2025, 1, 2))
    assert (a.languages, b.languages) == (("en",), ("en", "fr"))


def test_validator_refuses_a_file_without_entries() -> None:
    with pytest.raises(ResourceDataError):
        parse_resources({"resources": []})
    with pytest.raises(ResourceDataError):
        parse_resources(["not", "a", "mapping"])


# --- picking -----------------------------------------------------------------------------------

DEFAULTS = [
    ResourceEntry(
        "Directory",
        "",
        "https://dir.example",
        "international",
        "https://d.example",
        date(2026, 11, 27),
    ),
    ResourceEntry(
        "US Line", "call 988", "https://us.example", "US", "https://u.example", date(2026, 11, 27)
    ),
    ResourceEntry(
        "GB Line",
        "call 116 123",
        "https://gb.example",
        "GB",
        "https://g.example",
        date(2026, 11, 27),
    ),
]


def _names(picked: list[object]) -> list[str]:
    return [r.name for r in picked]  # type: ignore[attr-defined]


def test_builtins_only_give_the_local_line_then_the_directory() -> None:
    assert _names(pick_resources((), "us", defaults=DEFAULTS)) == ["US Line", "Directory"]
    assert _names(pick_resources((), "UK", defaults=DEFAULTS)) == ["GB Line", "Directory"]


def test_without_a_region_the_international_entry_is_given() -> None:
    assert _names(pick_resources((), None, defaults=DEFAULTS)) == ["Directory"]
    assert _names(pick_resources((), "ZZ", defaults=DEFAULTS)) == ["Directory"]


def test_community_resources_come_first() -> None:
    community = [Resource("Our warmline", "call 555 0100", "https://warm.example", "")]
    picked = pick_resources(community, "US", defaults=DEFAULTS)
    assert _names(picked) == ["Our warmline", "US Line", "Directory"]
    assert picked[0] is community[0]


def test_community_resources_for_the_members_region_lead() -> None:
    community = [
        Resource("Line in France", "call 3114", "", "FR"),
        Resource("Line in Britain", "call 116 123", "", "GB"),
    ]
    picked = pick_resources(community, "GB", defaults=DEFAULTS)
    # The built-in GB line is the same number, so it is not shown twice.
    assert _names(picked) == ["Line in Britain", "Line in France", "Directory"]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 10])
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 100])
def test_never_more_than_three(count: int, limit: int) -> None:
    community = [Resource(f"Line {i}", f"call {i}00 000", "", "") for i in range(count)]
    picked = pick_resources(community, "US", limit=limit, defaults=DEFAULTS)
    assert 1 <= len(picked) <= min(limit, MAX_RESOURCES)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        pick_resources((), "US", limit=0, defaults=DEFAULTS)


def test_real_defaults_give_two_for_a_known_country() -> None:
    picked = pick_resources((), "DE")
    assert len(picked) == 2
    assert picked[0].region == "DE"
    assert picked[1].region == "international"


# --- words -------------------------------------------------------------------------------------


def test_format_has_emergency_advice_resources_and_what_hearth_is() -> None:
    text = format_resources(pick_resources((), "US"))
    lines = text.splitlines()
    assert lines[0] == EMERGENCY_LINE
    assert "112" in lines[0] and "911" in lines[0] and "999" in lines[0]
    assert (
        lines[1] == "• 988 Suicide & Crisis Lifeline — call or text 988 — https://988lifeline.org"
    )
    assert lines[2].startswith("• Find A Helpline — ")
    assert "not a crisis service" in lines[-1]
    assert len(lines) == 4


def test_format_is_calm() -> None:
    for region in (None, "US", "GB", "IE", "CA", "AU", "NZ", "DE", "FR", "IN"):
        assert "!" not in format_resources(pick_resources((), region))


def test_format_skips_missing_parts_and_keeps_one_line_per_resource() -> None:
    text = format_resources([Resource("Our\nwarmline", "", "https://warm.example", "")])
    assert "• Our warmline — https://warm.example" in text.splitlines()


def test_format_without_resources_still_gives_emergency_advice() -> None:
    text = format_resources([])
    assert text.splitlines()[0] == EMERGENCY_LINE
    assert "not a crisis service" in text
