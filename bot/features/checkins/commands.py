"""The `checkin` command and its subcommands (SPEC §2 "Check-ins")."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from datetime import date, timedelta

from bot import members
from bot.commands import Args, Refusal, Request, Router
from bot.events import CheckinSaved
from bot.features.checkins import prompts
from bot.features.checkins.history import render_chart, sparkline, summarise
from bot.features.checkins.streaks import current_streak
from bot.localtime import (
    EVERY_DAY,
    QuietHours,
    TimingError,
    checkin_day,
    day_floor,
    describe_days,
    format_hhmm,
    looks_like_days,
    parse_days,
    parse_hhmm,
    parse_zone,
)
from bot.port import Attachment, Message
from bot.safety import care
from bot.vault import CHECKIN_NOTE

TAG = re.compile(r"#(\w[\w-]{0,31})")
HISTORY_DEFAULT_DAYS = 30
HISTORY_MAX_DAYS = 365
PAUSE_MAX_DAYS = 365
TREND_ARROWS = {"rising": "↗", "falling": "↘", "steady": "→"}
SUBCOMMANDS = ("schedule", "pause", "resume", "skip", "snooze", "quiet", "history", "stop")

USAGE = """checkin [MOOD] [NOTE] — record how you feel now (1 = very low … 5 = very good)
checkin schedule HH:MM [DAYS] [TIMEZONE] — a private prompt at your local time
checkin pause [DAYS] / checkin resume — stop prompts for a while
checkin skip — no prompt today · checkin quiet HH:MM-HH:MM (or off)
checkin history [DAYS] — your private summary · checkin stop — forget the schedule"""


def register(router: Router) -> None:
    router.add("checkin", handle_checkin, USAGE, "private mood check-ins, reminders and history")


async def handle_checkin(req: Request) -> None:
    first = req.args.word(0)
    if first is None:
        req.say("How are you feeling right now?", choices=prompts.mood_choices(req.community))
        return
    if first in SUBCOMMANDS:
        await SUBCOMMAND_HANDLERS[first](req, req.args.shift())
        return
    if first.lstrip("-").isdigit() or _is_number(first):
        await record(req, first, req.args.after(1))
        return
    raise Refusal(
        f"I don't know `checkin {req.args.words[0][:40]}`. You can give a mood from 1 to 5 "
        f"(`checkin 4 slept well`) or one of: {', '.join(SUBCOMMANDS)}."
    )


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _zone_name(req: Request) -> str:
    return req.member.timezone or req.community.checkins.default_timezone


def _today(req: Request) -> date:
    reset = parse_hhmm(req.community.checkins.day_reset)
    return checkin_day(req.now, parse_zone(_zone_name(req)), reset)


async def record(req: Request, mood_text: str, note: str) -> None:
    labels = req.community.checkins.mood_labels
    if mood_text not in {"1", "2", "3", "4", "5"}:
        raise Refusal(f"A mood is a whole number from 1 to 5 (1 = {labels[0]}, 5 = {labels[4]}).")
    crisis = care.crisis_in(note, req.community)
    limit = req.community.checkins.max_note_length
    if len(note) > limit:
        raise Refusal(
            f"That note is {len(note)} characters; notes can be up to {limit}. "
            "Nothing was saved — could you shorten it a little?",
            also=(await care.care_message(req),) if crisis else (),
        )
    mood = int(mood_text)
    day = _today(req)
    tags = " ".join(sorted({t.lower() for t in TAG.findall(note)}))
    checkin_id = await req.tx.fetchval(
        "INSERT INTO checkins (member_id, community, mood, tags, local_date, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        req.member.id,
        req.community.name,
        mood,
        tags,
        day.isoformat(),
        day_floor(req.now, req.community.zone),  # the day only: see docs/privacy.md
    )
    if note:
        await req.tx.execute(
            "UPDATE checkins SET note = $1 WHERE id = $2",
            req.vault.seal(CHECKIN_NOTE, checkin_id, note),
            checkin_id,
        )
    streak = await _streak(req, day)
    streak_text = f" Streak: {streak} days 🌱" if streak > 1 else ""
    tag_text = f" Tags: {' '.join('#' + t for t in tags.split())}." if tags else ""
    req.say(f"Saved — {labels[mood - 1]} for {day:%a %d %b}.{tag_text}{streak_text}")
    await req.publish(CheckinSaved(day, streak, hard_moment=bool(crisis) or mood == 1))
    if crisis:
        # Never forwarded: the member alone decides whether a moderator hears of it.
        await care.mark_cared_for(req, day)
        await care.offer_care(req, offer_contact=True, language=crisis.language)
    elif mood == 1:
        await care.gentle_low_mood_note(req, day)


async def _streak(req: Request, today: date) -> int:
    rows = await req.tx.fetch(
        "SELECT DISTINCT local_date FROM checkins WHERE member_id = $1 AND community = $2 "
        "AND local_date > $3",
        req.member.id,
        req.community.name,
        (today - timedelta(days=800)).isoformat(),
    )
    days = {date.fromisoformat(r["local_date"]) for r in rows}
    breaks = await prompts.load_breaks(req.tx, req.member.id, req.community.name)
    return current_streak(today, days, breaks)


async def schedule(req: Request, args: Args) -> None:
    if not args.words:
        raise Refusal("Tell me a time, like `checkin schedule 09:00` (24-hour, your local time).")
    try:
        prompt_time = parse_hhmm(args.words[0])
        days, zone_name = EVERY_DAY, None
        for word in args.words[1:]:
            if looks_like_days(word):
                days = parse_days(word)
            elif "/" in word or word.upper() == "UTC":
                zone_name = str(parse_zone(word))
            elif "," in word:
                parse_days(word)  # a day list with a slip in it: says what a day list is
            else:  # `CET`, `funday`: it could have meant either
                raise TimingError(
                    f"“{word[:40]}” isn't a day list or a time zone I know. Days are daily, "
                    "weekdays, weekends or a list like mon,wed,fri; a time zone is an IANA "
                    "name like Europe/Berlin."
                )
    except TimingError as exc:
        raise Refusal(str(exc)) from None
    if zone_name is None and req.member.timezone is None:
        raise Refusal(
            "Which time zone are you in? Add it at the end so prompts come at your local "
            f"time, e.g. `checkin schedule {format_hhmm(prompt_time)} {describe_days(days)} "
            "Europe/Berlin` (or America/New_York, Asia/Kolkata, UTC …)."
        )
    if zone_name is not None:
        await members.set_timezone(req.tx, req.member.id, zone_name)
        req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]
    await req.tx.execute(
        "INSERT INTO schedules (member_id, community, prompt_time, days) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (member_id, community) DO UPDATE SET prompt_time = $3, days = $4, "
        "snooze_until = NULL",
        req.member.id,
        req.community.name,
        format_hhmm(prompt_time),
        days,
    )
    await _resume_if_unreachable(req)
    await prompts.reschedule(req.tx, req.member, req.community, req.now)
    req.say(
        f"Done. I'll check in with you by DM at {format_hhmm(prompt_time)} "
        f"({describe_days(days)}, {_zone_name(req)}). Each prompt has Snooze 1h and Skip today; "
        "`checkin pause` or `checkin stop` whenever you like."
    )


async def _resume_if_unreachable(req: Request) -> None:
    if req.member.unreachable:
        await members.mark_reachable(req.tx, req.member.id)
        req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]


async def _require_schedule(req: Request) -> prompts.Schedule:
    found = await prompts.load_schedule(req.tx, req.member.id, req.community.name)
    if found is None:
        raise Refusal("You have no check-in reminders yet. Start with `checkin schedule 09:00`.")
    return found


async def pause(req: Request, args: Args) -> None:
    word = args.word(0)
    today = _today(req)
    if word is None:
        end = None
    elif word.isdecimal() and 1 <= int(word) <= PAUSE_MAX_DAYS:
        end = today + timedelta(days=int(word) - 1)
    else:
        raise Refusal(
            f"Pause for a number of days from 1 to {PAUSE_MAX_DAYS}, or just `checkin pause`."
        )
    await _end_open_breaks(req, today)
    await req.tx.execute(
        "INSERT INTO checkin_breaks (member_id, community, kind, start_date, end_date) "
        "VALUES ($1, $2, 'pause', $3, $4)",
        req.member.id,
        req.community.name,
        today.isoformat(),
        end and end.isoformat(),
    )
    await prompts.reschedule(req.tx, req.member, req.community, req.now)
    until = f"until {end:%a %d %b}" if end else "until you say `checkin resume`"
    req.say(f"Paused {until}. Paused days never break your streak. Take care of yourself 💛")


async def _end_open_breaks(req: Request, today: date) -> int:
    """Close pauses still running: they end yesterday (or vanish if they began today)."""
    yesterday = (today - timedelta(days=1)).isoformat()
    removed = await req.tx.execute(
        "DELETE FROM checkin_breaks WHERE member_id = $1 AND community = $2 AND kind = 'pause' "
        "AND start_date >= $3",
        req.member.id,
        req.community.name,
        today.isoformat(),
    )
    ended = await req.tx.execute(
        "UPDATE checkin_breaks SET end_date = $1 WHERE member_id = $2 AND community = $3 "
        "AND kind = 'pause' AND (end_date IS NULL OR end_date >= $4)",
        yesterday,
        req.member.id,
        req.community.name,
        today.isoformat(),
    )
    return removed + ended


async def resume(req: Request, args: Args) -> None:
    was_paused = await _end_open_breaks(req, _today(req))
    was_unreachable = req.member.unreachable
    await _resume_if_unreachable(req)
    found = await prompts.reschedule(req.tx, req.member, req.community, req.now)
    if not (was_paused or was_unreachable):
        req.say("You weren't paused. " + ("Prompts are on." if found else ""))
        return
    req.say("Welcome back. Prompts are on again." if found else "Welcome back.")


async def skip(req: Request, args: Args) -> None:
    today = _today(req)
    exists = await req.tx.fetchval(
        "SELECT count(*) FROM checkin_breaks WHERE member_id = $1 AND community = $2 "
        "AND kind = 'skip' AND start_date = $3",
        req.member.id,
        req.community.name,
        today.isoformat(),
    )
    if not exists:
        await req.tx.execute(
            "INSERT INTO checkin_breaks (member_id, community, kind, start_date, end_date) "
            "VALUES ($1, $2, 'skip', $3, $3)",
            req.member.id,
            req.community.name,
            today.isoformat(),
        )
    await req.tx.execute(
        "UPDATE schedules SET snooze_until = NULL WHERE member_id = $1 AND community = $2",
        req.member.id,
        req.community.name,
    )
    await prompts.reschedule(req.tx, req.member, req.community, req.now)
    req.say("Okay, no check-in today. It won't break your streak. See you tomorrow 🌙")


async def snooze(req: Request, args: Args) -> None:
    await _require_schedule(req)
    until = await prompts.snooze(req.tx, req.member, req.community, req.now)
    local = until.astimezone(parse_zone(_zone_name(req)))
    req.say(f"Sure — I'll ask again at {local:%H:%M}.")


async def quiet(req: Request, args: Args) -> None:
    text = args.text.strip()
    if not text:
        current = req.member.quiet
        req.say(
            f"Quiet hours: {current}."
            if current
            else "No quiet hours set. Set them with `checkin quiet 22:00-07:00`."
        )
        return
    if text.lower() == "off":
        quiet_hours = None
    else:
        try:
            quiet_hours = QuietHours.parse(text)
        except TimingError as exc:
            raise Refusal(str(exc)) from None
    await members.set_quiet(req.tx, req.member.id, quiet_hours)
    req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]
    await prompts.reschedule(req.tx, req.member, req.community, req.now)
    req.say(
        f"Quiet hours set to {quiet_hours}: nothing from me in that window, it waits until "
        "the window ends."
        if quiet_hours
        else "Quiet hours are off."
    )


async def stop(req: Request, args: Args) -> None:
    removed = await req.tx.execute(
        "DELETE FROM schedules WHERE member_id = $1 AND community = $2",
        req.member.id,
        req.community.name,
    )
    req.say(
        "Reminders are off; your check-ins are kept. `checkin schedule` brings them back."
        if removed
        else "You had no reminders. Your check-ins are kept."
    )


async def history(req: Request, args: Args) -> None:
    word = args.word(0)
    if word is None:
        span = HISTORY_DEFAULT_DAYS
    elif word.isdecimal() and 1 <= int(word) <= HISTORY_MAX_DAYS:
        span = int(word)
    else:
        raise Refusal(f"History covers 1 to {HISTORY_MAX_DAYS} days, e.g. `checkin history 30`.")
    today = _today(req)
    first = today - timedelta(days=span - 1)
    rows = await req.tx.fetch(
        "SELECT mood, tags, local_date FROM checkins WHERE member_id = $1 AND community = $2 "
        "AND local_date >= $3 AND local_date <= $4",
        req.member.id,
        req.community.name,
        first.isoformat(),
        today.isoformat(),
    )
    moods: dict[date, list[int]] = defaultdict(list)
    tags: list[str] = []
    for row in rows:
        moods[date.fromisoformat(row["local_date"])].append(row["mood"])
        tags.extend(row["tags"].split())
    summary = summarise(first, today, moods, tags)
    if summary.count == 0:
        req.say(f"No check-ins in the last {span} days yet. `checkin` whenever you're ready.")
        return
    labels = req.community.checkins.mood_labels
    streak = await _streak(req, today)
    average = summary.average or 0.0
    trend = f", trend {summary.trend} {TREND_ARROWS[summary.trend]}" if summary.trend else ""
    lines = [
        f"Your last {span} days: {summary.count} check-in{'s' if summary.count != 1 else ''}, "
        f"average {average} ({labels[round(average) - 1]}){trend}",
        sparkline(summary.daily) + f"  ({first:%d %b} → {today:%d %b})",
        f"Current streak: {streak} day{'s' if streak != 1 else ''}.",
    ]
    if summary.top_tags:
        lines.append("Top tags: " + ", ".join(f"#{t} ({n})" for t, n in summary.top_tags))
    text = "\n".join(lines)

    if not req.attachments_shown:
        req.say(text)
        return

    async def with_chart() -> Message:
        png = await asyncio.to_thread(render_chart, summary)
        chart = Attachment("checkin-history.png", png, f"Mood chart, {span} days")
        return Message(text, attachment=chart)

    req.later(with_chart)


SUBCOMMAND_HANDLERS = {
    "schedule": schedule,
    "pause": pause,
    "resume": resume,
    "skip": skip,
    "snooze": snooze,
    "quiet": quiet,
    "history": history,
    "stop": stop,
}
