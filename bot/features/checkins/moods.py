"""A mood's words: the community's own labels, or the shipped ones in the reader's language."""

from __future__ import annotations

from bot.config import DEFAULT_MOOD_LABELS, Community
from bot.texts import text


def mood_labels(community: Community, locale: str) -> tuple[str, ...]:
    """Labels for moods 1 → 5. A community that wrote its own keeps them in every
    language; one that kept the defaults reads them in `locale`."""
    own = community.checkins.mood_labels
    if own != DEFAULT_MOOD_LABELS:
        return own
    return tuple(text(f"checkins.mood_label_{mood}", locale) for mood in range(1, 6))
