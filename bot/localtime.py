"""Pure wall-clock arithmetic: times, day sets, quiet hours, the check-in day
and the next prompt slot. Everything is computed in the member's local time,
so a daylight-saving change never shifts or doubles anything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from difflib import SequenceMatcher
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.texts import text

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = 0b1111111
_NAMED_DAY_SETS = {"daily": EVERY_DAY, "weekdays": 0b0011111, "weekends": 0b1100000}


class TimingError(ValueError):
    """Bad time, day list or zone; the message is shown to the member as is
    (English: the member's language is not at hand here)."""


def parse_hhmm(typed: str) -> time:
    hours, sep, minutes = typed.partition(":")
    if not (sep and hours.isdecimal() and minutes.isdecimal() and len(minutes) == 2):
        raise TimingError(text("core.time_not_understood", text=typed))
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise TimingError(text("core.time_out_of_range", text=typed))
    return time(int(hours), int(minutes))


def format_hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def parse_days(typed: str) -> int:
    """`daily`, `weekdays`, `weekends` or a list like `mon,wed,fri` → a bitmask (Monday = bit 0)."""
    word = typed.lower()
    if word in _NAMED_DAY_SETS:
        return _NAMED_DAY_SETS[word]
    mask = 0
    for part in word.split(","):
        name = part.strip()[:3]
        if name not in DAY_NAMES or part.strip() not in (name, _full_day(name)):
            raise TimingError(text("core.days_not_understood", text=typed))
        mask |= 1 << DAY_NAMES.index(name)
    return mask


def _full_day(short: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[short]


def looks_like_days(typed: str) -> bool:
    try:
        parse_days(typed)
    except TimingError:
        return False
    return True


def describe_days(mask: int) -> str:
    for name, value in _NAMED_DAY_SETS.items():
        if mask == value:
            return name
    return ",".join(day for bit, day in enumerate(DAY_NAMES) if mask & (1 << bit))


#: the regions of IANA names a city is looked up in (`berlin` → Europe/Berlin)
_CITY_REGIONS = frozenset(
    ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia")
    + ("Europe", "Indian", "Pacific")
)
_MOST_SUGGESTIONS = 3


def _key(name: str) -> str:
    """How a typed zone is compared: any case, `-` or `_` between words."""
    return name.strip().lower().replace("-", "_")


@cache
def _zones() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """IANA names (with a region, or UTC) by their key, and by city the names ending in it."""
    by_key: dict[str, str] = {"utc": "UTC"}
    by_city: dict[str, list[str]] = {}
    for name in sorted(available_timezones()):
        if "/" not in name:
            continue  # `CET`, `EST`, `localtime`: abbreviations that could mean several things
        by_key[_key(name)] = name
        region, _, city = name.rpartition("/")
        if region.split("/")[0] in _CITY_REGIONS:
            by_city.setdefault(_key(city), []).append(name)
    return by_key, {city: tuple(names) for city, names in by_city.items()}


def find_zone(typed: str) -> str | None:
    """The IANA name a member meant: `Europe/Berlin` in any case, or a city that
    names exactly one zone (`berlin`, `new_york`); None when it is not one of those."""
    by_key, by_city = _zones()
    key = _key(typed)
    if key in by_key:
        return by_key[key]
    found = by_city.get(key, ())
    return found[0] if len(found) == 1 else None


def close_zones(typed: str) -> tuple[str, ...]:
    """IANA names close to what was typed, for "did you mean": the closest ones
    only (a city shared by several zones names them all)."""
    by_key, by_city = _zones()
    key = _key(typed)
    if "/" in key:
        return tuple(by_key[k] for k in _closest(key, by_key))
    names = [name for city in _closest(key, by_city) for name in by_city[city]]
    return tuple(names[:_MOST_SUGGESTIONS])


def _closest(key: str, candidates: Iterable[str]) -> list[str]:
    scored = []
    for candidate in candidates:
        matcher = SequenceMatcher(None, key, candidate)
        if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8:
            scored.append((matcher.ratio(), candidate))
    best = max((score for score, _ in scored), default=0.0)
    if best < 0.8:
        return []
    near = sorted((c for c in scored if c[0] >= best - 0.03), reverse=True)
    return [candidate for _, candidate in near[:_MOST_SUGGESTIONS]]


def parse_zone(name: str) -> ZoneInfo:
    found = find_zone(name)
    if found is not None:
        try:
            return ZoneInfo(found)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    close = close_zones(name)
    if close:
        raise TimingError(
            text(
                "checkins.zone_did_you_mean",
                name=name[:40],
                zones=text("checkins.zone_or").join(f"`{z}`" for z in close),
            )
        )
    raise TimingError(text("core.zone_unknown", name=name[:40]))


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, typed: str) -> QuietHours:
        start, sep, end = typed.partition("-")
        if not sep:
            raise TimingError(text("core.quiet_hours_format"))
        quiet = cls(parse_hhmm(start.strip()), parse_hhmm(end.strip()))
        if quiet.start == quiet.end:
            raise TimingError(text("core.quiet_hours_same"))
        return quiet

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # the window wraps midnight

    def __str__(self) -> str:
        return f"{format_hhmm(self.start)}-{format_hhmm(self.end)}"


def to_utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """The instant `moment` happens on `day` in `zone`.

    A time skipped by a spring-forward gap happens when the clocks read the
    same distance past the gap (02:30 → 03:30); a time repeated at fall-back
    happens at its first occurrence. Either way it happens exactly once."""
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def checkin_day(moment: datetime, zone: ZoneInfo, day_reset: time) -> date:
    """The local day a check-in at `moment` counts for: before the day-reset
    hour it still belongs to the day before."""
    local = moment.astimezone(zone)
    return local.date() - timedelta(days=1) if local.time() < day_reset else local.date()


def delay_for_quiet(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """Move `moment` to the end of the quiet window if it falls inside it."""
    if quiet is None:
        return moment
    local = moment.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return moment
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day += timedelta(days=1)
    return to_utc(end_day, quiet.end, zone)


@dataclass(frozen=True)
class Slot:
    """One scheduled prompt: the local date and time it belongs to, and when it is due."""

    local_date: date
    due_at: datetime


def next_slot(
    after: datetime,
    prompt_time: time,
    days: int,
    zone: ZoneInfo,
    quiet: QuietHours | None = None,
    excluded: frozenset[date] | None = None,
    not_before: date | None = None,
) -> Slot:
    """The first slot due strictly after `after`, on an allowed weekday, not on
    an excluded date and not before `not_before` (used for pauses)."""
    if not days & EVERY_DAY:
        raise TimingError(text("core.schedule_needs_a_day"))
    day = after.astimezone(zone).date() - timedelta(days=1)
    if not_before and not_before > day:
        day = not_before
    for _ in range(8 + 7):
        if days & (1 << day.weekday()) and not (excluded and day in excluded):
            due = delay_for_quiet(to_utc(day, prompt_time, zone), zone, quiet)
            if due > after:
                return Slot(day, due)
        day += timedelta(days=1)
    raise AssertionError("a weekly schedule always has a slot within two weeks")


def epoch(moment: datetime) -> int:
    """Stored times are whole UTC seconds."""
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


DAY_SECONDS = 86_400


def day_floor(moment: datetime, zone: ZoneInfo | None = None) -> int:
    """The midnight before `moment` (in `zone`, else UTC), in epoch seconds: the
    precision of every time kept on a member's rows or an anonymous item, so no
    two rows line up by the second. In a community's zone, a figure over
    completed days counts each row on the day it happened there."""
    if zone is None:
        seconds = epoch(moment)
        return seconds - seconds % DAY_SECONDS
    local = moment.astimezone(zone)
    return epoch(datetime.combine(local.date(), time(0), tzinfo=zone))
