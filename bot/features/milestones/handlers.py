"""The `milestone` command (set, list, reset, visibility, remove), and the
registration of `celebrate` and `cheer` (SPEC §2 "Milestones and celebrations").

Every mistake is a Refusal: a kind message, and nothing changed.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

from bot import members
from bot.features.milestones import celebrations, counters, streaks
from bot.features.milestones.counters import VISIBILITIES, Counter
from bot.features.milestones.thresholds import describe
from bot.localtime import TimingError, parse_zone
from bot.port import Choice
from bot.requests import Args, Refusal, Request, Router

NAME = re.compile(r"[\w-]{1,32}")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")  # \d: any script's digits, as int() reads
EARLIEST = date(1900, 1, 1)
MAX_COUNTERS = 20
SUBCOMMANDS = ("set", "list", "reset", "visibility", "remove")


def register(router: Router) -> None:
    router.add("milestone", handle_milestone, "milestones.usage", "milestones.summary")
    router.add(
        "celebrate",
        celebrations.celebrate,
        "milestones.celebrate_usage",
        "milestones.celebrate_summary",
        private=celebrations.asks_anonymity,
    )
    router.add_form("win", celebrations.submit_win)
    router.add(
        "cheer",
        celebrations.cheer,
        "milestones.cheer_usage",
        "milestones.cheer_summary",
    )


async def handle_milestone(req: Request) -> None:
    await celebrations.remember_name(req)  # a public milestone is posted later, by a job
    first = req.args.word(0)
    if first is None:
        await show_list(req, req.args)
        return
    if first not in SUBCOMMANDS:
        raise Refusal(
            req.t(
                "milestones.unknown_subcommand",
                word=req.args.words[0][:40],
                subcommands=", ".join(SUBCOMMANDS),
            )
        )
    await SUBCOMMAND_HANDLERS[first](req, req.args.shift())


# --- reading input -----------------------------------------------------------------


def _name(req: Request, args: Args, which: str) -> str:
    """The counter's name; `which` is the message id asking for one, with an example."""
    word = args.word(0)
    if word is None:
        raise Refusal(req.t(which))
    if not NAME.fullmatch(word):
        raise Refusal(req.t("milestones.bad_name"))
    return word


def _date(req: Request, text: str, today: date) -> date:
    """A start date: YYYY-MM-DD (or `today`/`yesterday`), from 1900 up to today."""
    word = text.lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    written = ISO_DATE.fullmatch(text)
    if not written:
        raise Refusal(req.t("milestones.unreadable_date", text=text[:40]))
    try:
        day = date(*(int(part) for part in written.groups()))  # ٢٠٢٦-٠١-٠٣ is 2026-01-03
    except ValueError:
        raise Refusal(req.t("milestones.no_such_day", text=text)) from None
    if day > today:
        raise Refusal(req.t("milestones.date_ahead", day=day.isoformat(), today=today.isoformat()))
    if day < EARLIEST:
        raise Refusal(req.t("milestones.date_too_early"))
    return day


def _dated(word: str) -> bool:
    """Whether a word is meant as a start date (valid or not)."""
    return bool(ISO_DATE.fullmatch(word)) or word.lower() in ("today", "yesterday")


async def _counter(req: Request, name: str) -> Counter:
    found = await counters.by_name(req.tx, req.vault, req.member.id, req.community.name, name)
    if found is not None:
        return found
    mine = await counters.of_member(req.tx, req.vault, req.member.id, req.community.name)
    if not mine:
        raise Refusal(req.t("milestones.no_counters_called", name=name))
    raise Refusal(
        req.t("milestones.no_counter_called", name=name, names=", ".join(c.name for c in mine))
    )


def _today(req: Request) -> date:
    return counters.today_for(req.member, req.community, req.now)


# --- subcommands ---------------------------------------------------------------------


async def set_counter(req: Request, args: Args) -> None:
    name = _name(req, args, "milestones.which_counter_set")
    if name == streaks.STREAK:
        raise Refusal(req.t("milestones.streak_name_taken"))
    words = args.words
    dated = next((i for i, word in enumerate(words) if i > 1 and _dated(word)), None)
    if dated is not None and not _dated(words[1]):
        # `milestone set no alcohol 2026-01-03`: a name of two words, not a bad time zone.
        joined = "-".join(words[:dated])
        if NAME.fullmatch(joined):
            raise Refusal(req.t("milestones.name_two_words", name=joined, day=words[dated]))
        raise Refusal(req.t("milestones.name_two_words_example", day=words[dated]))
    visibility = "private"
    for word in args.words[2:]:
        if word.lower() in VISIBILITIES:
            visibility = word.lower()
            continue
        try:
            zone_name = str(parse_zone(word))
        except TimingError as exc:
            raise Refusal(req.t("milestones.after_the_date", problem=str(exc))) from None
        await members.set_timezone(req.tx, req.member.id, zone_name)
        req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]
        await _reschedule_all(req)
    if args.word(1) is None:
        raise Refusal(req.t("milestones.which_day", name=name))
    today = _today(req)
    start = _date(req, args.words[1], today)
    existing = await counters.by_name(req.tx, req.vault, req.member.id, req.community.name, name)
    if existing is not None:
        raise Refusal(req.t("milestones.already_have", name=name, start=existing.start.isoformat()))
    mine = await counters.of_member(req.tx, req.vault, req.member.id, req.community.name)
    if len(mine) >= MAX_COUNTERS:
        raise Refusal(req.plural("milestones.too_many", MAX_COUNTERS))
    counter = await counters.create(
        req.tx,
        req.vault,
        req.member.id,
        req.community.name,
        name=name,
        start=start,
        visibility=visibility,
        celebrated_days=counters.mark_for_new_run(start, today, req.community),
    )
    await counters.reschedule(req.tx, counter.id, req.member, req.community, req.now)
    days = (today - start).days
    done = req.t("milestones.set_done", name=name, start=start.isoformat())
    if days:
        so_far = req.t("milestones.set_so_far", duration=describe(days, req.locale))
    else:
        so_far = req.t("milestones.day_one")
    when = req.t(f"milestones.set_when_{visibility}")
    zone = req.member.timezone or req.community.checkins.default_timezone
    change = req.t("milestones.set_how_to_change", name=name, zone=zone)
    req.say(f"{done} {so_far}\n{when} {change}")


async def _reschedule_all(req: Request) -> None:
    """A new time zone moves every counter's midnight."""
    for counter in await counters.of_member(req.tx, req.vault, req.member.id, req.community.name):
        await counters.reschedule(req.tx, counter.id, req.member, req.community, req.now)


async def show_list(req: Request, args: Args) -> None:
    mine = await counters.of_member(req.tx, req.vault, req.member.id, req.community.name)
    streak_visibility = await streaks.visibility(req)
    streak_line = req.t(f"milestones.list_streak_{streak_visibility}")
    if not mine:
        req.say(f"{req.t('milestones.list_none')}\n{streak_line}")
        return
    today = _today(req)
    lines = [req.t("milestones.list_heading")]
    for counter in mine:
        kept = counters.history(counter, today)
        days = counter.days_on(today)
        if days:
            run = req.t(
                "milestones.list_run",
                duration=describe(days, req.locale),
                start=counter.start.isoformat(),
            )
        else:
            run = req.t("milestones.list_fresh_start")
        lines.append(
            req.t(
                "milestones.list_line",
                name=counter.name,
                run=run,
                longest=describe(kept.longest_run, req.locale),
                attempts=req.plural("milestones.attempts", kept.attempts),
                total=describe(kept.total_days, req.locale),
                celebrated=req.t(f"milestones.list_celebrated_{counter.visibility}"),
            )
        )
    lines.append(streak_line)
    req.say("\n".join(lines))


async def reset(req: Request, args: Args) -> None:
    name = _name(req, args, "milestones.which_counter_reset")
    counter = await _counter(req, name)
    today = _today(req)
    new_start = _date(req, args.words[1], today) if len(args.words) > 1 else today
    if new_start < counter.start:
        raise Refusal(
            req.t(
                "milestones.reset_before_start",
                day=new_start.isoformat(),
                start=counter.start.isoformat(),
                name=name,
            )
        )
    updated = counters.restarted(
        counter, new_start, counters.mark_for_new_run(new_start, today, req.community)
    )
    await counters.save(req.tx, req.vault, updated)
    await counters.reschedule(req.tx, counter.id, req.member, req.community, req.now)
    kept = counters.history(updated, today)
    history = {
        "name": name,
        "longest": describe(kept.longest_run, req.locale),
        "total": describe(kept.total_days, req.locale),
        "attempt": kept.attempts,
    }
    if new_start == today:
        req.say(req.t("milestones.reset_today", **history))
    else:
        req.say(req.t("milestones.reset_on", day=new_start.isoformat(), **history))


async def visibility(req: Request, args: Args) -> None:
    name = _name(req, args, "milestones.which_counter_visibility")
    choice = args.word(1)
    if choice not in VISIBILITIES:
        raise Refusal(req.t("milestones.choose_visibility", name=name))
    if name == streaks.STREAK:
        await streaks.set_visibility(req, choice)
        what = req.t("milestones.visibility_what_streak")
    else:
        counter = await _counter(req, name)
        await counters.save(req.tx, req.vault, dataclasses.replace(counter, visibility=choice))
        what = req.t("milestones.visibility_what_counter", name=name)
    done = req.t(f"milestones.visibility_done_{choice}", what=what)
    if choice != "private" and not req.community.channels.celebrations:
        done = f"{done} {req.t('milestones.visibility_no_channel')}"
    req.say(done)


async def remove(req: Request, args: Args) -> None:
    name = _name(req, args, "milestones.which_counter_remove")
    counter = await _counter(req, name)
    if args.word(1) != "confirm":
        req.say(
            req.t("milestones.remove_confirm", name=name),
            choices=(
                Choice(req.t("milestones.remove_choice"), f"milestone remove {name} confirm", "🗑️"),
            ),
        )
        return
    await req.tx.execute("DELETE FROM milestone_counters WHERE id = $1", counter.id)
    req.say(req.t("milestones.removed", name=name))


SUBCOMMAND_HANDLERS = {
    "set": set_counter,
    "list": show_list,
    "reset": reset,
    "visibility": visibility,
    "remove": remove,
}
