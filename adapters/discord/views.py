"""discord.py UI objects built from `translate`'s plain data: buttons that stay
alive across restarts, forms (modals), embeds and files."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import translate
from bot.port import Attachment

if TYPE_CHECKING:
    from adapters.discord.client import DiscordAdapter

_STYLES = {
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.escape(translate.CHOICE_PREFIX) + r"(?P<command>.+)",
):
    """Every Hearth button. The command lives in the custom id, so a button on a
    message sent before a restart still works: nothing is kept in memory."""

    def __init__(self, button: discord.ui.Button) -> None:
        super().__init__(button)

    @classmethod
    def build(cls, spec: translate.Button) -> ChoiceButton:
        return cls(
            discord.ui.Button(
                label=spec.label,
                custom_id=spec.custom_id,
                emoji=spec.emoji,
                style=_STYLES.get(spec.style, discord.ButtonStyle.secondary),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ChoiceButton:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        command = translate.command_from_custom_id(self.custom_id)
        adapter: DiscordAdapter = interaction.client.adapter  # type: ignore[attr-defined]
        if command is not None:
            await adapter.on_choice(interaction, command)


def button_view(buttons: tuple[translate.Button, ...]) -> discord.ui.View | None:
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for spec in buttons:
        view.add_item(ChoiceButton.build(spec))
    return view


class HearthForm(discord.ui.Modal):
    """A form for words that must stay private. Its submit is handled from the
    interaction itself (`DiscordAdapter.on_form`), so a form opened before a
    restart still arrives; this object only draws it, and is stopped once
    sent, so discord.py keeps nothing of it and never parses a submit twice."""

    def __init__(self, modal: translate.Modal) -> None:
        super().__init__(title=modal.title, custom_id=modal.custom_id, timeout=None)
        for box in modal.boxes:
            text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
                custom_id=box.name,
                style=discord.TextStyle.paragraph if box.long else discord.TextStyle.short,
                required=box.required,
                max_length=box.max_length,
                placeholder=box.placeholder,
                default=box.default,
            )
            self.add_item(discord.ui.Label(text=box.label, component=text_input))


def embed(description: str | None) -> discord.Embed | None:
    return None if description is None else discord.Embed(description=description)


def file(attachment: Attachment | None) -> discord.File | None:
    if attachment is None:
        return None
    return discord.File(
        io.BytesIO(attachment.data),
        filename=attachment.filename,
        description=attachment.description or None,
    )
