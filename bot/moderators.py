"""Who moderates a community: named users, Discord roles, Matrix power level."""

from __future__ import annotations

from bot.config import Community
from bot.port import Event


def is_moderator(event: Event, community: Community) -> bool:
    moderators = community.moderators
    if event.member.user_id in moderators.users:
        return True
    if any(role in moderators.roles for role in event.roles):
        return True
    return event.power_level is not None and event.power_level >= moderators.power_level
