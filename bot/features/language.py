"""`language [CODE]`: the language Hearth speaks to a member.

Which language a member reads, best first:
1. the one they chose with `language de` (kept on the member: `members.language`,
   `language_chosen`); an app's locale never replaces it;
2. the one their app is set to, when the platform says and Hearth speaks it
   (Discord's interaction locale, `Event.locale`): remembered on the member by
   bot/app.py, so prompts and relays sent later use it too;
3. the community's (`language:` in the config, English if not given).

`language default` forgets the member's choice: they read their app's language
again where the platform says it, else the community's. Channel posts are always
in the community's language: everyone there reads them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot import members, texts
from bot.feature import Feature, Services
from bot.port import Command, Member, Option, Words
from bot.requests import Refusal, Request, Router

NAME = "language"
DEFAULT = "default"
SUGGEST_LANGUAGE = "language"


def choices(locale: str) -> str:
    """Every shipped language, each in its own name, with its code."""
    return ", ".join(
        texts.text("language.choice", locale, name=texts.language_name(code), code=code)
        for code in texts.LOCALES
    )


def _near(word: str) -> str | None:
    """A shipped code the member may have meant (`deu`, `pt-br`, `Deutsch`)."""
    found = texts.shipped(word)
    if found:
        return found
    names = {texts.language_name(code).lower(): code for code in texts.LOCALES}
    codes = {code.lower(): code for code in texts.LOCALES}
    close = difflib.get_close_matches(word.lower(), [*codes, *names], n=1, cutoff=0.6)
    if not close:
        return None
    return codes.get(close[0]) or names[close[0]]


async def handle_language(req: Request) -> None:
    word = req.args.word(0)
    if word is None:
        _show(req)
        return
    if word == DEFAULT:
        await members.set_language(req.tx, req.member.id, None, chosen=False)
        # Their app's language where the platform says it, else the community's.
        app = texts.shipped(req.event.locale) if req.event.locale else None
        req.locale = app or req.community.language
        if app:
            await members.set_language(req.tx, req.member.id, app, chosen=False)
        req.say(req.t("language.default", language=texts.language_name(req.locale)))
        return
    found = texts.shipped(word)
    if found is None:
        near = _near(word)
        if near is not None:
            raise Refusal(req.t("language.did_you_mean", code=word[:20], suggestion=near))
        raise Refusal(req.t("language.unknown", code=word[:20], choices=choices(req.locale)))
    await members.set_language(req.tx, req.member.id, found, chosen=True)
    req.locale = found  # the answer, and the rest of this request, in the new language
    req.say(req.t("language.set", language=texts.language_name(found)))


def _show(req: Request) -> None:
    member = req.member
    name = texts.language_name(req.locale)
    if member.language and member.language_chosen:
        current = req.t("language.current_chosen", language=name)
    elif member.language:
        current = req.t("language.current_app", language=name)
    else:
        current = req.t("language.current_community", language=name)
    req.say(f"{current}\n{req.t('language.choices', choices=choices(req.locale))}")


async def _suggest(
    services: Services, member: Member, communities: Sequence[str], command: tuple[str, ...]
) -> list[str]:
    return [*texts.LOCALES, DEFAULT]


def register(router: Router) -> None:
    router.add(NAME, handle_language, "language.usage", "language.summary")


LANGUAGE = Command(
    (NAME,),
    Words("discord.command_language"),
    (
        Option(
            "code",
            Words("discord.option_language_code"),
            suggest=SUGGEST_LANGUAGE,
            max_length=20,
        ),
    ),
)

FEATURE = Feature(
    NAME,
    handlers=lambda router, wiring: register(router),
    commands=lambda config: (LANGUAGE,),
    suggests={SUGGEST_LANGUAGE: _suggest},
)
