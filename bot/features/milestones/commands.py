"""The `milestone` command (set, list, reset, visibility, remove), and the
registration of `celebrate` and `cheer` (SPEC §2 "Milestones and celebrations").

Every mistake is a Refusal: a kind message, and nothing changed.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

from bot import members
from bot.commands import Args, Refusal, Request, Router
from bot.features.milestones import celebrations, counters, streaks
from bot.features.milestones.counters import VISIBILITIES, Counter
from bot.features.milestones.thresholds import describe
from bot.localtime import TimingError, parse_zone
from bot.port import Choice

NAME = re.compile(r"[\w-]{1,32}")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")  # \d: any script's digits, as int() reads
EARLIEST = date(1900, 1, 1)
MAX_COUNTERS = 20
SUBCOMMANDS = ("set", "list", "reset", "visibility", "remove")

USAGE = """milestone set NAME DATE [private|anonymous|public] [TIMEZONE] — start a counter
  e.g. `milestone set sober 2026-01-03` (the day it began, YYYY-MM-DD; private by default)
milestone list — your counters: days, longest run, attempts, total days
milestone reset NAME [DATE] — start a new run; your history is kept
milestone visibility NAME private|anonymous|public — how milestones are celebrated
  (NAME `streak` is for your check-in streak)
milestone remove NAME — delete a counter and its history"""

VISIBILITY_MEANS = {
    "private": "only you hear about it, by DM",
    "anonymous": "you get a DM, and the celebrations channel reads “Someone in our community "
    "reached …” — never your name",
    "public": "you get a DM, and the celebrations channel celebrates you by name",
}


def register(router: Router) -> None:
    router.add("milestone", handle_milestone, USAGE, "recovery counters and milestones")
    router.add(
        "celebrate",
        celebrations.celebrate,
        celebrations.CELEBRATE_USAGE,
        "share a win in the celebrations channel",
    )
    router.add("cheer", celebrations.cheer, celebrations.CHEER_USAGE, "cheer someone's celebration")


async def handle_milestone(req: Request) -> None:
    first = req.args.word(0)
    if first is None:
        await show_list(req, req.args)
        return
    if first not in SUBCOMMANDS:
        raise Refusal(
            f"I don't know `milestone {req.args.words[0][:40]}`. Try one of: "
            f"{', '.join(SUBCOMMANDS)} — `help milestone` shows how."
        )
    await SUBCOMMAND_HANDLERS[first](req, req.args.shift())


# --- reading input -----------------------------------------------------------------


def _name(args: Args, example: str) -> str:
    word = args.word(0)
    if word is None:
        raise Refusal(f"Which counter? For example `{example}`.")
    if not NAME.fullmatch(word):
        raise Refusal(
            "A counter's name is one word of up to 32 letters, digits, '-' or '_', like `sober`."
        )
    return word


def _date(text: str, today: date) -> date:
    """A start date: YYYY-MM-DD (or `today`/`yesterday`), from 1900 up to today."""
    word = text.lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    written = ISO_DATE.fullmatch(text)
    if not written:
        raise Refusal(
            f"“{text[:40]}” isn't a date I can read. Please write it as YYYY-MM-DD, "
            "like 2026-01-03."
        )
    try:
        day = date(*(int(part) for part in written.groups()))  # ٢٠٢٦-٠١-٠٣ is 2026-01-03
    except ValueError:
        raise Refusal(f"{text} isn't a day on the calendar. Could you check it?") from None
    if day > today:
        raise Refusal(
            f"{day} is still ahead (today is {today} where you are). A counter starts on "
            "today or a day before."
        )
    if day < EARLIEST:
        raise Refusal("I can count from 1900-01-01 onwards. Could you check the date?")
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
        raise Refusal(
            f"You don't have a counter called “{name}” yet. Start one with "
            f"`milestone set {name} 2026-01-03` (the day it began)."
        )
    raise Refusal(
        f"You don't have a counter called “{name}”. Yours: {', '.join(c.name for c in mine)}."
    )


def _today(req: Request) -> date:
    return counters.today_for(req.member, req.community, req.now)


# --- subcommands ---------------------------------------------------------------------


async def set_counter(req: Request, args: Args) -> None:
    name = _name(args, "milestone set sober 2026-01-03")
    if name == streaks.STREAK:
        raise Refusal(
            "`streak` is the name for your check-in streak, which counts by itself. "
            "Please pick another name for this counter."
        )
    words = args.words
    dated = next((i for i, word in enumerate(words) if i > 1 and _dated(word)), None)
    if dated is not None and not _dated(words[1]):
        # `milestone set no alcohol 2026-01-03`: a name of two words, not a bad time zone.
        joined = "-".join(words[:dated])
        example = joined if NAME.fullmatch(joined) else "sober"
        raise Refusal(
            "A counter's name is one word, then the day it began: "
            f"`milestone set {example} {words[dated]}`."
        )
    visibility = "private"
    for word in args.words[2:]:
        if word.lower() in VISIBILITIES:
            visibility = word.lower()
            continue
        try:
            zone_name = str(parse_zone(word))
        except TimingError as exc:
            raise Refusal(
                f"After the date I understand private, anonymous or public, and a time zone. {exc}"
            ) from None
        await members.set_timezone(req.tx, req.member.id, zone_name)
        req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]
        await _reschedule_all(req)
    if args.word(1) is None:
        raise Refusal(
            f"Which day did it begin? For example `milestone set {name} 2026-01-03` "
            "(YYYY-MM-DD, your local date)."
        )
    today = _today(req)
    start = _date(args.words[1], today)
    existing = await counters.by_name(req.tx, req.vault, req.member.id, req.community.name, name)
    if existing is not None:
        raise Refusal(
            f"You already have a counter called “{name}” (since {existing.start}). "
            f"`milestone reset {name}` starts a new run and keeps your history; or pick "
            "another name."
        )
    mine = await counters.of_member(req.tx, req.vault, req.member.id, req.community.name)
    if len(mine) >= MAX_COUNTERS:
        raise Refusal(
            f"You have {MAX_COUNTERS} counters, the most I can keep. `milestone remove NAME` "
            "makes room for a new one."
        )
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
    so_far = f"You're at {describe(days)} today 🌱" if days else "Day one starts today 🌱"
    req.say(
        f"Your “{name}” counter is set, since {start}. {so_far}\n"
        f"When you reach a milestone, {VISIBILITY_MEANS[visibility]}. "
        f"(`milestone visibility {name} …` changes that; dates follow "
        f"{req.member.timezone or req.community.checkins.default_timezone}.)"
    )


async def _reschedule_all(req: Request) -> None:
    """A new time zone moves every counter's midnight."""
    for counter in await counters.of_member(req.tx, req.vault, req.member.id, req.community.name):
        await counters.reschedule(req.tx, counter.id, req.member, req.community, req.now)


async def show_list(req: Request, args: Args) -> None:
    mine = await counters.of_member(req.tx, req.vault, req.member.id, req.community.name)
    streak_visibility = await streaks.visibility(req)
    streak_line = f"Check-in streak milestones are celebrated {_how(streak_visibility)}."
    if not mine:
        req.say(
            "You have no counters yet. Start one with `milestone set sober 2026-01-03` "
            f"(any name, the day it began).\n{streak_line}"
        )
        return
    today = _today(req)
    lines = ["Your counters:"]
    for counter in mine:
        kept = counters.history(counter, today)
        attempts = "1 attempt" if kept.attempts == 1 else f"{kept.attempts} attempts"
        days = counter.days_on(today)
        run = f"{describe(days)} (since {counter.start})" if days else "a fresh start today"
        lines.append(
            f"• {counter.name} — {run} · "
            f"longest run {describe(kept.longest_run)} · {attempts} · "
            f"{describe(kept.total_days)} in total · celebrated {_how(counter.visibility)}"
        )
    lines.append(streak_line)
    req.say("\n".join(lines))


def _how(visibility: str) -> str:
    return {"private": "privately", "anonymous": "anonymously", "public": "by name"}[visibility]


async def reset(req: Request, args: Args) -> None:
    name = _name(args, "milestone reset sober")
    counter = await _counter(req, name)
    today = _today(req)
    new_start = _date(args.words[1], today) if len(args.words) > 1 else today
    if new_start < counter.start:
        raise Refusal(
            f"{new_start} is before this run began ({counter.start}). A new run starts on "
            f"or after that day — `milestone reset {name}` starts it today."
        )
    updated = counters.restarted(
        counter, new_start, counters.mark_for_new_run(new_start, today, req.community)
    )
    await counters.save(req.tx, req.vault, updated)
    await counters.reschedule(req.tx, counter.id, req.member, req.community, req.now)
    kept = counters.history(updated, today)
    starts = "today" if new_start == today else f"on {new_start}"
    req.say(
        f"Your “{name}” counter starts again {starts}. Nothing is lost: your longest run is "
        f"{describe(kept.longest_run)}, {describe(kept.total_days)} in total, and this is "
        f"attempt {kept.attempts}. Starting again takes courage 💛"
    )


async def visibility(req: Request, args: Args) -> None:
    name = _name(args, "milestone visibility sober anonymous")
    choice = args.word(1)
    if choice not in VISIBILITIES:
        raise Refusal(
            f"Choose how to celebrate: `milestone visibility {name} private`, `anonymous` "
            "or `public`."
        )
    if name == streaks.STREAK:
        await streaks.set_visibility(req, choice)
        what = "Check-in streak milestones"
    else:
        counter = await _counter(req, name)
        await counters.save(req.tx, req.vault, dataclasses.replace(counter, visibility=choice))
        what = f"Milestones of “{name}”"
    note = ""
    if choice != "private" and not req.community.channels.celebrations:
        note = " (This community has no celebrations channel yet, so for now they stay private.)"
    req.say(f"Done. {what}: {VISIBILITY_MEANS[choice]}.{note}")


async def remove(req: Request, args: Args) -> None:
    name = _name(args, "milestone remove sober")
    counter = await _counter(req, name)
    if args.word(1) != "confirm":
        req.say(
            f"This deletes “{name}” and its history (attempts, longest run). It can't be "
            f"undone. If you'd rather start a new run, `milestone reset {name}` keeps it all.",
            choices=(Choice("Yes, remove it", f"milestone remove {name} confirm", "🗑️"),),
        )
        return
    await req.tx.execute("DELETE FROM milestone_counters WHERE id = $1", counter.id)
    req.say(f"“{name}” is removed, with its history.")


SUBCOMMAND_HANDLERS = {
    "set": set_counter,
    "list": show_list,
    "reset": reset,
    "visibility": visibility,
    "remove": remove,
}
