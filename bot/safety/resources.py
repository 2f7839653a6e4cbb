"""Support and crisis resources: the built-in defaults, picking two or three, and the calm words
around them (SPEC §4)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from urllib.parse import urlsplit

import yaml

from bot.config import Resource
from bot.texts import ENGLISH, text

RESOURCES_RESOURCE = "data/resources.yaml"
INTERNATIONAL = "international"
MAX_RESOURCES = 3  # two or three lines, never a wall of numbers (SPEC §4)

# The English words, for what has no member at hand; format_resources takes a locale.
EMERGENCY_LINE = text("safety.emergency_line")
NOT_A_CRISIS_SERVICE = text("safety.not_a_crisis_service")
NOT_A_CRISIS_SERVICE_WITH_HELP = text("safety.not_a_crisis_service_with_help")

_ENTRY_KEYS = frozenset({"name", "contact", "url", "region", "languages", "source", "verified"})
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")
# Names people use that are not ISO 3166-1 codes.
_REGION_ALIASES = {"UK": "GB"}


class ResourceDataError(ValueError):
    """A resources file entry lacks a required fact or has one in the wrong form."""


@dataclass(frozen=True)
class ResourceEntry:
    """A built-in resource, with where its number is published and when that was checked."""

    name: str
    contact: str
    url: str
    region: str  # ISO 3166-1 alpha-2 code, or "international"
    source: str
    verified: date
    languages: tuple[str, ...] = ()  # ISO 639-1 codes it answers in, the main one first


AnyResource = Resource | ResourceEntry


def load_default_resources() -> list[ResourceEntry]:
    """The shipped resources, validated: any entry without a source or date raises."""
    return list(_default_resources())


@functools.cache
def _default_resources() -> tuple[ResourceEntry, ...]:
    text = resources.files("bot").joinpath(RESOURCES_RESOURCE).read_text(encoding="utf-8")
    entries = parse_resources(yaml.safe_load(text), origin=RESOURCES_RESOURCE)
    if not any(entry.region == INTERNATIONAL for entry in entries):
        raise ResourceDataError(f"{RESOURCES_RESOURCE}: needs an entry with region international")
    return tuple(entries)


def parse_resources(data: object, origin: str = "resources") -> list[ResourceEntry]:
    """Validate the shape of a resources file (see bot/data/resources.yaml)."""
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise ResourceDataError(f"{origin}: expected a top-level 'resources' list")
    entries = data["resources"]
    if not entries:
        raise ResourceDataError(f"{origin}: the 'resources' list is empty")
    return [_parse_entry(item, f"{origin}: resources[{i}]") for i, item in enumerate(entries)]


def _parse_entry(item: object, where: str) -> ResourceEntry:
    if not isinstance(item, dict):
        raise ResourceDataError(f"{where}: expected a mapping")
    unknown = set(item) - _ENTRY_KEYS
    if unknown:
        raise ResourceDataError(f"{where}: unknown keys {sorted(map(str, unknown))}")

    def text(key: str) -> str:
        value = item.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ResourceDataError(f"{where}.{key}: expected text")
        return value.strip()

    name, contact, url, source = text("name"), text("contact"), text("url"), text("source")
    if not name:
        raise ResourceDataError(f"{where}.name: required")
    where = f"{where} ({name})"
    if not contact and not url:
        raise ResourceDataError(f"{where}: needs a contact or a url")
    if url and not _is_web_url(url):
        raise ResourceDataError(f"{where}.url: {url!r} is not an http(s) URL")
    if not source:
        raise ResourceDataError(f"{where}.source: required, the page that publishes this number")
    if not _is_web_url(source):
        raise ResourceDataError(f"{where}.source: {source!r} is not an http(s) URL")
    region = normalise_region(text("region"))
    if region is None:
        raise ResourceDataError(
            f"{where}.region: expected an ISO country code such as GB, or 'international'"
        )
    languages = item.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(code, str) and _LANGUAGE_CODE.fullmatch(code) for code in languages)
    ):
        raise ResourceDataError(
            f"{where}.languages: required, the ISO 639-1 codes it answers in, like [de, fr]"
        )
    return ResourceEntry(
        name, contact, url, region, source, _verified_date(item, where), tuple(languages)
    )


def _verified_date(item: dict[object, object], where: str) -> date:
    value = item.get("verified")
    if value is None or value == "":
        raise ResourceDataError(f"{where}.verified: required, the ISO date it was last checked")
    # YAML reads an unquoted 2026-11-27 as a date already; a quoted one arrives as text.
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ResourceDataError(f"{where}.verified: {value!r} is not an ISO date (YYYY-MM-DD)")


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def normalise_region(region: str | None) -> str | None:
    """'gb', 'UK' → 'GB'; 'International' → 'international'; anything else → None."""
    if not region:
        return None
    cleaned = region.strip()
    if cleaned.casefold() == INTERNATIONAL:
        return INTERNATIONAL
    code = _REGION_ALIASES.get(cleaned.upper(), cleaned.upper())
    return code if _COUNTRY_CODE.fullmatch(code) else None


def pick_resources(
    community_resources: Iterable[Resource],
    region_hint: str | None = None,
    limit: int = MAX_RESOURCES,
    *,
    language: str | None = None,
    defaults: Sequence[ResourceEntry] | None = None,
) -> list[AnyResource]:
    """Two or three resources: the community's own first, then a built-in for the member's
    country and the built-in international one, as room allows. Never more than three.

    With a region hint, the community's resources for that region (or for none) come before
    its resources for other countries. The local built-in comes before the international
    one because a number to call beats a directory to search. `language` (the one the
    member wrote in) picks among a country's services, and stands in for the country when
    it is unknown — except English, spoken in too many countries to guess one.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    limit = min(limit, MAX_RESOURCES)
    region = normalise_region(region_hint)
    if region == INTERNATIONAL:
        region = None
    builtin = load_default_resources() if defaults is None else list(defaults)

    def fits_region(resource: AnyResource) -> bool:
        own = normalise_region(resource.region)
        return own is None or own in (INTERNATIONAL, region)

    community = list(community_resources)
    if region is not None:
        community.sort(key=lambda r: not fits_region(r))  # stable: config order otherwise
    chosen: list[AnyResource] = community[:limit]

    local = _local(builtin, region, language)
    international = next((e for e in builtin if e.region == INTERNATIONAL), None)
    for candidate in (local, international):
        if len(chosen) >= limit:
            break
        if candidate is not None and not any(_same_service(candidate, c) for c in chosen):
            chosen.append(candidate)
    return chosen


def _local(
    builtin: Sequence[ResourceEntry], region: str | None, language: str | None
) -> ResourceEntry | None:
    """The built-in service for this country (in the member's language if it has several),
    or, with no country known, the first whose main language is theirs."""
    if region is not None:
        here = [e for e in builtin if e.region == region]
        return next((e for e in here if language in e.languages), here[0] if here else None)
    if language and language != "en":
        return next(
            (e for e in builtin if e.region != INTERNATIONAL and e.languages[:1] == (language,)),
            None,
        )
    return None


def _same_service(a: AnyResource, b: AnyResource) -> bool:
    # A community that lists the Samaritans itself should not see them twice.
    url_a, url_b = _url_key(a.url), _url_key(b.url)
    digits_a, digits_b = re.sub(r"\D", "", a.contact), re.sub(r"\D", "", b.contact)
    return bool(url_a and url_a == url_b) or bool(len(digits_a) >= 3 and digits_a == digits_b)


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip().casefold())
    host = parts.netloc.removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" if host else ""


def format_resources(entries: Iterable[AnyResource], locale: str = ENGLISH) -> str:
    """The calm, short message: emergency advice, the resources, and what Hearth is not.
    The services' own names and numbers are data, shown as they are."""
    lines = [text("safety.emergency_line", locale)]
    for entry in entries:
        parts = (" ".join(part.split()) for part in (entry.name, entry.contact, entry.url))
        lines.append("• " + " — ".join(part for part in parts if part))
    closing = (
        "safety.not_a_crisis_service_with_help" if len(lines) > 1 else "safety.not_a_crisis_service"
    )
    lines.append(text(closing, locale))
    return "\n".join(lines)
