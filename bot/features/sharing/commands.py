"""The sharing commands as members invoke them, and the moderators' queue commands."""

from __future__ import annotations

from bot.config import Config
from bot.features.sharing.handlers import REPORT_REASON_MAX_LENGTH, WARNING_MAX_LENGTH
from bot.features.sharing.moderation import BLOCK_MAX_DAYS, REASON_MAX_LENGTH
from bot.options import days, number, reference
from bot.port import Command, Field, Form, Group, Option, Words

GROUP = Group("share", Words("discord.group_share"))

SHARE_FORM = Form(
    "share",
    Words("discord.form_share_title"),
    (
        Field(
            "warning",
            Words("discord.form_share_warning_label"),
            required=False,
            max_length=WARNING_MAX_LENGTH,
            placeholder=Words("discord.form_share_warning_placeholder"),
        ),
        Field(
            "text",
            Words("discord.form_share_text_label"),
            long=True,
            placeholder=Words("discord.form_share_text_placeholder"),
        ),
    ),
)
REPLY_FORM = Form(
    "reply",
    Words("discord.form_reply_title"),
    (
        Field(
            "text",
            Words("discord.form_reply_text_label"),
            long=True,
            placeholder=Words("discord.form_reply_text_placeholder"),
        ),
    ),
)


def commands(config: Config) -> tuple[Command, ...]:
    def plain(*path: str) -> Command:
        return Command(path, Words("discord.command_" + "_".join(path)))

    return (
        Command(
            ("share", "post"),
            Words("discord.command_share_post"),
            (
                Option(
                    "content_warning",
                    Words("discord.option_share_post_content_warning"),
                    max_length=WARNING_MAX_LENGTH,
                    prefill="warning",
                ),
            ),
            words="share",
            form=SHARE_FORM,
        ),
        plain("share", "list"),
        Command(
            ("share", "delete"),
            Words("discord.command_share_delete"),
            (number("discord.option_number_share"),),
        ),
        plain("share", "confirm"),
        plain("share", "cancel"),
        Command(
            ("reply",),
            Words("discord.command_reply"),
            (number("discord.option_number_share"),),
            form=REPLY_FORM,
        ),
        Command(
            ("support",), Words("discord.command_support"), (number("discord.option_number_share"),)
        ),
        Command(
            ("report",),
            Words("discord.command_report"),
            (
                reference("discord.option_number_reply"),
                Option(
                    "reason",
                    Words("discord.option_report_reason"),
                    required=True,
                    max_length=REPORT_REASON_MAX_LENGTH,
                ),
            ),
        ),
        # --- the moderators' queue
        plain("mod", "queue"),
        Command(
            ("mod", "approve"),
            Words("discord.command_mod_approve"),
            (reference("discord.option_number_held"),),
        ),
        Command(
            ("mod", "reject"),
            Words("discord.command_mod_reject"),
            (
                reference("discord.option_number_held"),
                Option(
                    "reason",
                    Words("discord.option_mod_reject_reason"),
                    max_length=REASON_MAX_LENGTH,
                ),
            ),
        ),
        Command(
            ("mod", "remove"),
            Words("discord.command_mod_remove"),
            (
                reference("discord.option_number_reply"),
                Option(
                    "reason",
                    Words("discord.option_mod_reject_reason"),  # "A note for the author"
                    max_length=REASON_MAX_LENGTH,
                ),
            ),
        ),
        Command(
            ("mod", "block"),
            Words("discord.command_mod_block"),
            (
                number("discord.option_number_share"),
                days("discord.option_mod_block_days", BLOCK_MAX_DAYS),
            ),
        ),
        Command(
            ("mod", "unblock"),
            Words("discord.command_mod_unblock"),
            (
                Option(
                    "block_id",
                    Words("discord.option_mod_unblock_block_id"),
                    required=True,
                    max_length=16,
                ),
            ),
        ),
    )
