"""`safetyplan` as members invoke it. On Discord each step has its own private form
(a modal), opened by its own subcommand or by the button under a step's question."""

from __future__ import annotations

from bot.config import Config
from bot.features.safetyplan.steps import STEP_MAX_LENGTH, STEPS, placeholder, title
from bot.port import Command, Field, Form, Group, Option, Words

NAME = "safetyplan"
GROUP = Group(NAME, Words("discord.safetyplan_group"))

#: each step's subcommand on Discord, which opens its form (`safetyplan edit 2` elsewhere)
STEP_WORDS = {1: "signs", 2: "coping", 3: "company", 4: "helpers", 5: "services", 6: "safer"}


def step_form(step: int) -> Form:
    return Form(
        f"{NAME}-{step}",
        Words(title(step)),
        (
            Field(
                "text",
                Words("safetyplan.form_label"),
                long=True,
                required=False,  # left empty: the step stays as it is (a skip)
                max_length=STEP_MAX_LENGTH,
                placeholder=Words(placeholder(step)),
            ),
        ),
    )


FORMS = {step: step_form(step) for step in STEPS}
STEP_CHOICES = tuple((Words(f"discord.safetyplan_step_{step}"), str(step)) for step in STEPS)
REMIND_CHOICES = tuple(
    (Words(f"discord.safetyplan_remind_choice_{how}"), how) for how in ("monthly", "off")
)


def commands(config: Config) -> tuple[Command, ...]:
    return (
        Command((NAME, "show"), Words("discord.safetyplan_command_show"), words=NAME),
        Command(
            (NAME, "edit"),
            Words("discord.safetyplan_command_edit"),
            (Option("step", Words("discord.safetyplan_option_step"), choices=STEP_CHOICES),),
        ),
        *(
            Command(
                (NAME, STEP_WORDS[step]),
                Words(f"discord.safetyplan_step_{step}"),
                words=f"{NAME} edit {step}",
                form=FORMS[step],
            )
            for step in STEPS
        ),
        Command((NAME, "clear"), Words("discord.safetyplan_command_clear")),
        Command(
            (NAME, "remind"),
            Words("discord.safetyplan_command_remind"),
            (
                Option(
                    "how",
                    Words("discord.safetyplan_option_remind"),
                    required=True,
                    choices=REMIND_CHOICES,
                ),
            ),
        ),
    )
