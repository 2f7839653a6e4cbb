"""Who could be whose buddy: pure rules, no database.

Two members waiting in one community are a possible pair when they share at
least one interest, their clocks are at most `max_hours_apart` apart right now
(each one's zone: the one their check-ins use or the one they gave, else the
community's), neither is under a moderator's block there, and they have not
been paired or proposed before — unless both asked for each other again. Among
the possible partners of a member, the one sharing the most interests comes
first, then the nearest clock, then whoever has waited longest.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class TagError(ValueError):
    """Words that are not one of the community's interests."""

    def __init__(self, unknown: list[str], suggestions: list[str]) -> None:
        super().__init__(", ".join(unknown))
        self.unknown = unknown
        self.suggestions = suggestions


def _normal(words: str) -> str:
    return " ".join(words.lower().replace("-", " ").replace("_", " ").split())


def parse_tags(typed: str, offered: Sequence[str]) -> tuple[str, ...]:
    """The community's interests named in `typed` (`walking, night shifts`,
    `night-shifts music`), in the order typed, each once. Longer names win
    (`night shifts` before a `night`)."""
    by_normal = {_normal(tag): tag for tag in offered}
    longest = max((len(key.split()) for key in by_normal), default=1)
    words = _normal(typed.replace(",", " ").replace("#", " ")).split()
    found: list[str] = []
    unknown: list[str] = []
    at = 0
    while at < len(words):
        for size in range(min(longest, len(words) - at), 0, -1):
            candidate = " ".join(words[at : at + size])
            if candidate in by_normal:
                tag = by_normal[candidate]
                if tag not in found:
                    found.append(tag)
                at += size
                break
        else:
            unknown.append(words[at])
            at += 1
    if unknown:
        suggestions: list[str] = []
        for word in unknown:
            for close in difflib.get_close_matches(word, list(by_normal), n=1, cutoff=0.6):
                if by_normal[close] not in suggestions:
                    suggestions.append(by_normal[close])
        raise TagError(unknown, suggestions)
    return tuple(found)


@dataclass(frozen=True)
class Candidate:
    member_id: int
    tags: frozenset[str]
    offset_minutes: int  # the member's clock against UTC, right now
    #: how `buddy_met` rows name this member (under their own secret)
    token: str
    #: partners met before (their tokens), each with whether this member asked again
    met: dict[str, bool] = field(default_factory=dict)
    blocked: bool = False
    due: bool = True  # looking for a partner now (a new join, or the daily look)


def _met_before(one: Candidate, other: Candidate) -> bool:
    """Met before, and not both asking for each other again."""
    mine, theirs = one.met.get(other.token), other.met.get(one.token)
    if mine is None and theirs is None:
        return False
    return not (mine and theirs)


def compatible(one: Candidate, other: Candidate, max_hours_apart: float) -> bool:
    return (
        one.member_id != other.member_id
        and not one.blocked
        and not other.blocked
        and bool(one.tags & other.tags)
        and abs(one.offset_minutes - other.offset_minutes) <= max_hours_apart * 60
        and not _met_before(one, other)
    )


def pairs(
    candidates: Iterable[Candidate], max_hours_apart: float, offered: Sequence[str]
) -> list[tuple[Candidate, Candidate, str]]:
    """Pairs to propose, each with the interest its proposal names (the first they
    share, in the community's order). Members are taken in the order given (the
    longest waiting first); each is in one pair at most."""
    pool = list(candidates)
    taken: set[int] = set()
    found: list[tuple[Candidate, Candidate, str]] = []
    order = {tag: n for n, tag in enumerate(offered)}
    for one in pool:
        if not one.due or one.member_id in taken:
            continue
        options = [
            other
            for other in pool
            if other.member_id not in taken and compatible(one, other, max_hours_apart)
        ]
        if not options:
            continue
        best = max(
            options,
            key=lambda o: (
                len(one.tags & o.tags),
                -abs(one.offset_minutes - o.offset_minutes),
                -pool.index(o),
            ),
        )
        shared = sorted(one.tags & best.tags, key=lambda tag: order.get(tag, len(order)))
        taken |= {one.member_id, best.member_id}
        found.append((one, best, shared[0]))
    return found
