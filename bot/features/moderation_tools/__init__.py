"""Moderator tools beyond the queue: `mod stats` (the community pulse and
delivery health, over groups only), `mod reload` and `mod log`."""

from __future__ import annotations

from bot.feature import Feature, Wiring
from bot.features.moderation_tools.log import LOG_MAX, show_log
from bot.features.moderation_tools.reload import make_handler
from bot.features.moderation_tools.stats import STATS_MAX_DAYS, stats
from bot.options import days
from bot.port import Command, Option, Words


def add_to(wiring: Wiring) -> None:
    """Add `mod stats`, `mod reload` and `mod log` to the `mod` command's table."""
    wiring.mod_commands["stats"] = stats
    wiring.mod_commands["reload"] = make_handler(wiring.reloader)
    wiring.mod_commands["log"] = show_log
    wiring.mod_usage.append("mod.tools_usage")  # an id: `help` renders it


COMMANDS = (
    Command(
        ("mod", "stats"),
        Words("discord.command_mod_stats"),
        (days("discord.option_mod_stats_days", STATS_MAX_DAYS),),
    ),
    Command(("mod", "reload"), Words("discord.command_mod_reload")),
    Command(
        ("mod", "log"),
        Words("discord.command_mod_log"),
        (
            Option(
                "count", Words("discord.option_mod_log_count"), int, min_value=1, max_value=LOG_MAX
            ),
        ),
    ),
)

FEATURE = Feature(
    "moderation_tools",
    handlers=lambda router, wiring: add_to(wiring),
    commands=lambda config: COMMANDS,
)
