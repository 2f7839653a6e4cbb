"""`safetyplan`: a member's own plan for hard moments, written one step at a time
(docs/safetyplan.md). Private everywhere: only the member ever reads it.

A walk through the steps asks one at a time: the member's next plain DM answers it
(`PlainWords`), `skip` leaves it as it is, `cancel` stops; on Discord a button under
the question opens that step's private form instead.
"""

from __future__ import annotations

from bot.events import PlainWords
from bot.features.safetyplan import reminders, store
from bot.features.safetyplan.commands import FORMS, NAME
from bot.features.safetyplan.steps import (
    SERVICES_STEP,
    STEP_MAX_LENGTH,
    STEPS,
    guidance,
    parse_step,
    title,
)
from bot.localtime import checkin_day, parse_hhmm
from bot.port import Choice, Message
from bot.requests import Args, Refusal, Request, Router, is_blank, require_unseen
from bot.safety import care
from bot.texts import day

#: typed as a plain DM while a step is asked: leave it as it is / stop the walk
SKIP = "skip"
CANCEL = "cancel"
#: a plan shown longer than this goes in more than one message (Discord shows 2000)
MESSAGE_LENGTH = 1800


def register(router: Router) -> None:
    router.add(
        NAME,
        safetyplan,
        "safetyplan.usage",
        "safetyplan.summary",
        private=lambda args: True,
    )
    for form in FORMS.values():
        router.add_form(form.name, submit_form)


def _require_unseen(req: Request) -> None:
    refusal = "safetyplan.dm_only_slash" if req.private_commands else "safetyplan.dm_only"
    require_unseen(req, refusal)


async def safetyplan(req: Request) -> None:
    _require_unseen(req)
    word = req.args.word(0)
    if word is None:
        await show(req)
    elif word == "edit":
        await edit(req, req.args.shift())
    elif word == SKIP:
        await skip(req)
    elif word == CANCEL:
        await cancel(req)
    elif word == "clear":
        await clear(req, req.args.shift())
    elif word == "remind":
        await remind(req, req.args.shift())
    else:
        raise Refusal(req.t("safetyplan.unknown_subcommand", word=word[:40]))


async def _plan(req: Request) -> store.Plan:
    return await store.load_or_new(req.tx, req.vault, req.member.id, req.community.name, req.now)


# --- showing it -------------------------------------------------------------------------


async def show(req: Request) -> None:
    plan = await _plan(req)
    if not plan.written:
        write = Choice(req.t("safetyplan.choice_write"), f"{NAME} edit", "✏️")
        req.say(req.t("safetyplan.none_yet"), choices=(write,))
        return
    blocks = [req.t("safetyplan.shown_intro")]
    for step in STEPS:
        words = plan.steps.get(step) or req.t("safetyplan.not_written")
        blocks.append(
            req.t("safetyplan.shown_step", step=step, title=req.t(title(step)), words=words)
        )
    blocks.append(req.t("safetyplan.shown_footer"))
    for part in _packed(blocks):
        req.say(part)


def _packed(blocks: list[str]) -> list[str]:
    """Blocks joined by blank lines, in as few messages as fit a platform's length."""
    parts: list[str] = []
    for block in blocks:
        if parts and len(parts[-1]) + len(block) + 2 <= MESSAGE_LENGTH:
            parts[-1] += "\n\n" + block
        else:
            parts.append(block)
    return parts


# --- writing it, one step at a time ----------------------------------------------------------


async def edit(req: Request, args: Args) -> None:
    plan = await _plan(req)
    typed = args.word(0)
    if typed is None:  # the walk through every step, from the first
        plan.ask(STEPS[0], req.now, walking=True)
        _prepare(req, plan, STEPS[0])
        await store.save(req.tx, req.vault, plan)
        req.replies.append(_question(req, plan, STEPS[0], req.t("safetyplan.walk_intro")))
        return
    step = parse_step(typed)
    if step is None:
        raise Refusal(req.t("safetyplan.step_unknown", word=typed[:20]))
    words = args.after(1)
    if words:
        await _write(req, plan, step, words)
        return
    plan.ask(step, req.now, walking=False)
    _prepare(req, plan, step)
    await store.save(req.tx, req.vault, plan)
    req.replies.append(_question(req, plan, step))


async def submit_form(req: Request) -> None:
    """A step's form (Discord): its words as written; left empty, the step stays."""
    step = parse_step(req.args.word(1))
    if step is None:
        raise Refusal(req.t("safetyplan.step_unknown", word=(req.args.word(1) or "")[:20]))
    plan = await _plan(req)
    words = req.fields.get("text", "").strip()
    if words:
        await _write(req, plan, step, words)
        return
    _prepare(req, plan, step)
    await _answered(req, plan, step, saved=False)


async def skip(req: Request) -> None:
    plan = await _plan(req)
    if plan.asking is None:
        raise Refusal(req.t("safetyplan.nothing_asked"))
    await _answered(req, plan, plan.asking, saved=False)


async def cancel(req: Request) -> None:
    plan = await _plan(req)
    if plan.asking is None:
        raise Refusal(req.t("safetyplan.nothing_asked"))
    plan.stop_asking()
    await store.save(req.tx, req.vault, plan)
    req.say(req.t("safetyplan.stopped"))


async def answer_plain_words(req: Request, said: PlainWords) -> None:
    """A plain DM while a step is asked answers it (`skip`, `cancel` as words too)."""
    plan = await store.load(req.tx, req.vault, req.member.id, req.now)
    if plan is None or plan.asking is None:
        return
    said.taken = True
    typed = said.text.strip()
    if typed.lower() == SKIP:
        await _answered(req, plan, plan.asking, saved=False)
    elif typed.lower() == CANCEL:
        await cancel(req)
    else:
        await _write(req, plan, plan.asking, typed)


def _prepare(req: Request, plan: store.Plan, step: int) -> None:
    """Before a step is asked: the services step starts with the community's resources."""
    if step == SERVICES_STEP and SERVICES_STEP not in plan.steps:
        entries = care.member_resources(req.community, req.member.timezone)
        lines = [
            " — ".join(" ".join(part.split()) for part in (e.name, e.contact, e.url) if part)
            for e in entries
        ]
        if lines:
            plan.steps[SERVICES_STEP] = "\n".join(lines)


async def _write(req: Request, plan: store.Plan, step: int, words: str) -> None:
    if is_blank(words):
        raise Refusal(req.t("safetyplan.blank"))
    if len(words) > STEP_MAX_LENGTH:
        raise Refusal(req.t("safetyplan.too_long", length=len(words), limit=STEP_MAX_LENGTH))
    plan.steps[step] = words
    plan.community = req.community.name
    crisis = care.crisis_in(words, req.community)
    if crisis is None:
        await _answered(req, plan, step, saved=True)
        return
    # Written down, and perhaps felt right now: no next question, a way to people instead.
    plan.stop_asking()
    await store.save(req.tx, req.vault, plan)
    req.say(req.t("safetyplan.kept_and_heard"))
    zone = req.member.zone(req.community.checkins.default_timezone)
    today = checkin_day(req.now, zone, parse_hhmm(req.community.checkins.day_reset))
    await care.mark_cared_for(req, today)
    await care.offer_care(req, offer_contact=True, language=crisis.language)


async def _answered(req: Request, plan: store.Plan, step: int, *, saved: bool) -> None:
    """After a step was written (`saved`) or left as it is: the next question of a
    walk, its end, or just a word that it is kept."""
    done = req.t("safetyplan.saved" if saved else "safetyplan.kept")
    walking = plan.walking and plan.asking == step
    if plan.asking == step:
        plan.stop_asking()
    later = [s for s in STEPS if s > step]
    if walking and later:
        plan.ask(later[0], req.now, walking=True)
        _prepare(req, plan, later[0])
        await store.save(req.tx, req.vault, plan)
        req.replies.append(_question(req, plan, later[0], done))
        return
    await store.save(req.tx, req.vault, plan)
    if walking:
        finished = req.t("safetyplan.finished")
        if plan.remind_at is None:
            finished += "\n" + req.t("safetyplan.finished_remind_hint")
        req.say(f"{done} {finished}")
        return
    req.say(
        req.t(
            "safetyplan.step_saved" if saved else "safetyplan.step_kept", title=req.t(title(step))
        )
    )


def _question(req: Request, plan: store.Plan, step: int, before: str = "") -> Message:
    """One step's question: its guidance, what it holds now, and how to answer here."""
    lines = [before] if before else []
    lines.append(
        req.t(
            "safetyplan.ask",
            step=step,
            steps=len(STEPS),
            title=req.t(title(step)),
            guidance=req.t(guidance(step)),
        )
    )
    if step in plan.steps:
        lines.append(req.t("safetyplan.ask_current", words=plan.steps[step]))
    choices = [
        Choice(req.t("safetyplan.choice_skip"), f"{NAME} skip", "⏭️"),
        Choice(req.t("safetyplan.choice_stop"), f"{NAME} cancel", "✋"),
    ]
    if req.private_commands:  # a private form for each step (Discord's modals)
        lines.append(req.t("safetyplan.ask_hint_form"))
        choices.insert(0, Choice(req.t("safetyplan.choice_answer"), f"{NAME} edit {step}", "✏️"))
    else:
        lines.append(req.t("safetyplan.ask_hint"))
    return Message("\n".join(lines), choices=tuple(choices))


# --- clearing it, reminders ------------------------------------------------------------------


async def clear(req: Request, args: Args) -> None:
    plan = await _plan(req)
    if not plan.written:
        raise Refusal(req.t("safetyplan.nothing_to_clear"))
    if args.word(0) != "confirm":
        choices = (
            Choice(req.t("safetyplan.choice_clear"), f"{NAME} clear confirm", "🗑️"),
            Choice(req.t("safetyplan.choice_keep"), NAME, "↩️"),
        )
        req.say(req.t("safetyplan.clear_confirm"), choices=choices)
        return
    plan.steps = {}
    plan.stop_asking()
    plan.remind_time = plan.remind_at = None
    await store.save(req.tx, req.vault, plan)
    req.say(req.t("safetyplan.cleared"))


async def remind(req: Request, args: Args) -> None:
    how = args.word(0)
    plan = await _plan(req)
    if how == "off":
        plan.remind_time = plan.remind_at = None
        await store.save(req.tx, req.vault, plan)
        req.say(req.t("safetyplan.remind_off"))
        return
    if how != "monthly":
        raise Refusal(req.t("safetyplan.remind_usage"))
    zone = req.member.zone(req.community.checkins.default_timezone)
    plan.community = req.community.name
    plan.remind_time, due = reminders.first(req.now, zone, req.member.quiet)
    plan.remind_at = reminders.stored(due)
    await store.save(req.tx, req.vault, plan)
    local = due.astimezone(zone)
    req.say(
        req.t(
            "safetyplan.remind_set",
            time=plan.remind_time,
            day=day(local.date(), req.locale),
        )
    )
