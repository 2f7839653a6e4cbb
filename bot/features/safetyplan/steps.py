"""The six steps of a safety plan (Stanley–Brown), in plain words: their numbers and
the catalogue ids of what a member reads about each."""

from __future__ import annotations

#: 1 my warning signs · 2 what I can do on my own to feel a little better · 3 people and
#: places that help me feel less alone · 4 people I can ask for help · 5 professionals
#: and crisis lines · 6 making where I am safer
STEPS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
#: the step the community's resources are written into, for the member to change
SERVICES_STEP = 5
#: what a crisis answer leads with: what helps, and who they can reach
IN_A_CRISIS: tuple[int, ...] = (2, 3, 4)
#: each step's words; short enough that the whole plan reads in a message or two
STEP_MAX_LENGTH = 500


def title(step: int) -> str:
    return f"safetyplan.step_title_{step}"


def guidance(step: int) -> str:
    return f"safetyplan.step_guidance_{step}"


def placeholder(step: int) -> str:
    return f"safetyplan.step_placeholder_{step}"


def parse_step(word: str | None) -> int | None:
    """`3` → 3; anything else (a word, 0, 7) → None."""
    if word is None or not word.isdigit():
        return None
    step = int(word)
    return step if step in STEPS else None
