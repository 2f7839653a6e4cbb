"""Features: each one folder (or module) declaring what it brings in `FEATURE`
(bot/feature.py). `FEATURES` is the one list the app iterates; its order is the
order of `help`."""

from bot.feature import Feature
from bot.features import checkins, help, milestones, moderation_tools, mydata, safety, sharing

FEATURES: tuple[Feature, ...] = (
    help.FEATURE,
    checkins.FEATURE,
    milestones.FEATURE,
    safety.FEATURE,
    mydata.FEATURE,
    sharing.FEATURE,
    moderation_tools.FEATURE,
)
