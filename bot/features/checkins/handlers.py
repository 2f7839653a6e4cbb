"""The `checkin` command and its subcommands (SPEC §2 "Check-ins")."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import unicodedata
from collections import defaultdict
from datetime import date, timedelta

from bot import members, texts
from bot.events import CheckinSaved
from bot.features.checkins import prompts, streaks
from bot.features.checkins.history import (
    WEEKLY_AFTER_DAYS,
    Summary,
    png_size,
    render_chart,
    sparkline,
    summarise,
    weekly,
)
from bot.features.checkins.moods import mood_labels
from bot.features.checkins.streaks import Break
from bot.localtime import (
    EVERY_DAY,
    QuietHours,
    TimingError,
    checkin_day,
    close_zones,
    day_floor,
    describe_days,
    epoch,
    find_zone,
    format_hhmm,
    looks_like_days,
    parse_days,
    parse_hhmm,
    parse_zone,
)
from bot.port import Attachment, Message
from bot.requests import Args, Refusal, Request, Router
from bot.safety import care
from bot.texts import day_short
from bot.vault import CHECKIN_NOTE

ANSWER_KEPT = timedelta(days=2)
# The chart needs matplotlib (the `charts` extra); without it, history is the text alone.
CHARTS = importlib.util.find_spec("matplotlib") is not None
TAG = re.compile(r"#(\w[\w-]{0,31})")
HISTORY_DEFAULT_DAYS = 30
HISTORY_MAX_DAYS = 365
PAUSE_MAX_DAYS = 365
TREND_ARROWS = {"rising": "↗", "falling": "↘", "steady": "→"}
TREND_WORDS = {t: f"checkins.trend_{t}" for t in TREND_ARROWS}
SUBCOMMANDS = ("schedule", "pause", "resume", "skip", "snooze", "quiet", "history", "stop")

USAGE = "checkins.usage"  # catalogue ids: `help` renders them


def register(router: Router) -> None:
    router.add("checkin", handle_checkin, USAGE, "checkins.summary")
    router.add_form("note", submit_note)


async def submit_note(req: Request) -> None:
    """The note form: a mood (picked with the command, or typed in the form) and words."""
    mood = str(req.values.get("mood") or req.fields.get("mood", "")).strip()
    note = req.fields.get("note", "").strip()
    req.args = Args(" ".join(part for part in (mood, note) if part))
    await handle_checkin(req)


async def handle_checkin(req: Request) -> None:
    answer, req.args = _take_answer(req.args)
    first = req.args.word(0)
    if first is None:
        choices = prompts.mood_choices(req.community, locale=req.locale)
        req.say(req.t("checkins.ask_mood"), choices=choices)
        return
    if first in SUBCOMMANDS:
        await SUBCOMMAND_HANDLERS[first](req, req.args.shift())
        return
    if first.lstrip("-").isdigit() or _is_number(first):
        await record(req, first, req.args.after(1), answer)
        return
    worded = mood_from_words(req, req.args.words)
    if worded is not None:
        mood, used = worded
        await record(req, str(mood), req.args.after(used), answer)
        return
    raise Refusal(
        req.t(
            "checkins.unknown_subcommand",
            word=req.args.words[0][:40],
            subcommands=", ".join(SUBCOMMANDS),
        )
    )


def _take_answer(args: Args) -> tuple[str | None, Args]:
    """A prompt's choices end with `--prompt SLOT` (prompts.ANSWER): which prompt
    they answer, so a second tap replaces the first answer."""
    words = args.text.split()
    if len(words) >= 2 and words[-2] == prompts.ANSWER:
        return words[-1][:40], Args(" ".join(words[:-2]))
    return None, args


def _word_key(words: list[str]) -> str:
    return " ".join(w.lower().strip(".,!?") for w in words)


def _label_words(label: str) -> str:
    """A mood label without its emoji: "🙂 good" → "good"."""
    kept = "".join(c for c in label if unicodedata.category(c)[0] in "LNZP")
    return " ".join(kept.lower().split())


def mood_words(req: Request) -> dict[str, int]:
    """The words typed for a mood: the community's labels (with or without their
    emoji) and the catalogue's words (checkins.mood_words_N)."""
    found: dict[str, int] = {}
    for mood in range(1, 6):
        for word in req.t(f"checkins.mood_words_{mood}").split(","):
            if word.strip():
                found[" ".join(word.lower().split())] = mood
    for mood, label in enumerate(mood_labels(req.community, req.locale), 1):
        for key in (" ".join(label.lower().split()), _label_words(label)):
            if key:
                found[key] = mood  # the community's own labels win
    return found


def mood_from_words(req: Request, words: list[str]) -> tuple[int, int] | None:
    """The mood the first words name, and how many words it took (two first:
    "very low" before "very")."""
    known = mood_words(req)
    for used in (3, 2, 1):
        if len(words) >= used and _word_key(words[:used]) in known:
            return known[_word_key(words[:used])], used
    return None


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


def _answer_mark(req: Request, answer: str) -> str:
    member = req.event.member
    return req.vault.lookup(
        "prompt-answer", answer, req.community.name, member.platform, member.user_id
    )


async def _replace_answer(req: Request, answer: str, mood: int) -> bool:
    """A second answer to the same prompt: change the first one, say so."""
    checkin_id = await req.tx.fetchval(
        "SELECT hits FROM rate_marks WHERE mark = $1 AND until > $2",
        _answer_mark(req, answer),
        epoch(req.now),
    )
    if checkin_id is None:
        return False
    row = await req.tx.fetchrow(
        "SELECT mood, local_date FROM checkins WHERE id = $1 AND member_id = $2 AND community = $3",
        int(checkin_id),
        req.member.id,
        req.community.name,
    )
    if row is None:
        return False
    labels = mood_labels(req.community, req.locale)
    day = date.fromisoformat(row["local_date"])
    if row["mood"] == mood:  # the same button twice
        req.say(
            req.t("checkins.answer_same", mood=labels[mood - 1], day=day_short(day, req.locale))
        )
        return True
    await req.tx.execute("UPDATE checkins SET mood = $1 WHERE id = $2", mood, int(checkin_id))
    req.say(
        req.t(
            "checkins.answer_replaced",
            mood=labels[mood - 1],
            before=labels[row["mood"] - 1],
            day=day_short(day, req.locale),
        )
    )
    if mood == 1:
        await care.gentle_low_mood_note(req, day)
    return True


async def _remember_answer(req: Request, answer: str, checkin_id: int) -> None:
    """Which check-in answered this prompt, for two days: a keyed, short-lived
    mark (bot/ratelimits.py keeps its marks the same way; housekeeping purges them)."""
    await req.tx.execute(
        "INSERT INTO rate_marks (mark, hits, until) VALUES ($1, $2, $3) "
        "ON CONFLICT (mark) DO UPDATE SET hits = $2, until = $3",
        _answer_mark(req, answer),
        checkin_id,
        epoch(req.now + ANSWER_KEPT),
    )


async def _cancel_snooze(req: Request) -> None:
    """A check-in answers a snoozed prompt too: it is not asked again."""
    cancelled = await req.tx.execute(
        "UPDATE schedules SET snooze_until = NULL WHERE member_id = $1 AND community = $2 "
        "AND snooze_until IS NOT NULL",
        req.member.id,
        req.community.name,
    )
    if cancelled:
        await prompts.reschedule(req.tx, req.member, req.community, req.now)


async def record(req: Request, mood_text: str, note: str, answer: str | None = None) -> None:
    labels = mood_labels(req.community, req.locale)
    if mood_text not in {"1", "2", "3", "4", "5"}:
        raise Refusal(req.t("checkins.mood_range", lowest=labels[0], highest=labels[4]))
    if answer is not None and not note and await _replace_answer(req, answer, int(mood_text)):
        await _cancel_snooze(req)
        return
    crisis = care.crisis_in(note, req.community)
    limit = req.community.checkins.max_note_length
    if len(note) > limit:
        raise Refusal(
            req.t("checkins.note_too_long", length=len(note), limit=limit),
            also=(await care.care_message(req, crisis.language),) if crisis else (),
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
    if answer is not None:
        await _remember_answer(req, answer, checkin_id)
    await _cancel_snooze(req)
    streak = await _streak(req, day, checked_in=True)
    sentences = [req.t("checkins.saved", mood=labels[mood - 1], day=day_short(day, req.locale))]
    if day != req.now.astimezone(parse_zone(_zone_name(req))).date():
        sentences.append(
            req.t(
                "checkins.saved_counts_for",
                reset=format_hhmm(parse_hhmm(req.community.checkins.day_reset)),
            )
        )
    if tags:
        sentences.append(req.t("checkins.saved_tags", tags=" ".join("#" + t for t in tags.split())))
    if streak > 1:
        sentences.append(req.plural("checkins.streak_days", streak))
    req.say(" ".join(sentences))
    await req.publish(
        CheckinSaved(
            day, streak, hard_moment=bool(crisis) or mood == 1, mood=mood, crisis=bool(crisis)
        )
    )
    if crisis:
        # Never forwarded: the member alone decides whether a moderator hears of it.
        await care.mark_cared_for(req, day)
        await care.offer_care(req, offer_contact=True, language=crisis.language)
    elif mood == 1:
        await care.gentle_low_mood_note(req, day)


async def _streak(req: Request, today: date, *, checked_in: bool = False) -> int:
    """The streak as of `today` (bot/features/checkins/streaks.py); `checked_in`:
    a check-in on `today` was just saved."""
    return await streaks.streak_as_of(_StreakBook(req), today, checked_in=checked_in)


class _StreakBook:
    """The member's streak, read and kept through the request's transaction."""

    def __init__(self, req: Request) -> None:
        self._tx, self._member, self._community = req.tx, req.member.id, req.community.name

    async def run(self) -> streaks.Run | None:
        return await streaks.load_run(self._tx, self._member, self._community)

    async def keep(self, run: streaks.Run) -> None:
        await streaks.store_run(self._tx, self._member, self._community, run)

    async def breaks(self) -> list[Break]:
        return await prompts.load_breaks(self._tx, self._member, self._community)

    async def days(self) -> set[date]:
        return await streaks.checkin_days(self._tx, self._member, self._community)


async def schedule(req: Request, args: Args) -> None:
    if not args.words:
        raise Refusal(req.t("checkins.schedule_needs_time"))
    try:
        prompt_time = parse_hhmm(args.words[0])
        days, zone_name = EVERY_DAY, None
        for word in args.words[1:]:
            if looks_like_days(word):
                days = parse_days(word)
            elif find_zone(word) is not None:  # `Europe/Berlin`, `europe/berlin`, `berlin`
                zone_name = str(parse_zone(word))
            elif "/" in word:
                parse_zone(word)  # says it is not a zone, with "did you mean" when close
            elif "," in word:
                parse_days(word)  # a day list with a slip in it: says what a day list is
            elif close_zones(word):  # `berln`
                zones = req.t("checkins.zone_or").join(f"`{z}`" for z in close_zones(word))
                raise TimingError(
                    req.t("checkins.schedule_zone_did_you_mean", word=word[:40], zones=zones)
                )
            else:  # `CET`, `funday`: it could have meant either
                raise TimingError(req.t("checkins.schedule_unclear_word", word=word[:40]))
    except TimingError as exc:
        raise Refusal(str(exc)) from None
    if zone_name is None and req.member.timezone is None:
        raise Refusal(
            req.t(
                "checkins.schedule_needs_zone",
                time=format_hhmm(prompt_time),
                days=describe_days(days),
            )
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
    found = await prompts.reschedule(req.tx, req.member, req.community, req.now)
    values = {
        "time": format_hhmm(prompt_time),
        "days": describe_days(days),
        "zone": _zone_name(req),
    }
    paused = await _pause_in_force(req, _today(req))
    if paused is None:
        req.say(req.t("checkins.scheduled", **values))
    elif found is None or found.next_slot_date is None:
        req.say(req.t("checkins.scheduled_paused", **values))
    else:
        first = day_short(found.next_slot_date, req.locale)
        req.say(req.t("checkins.scheduled_paused_until", day=first, **values))


async def _pause_in_force(req: Request, today: date) -> Break | None:
    """A pause covering today or still to come."""
    breaks = await prompts.load_breaks(req.tx, req.member.id, req.community.name)
    return next(
        (b for b in breaks if b.kind == "pause" and (b.end is None or b.end >= today)), None
    )


async def _resume_if_unreachable(req: Request) -> None:
    if req.member.unreachable:
        await members.mark_reachable(req.tx, req.member.id)
        req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]


async def _require_schedule(req: Request) -> prompts.Schedule:
    found = await prompts.load_schedule(req.tx, req.member.id, req.community.name)
    if found is None:
        raise Refusal(req.t("checkins.no_schedule"))
    return found


async def pause(req: Request, args: Args) -> None:
    word = args.word(0)
    today = _today(req)
    if word is None:
        end = None
    elif word.isdecimal() and 1 <= int(word) <= PAUSE_MAX_DAYS:
        end = today + timedelta(days=int(word) - 1)
    else:
        raise Refusal(req.t("checkins.pause_range", max=PAUSE_MAX_DAYS))
    await _end_open_breaks(req, today)
    await req.tx.execute(
        "INSERT INTO checkin_breaks (member_id, community, kind, start_date, end_date) "
        "VALUES ($1, $2, 'pause', $3, $4)",
        req.member.id,
        req.community.name,
        today.isoformat(),
        end and end.isoformat(),
    )
    await req.tx.execute(  # a snoozed prompt would come during the pause
        "UPDATE schedules SET snooze_until = NULL WHERE member_id = $1 AND community = $2",
        req.member.id,
        req.community.name,
    )
    found = await prompts.reschedule(req.tx, req.member, req.community, req.now)
    if end is None:
        req.say(req.t("checkins.paused"))
    elif found is not None and found.next_slot_date is not None:
        count = (end - today).days + 1
        day = day_short(found.next_slot_date, req.locale)
        req.say(req.plural("checkins.paused_days", count, day=day))
    else:
        count = (end - today).days + 1
        day = day_short(end + timedelta(days=1), req.locale)
        req.say(req.plural("checkins.paused_days_no_schedule", count, day=day))


async def _end_open_breaks(req: Request, today: date) -> int:
    """Close pauses still running: they end yesterday (or vanish if they began today)."""
    # Pauses and skips change from today on; so does any break this command adds.
    await streaks.forget_run(req.tx, req.member.id, req.community.name, today)
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
        req.say(req.t("checkins.not_paused_prompts_on" if found else "checkins.not_paused"))
        return
    req.say(req.t("checkins.resumed_prompts_on" if found else "checkins.resumed"))


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
        await streaks.forget_run(req.tx, req.member.id, req.community.name, today)
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
    checked_in = await req.tx.fetchval(
        "SELECT count(*) FROM checkins WHERE member_id = $1 AND community = $2 AND local_date = $3",
        req.member.id,
        req.community.name,
        today.isoformat(),
    )
    req.say(req.t("checkins.skipped_after_checkin" if checked_in else "checkins.skipped"))


async def snooze(req: Request, args: Args) -> None:
    await _require_schedule(req)
    today = _today(req)
    paused = await _pause_in_force(req, today)
    if paused is not None and paused.covers(today):
        raise Refusal(req.t("checkins.snooze_paused"))
    until = await prompts.snooze(req.tx, req.member, req.community, req.now)
    local = until.astimezone(parse_zone(_zone_name(req)))
    req.say(req.t("checkins.snoozed", time=format_hhmm(local.time())))


async def quiet(req: Request, args: Args) -> None:
    given = args.text.strip()
    if not given:
        current = req.member.quiet
        req.say(
            req.t("checkins.quiet_current", hours=current)
            if current
            else req.t("checkins.quiet_none")
        )
        return
    if given.lower() == "off":
        quiet_hours = None
    else:
        try:
            quiet_hours = QuietHours.parse(given)
        except TimingError as exc:
            raise Refusal(str(exc)) from None
    await members.set_quiet(req.tx, req.member.id, quiet_hours)
    req.member = await members.by_id(req.tx, req.vault, req.member.id)  # type: ignore[assignment]
    await prompts.reschedule(req.tx, req.member, req.community, req.now)
    req.say(
        req.t("checkins.quiet_set", hours=quiet_hours)
        if quiet_hours
        else req.t("checkins.quiet_off")
    )


async def stop(req: Request, args: Args) -> None:
    removed = await req.tx.execute(
        "DELETE FROM schedules WHERE member_id = $1 AND community = $2",
        req.member.id,
        req.community.name,
    )
    req.say(req.t("checkins.stopped" if removed else "checkins.stop_nothing"))


async def history(req: Request, args: Args) -> None:
    word = args.word(0)
    if word is None:
        span = HISTORY_DEFAULT_DAYS
    elif word.isdecimal() and 1 <= int(word) <= HISTORY_MAX_DAYS:
        span = int(word)
    else:
        raise Refusal(req.t("checkins.history_range", max=HISTORY_MAX_DAYS))
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
        req.say(
            req.t("checkins.history_empty_today")
            if span == 1
            else req.plural("checkins.history_empty", span)
        )
        return
    labels = mood_labels(req.community, req.locale)
    streak = await _streak(req, today)
    average = summary.average or 0.0
    period = (
        req.t("checkins.history_period_today")
        if span == 1
        else req.plural("checkins.history_period", span)
    )
    values = {"period": period, "average": average, "mood": labels[round(average) - 1]}
    if summary.trend:
        overview = req.plural(
            "checkins.history_summary_trend",
            summary.count,
            **values,
            trend=req.t(TREND_WORDS[summary.trend]),
            arrow=TREND_ARROWS[summary.trend],
        )
    else:
        overview = req.plural("checkins.history_summary", summary.count, **values)
    long_range = span > WEEKLY_AFTER_DAYS
    lines = [
        overview,
        req.t(
            "checkins.history_sparkline_weekly" if long_range else "checkins.history_sparkline",
            sparkline=sparkline(weekly(summary.daily) if long_range else summary.daily),
            first=_history_day(req, first, today),
            last=_history_day(req, today, first),
        ),
        req.plural("checkins.history_streak", streak)
        if streak
        else req.t("checkins.history_streak_none"),
    ]
    if summary.top_tags:
        tag_list = ", ".join(f"#{t} ({n})" for t, n in summary.top_tags)
        lines.append(req.t("checkins.history_top_tags", tags=tag_list))
    reply = "\n".join(lines)

    if not req.attachments_shown or not CHARTS:
        req.say(reply)  # the sparkline above is the whole history, in words
        return
    description = chart_description(req, summary, first, today)

    async def with_chart() -> Message:
        png = await asyncio.to_thread(render_chart, summary, req.locale, labels)
        width, height = png_size(png)
        chart = Attachment("checkin-history.png", png, description, width, height)
        return Message(reply, attachment=chart)

    req.later(with_chart)


def _history_day(req: Request, day: date, other_end: date) -> str:
    """A CLDR pattern: "02 Mar", as strftime's "%d %b" wrote it; with the year
    when the range crosses one."""
    pattern = "dd MMM" if day.year == other_end.year else "dd MMM yyyy"
    return texts.day(day, req.locale, pattern)


def chart_description(req: Request, summary: Summary, first: date, last: date) -> str:
    """The chart's alt text: what a reader who cannot see it would want to know."""
    labels = mood_labels(req.community, req.locale)
    checked = [d for d in summary.daily if d.mood is not None]
    lowest = min(round(d.mood) for d in checked if d.mood is not None)
    highest = max(round(d.mood) for d in checked if d.mood is not None)
    points = req.plural(
        "checkins.chart_description_points",
        len(checked),
        lowest=labels[lowest - 1],
        highest=labels[highest - 1],
    )
    several = sum(1 for d in checked if d.count > 1)
    if several:
        points += " " + req.plural("checkins.chart_description_several", several)
    return req.plural(
        "checkins.chart_description",
        summary.days,
        first=_history_day(req, first, last),
        last=_history_day(req, last, first),
        points=points,
    )


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
