"""Check-in streak milestones, celebrated right in the answer to a check-in.

One row per member and community keeps the high-water mark of the current
streak run. A new run (the streak fell back) starts from zero again, so a
fresh 7-day streak is worth celebrating too; within a run each threshold is
celebrated once, and only the highest newly reached one.
"""

from __future__ import annotations

from datetime import date

from bot.commands import Request
from bot.features.milestones import celebrations
from bot.features.milestones.thresholds import highest_reached

STREAK = "streak"  # the name `milestone visibility streak …` uses


async def visibility(req: Request) -> str:
    found = await req.tx.fetchval(
        "SELECT visibility FROM streak_milestones WHERE member_id = $1 AND community = $2",
        req.member.id,
        req.community.name,
    )
    return found or "private"


async def set_visibility(req: Request, choice: str) -> None:
    await req.tx.execute(
        "INSERT INTO streak_milestones (member_id, community, visibility) VALUES ($1, $2, $3) "
        "ON CONFLICT (member_id, community) DO UPDATE SET visibility = $3",
        req.member.id,
        req.community.name,
        choice,
    )


async def on_checkin_streak(req: Request, day: date, streak: int, *, hard_moment: bool) -> None:
    """Called by every check-in with the member's streak for `day`.

    In a hard moment (a crisis note, a very low mood) nothing is celebrated:
    the mark stays, and the next check-in celebrates what was reached."""
    community = req.community
    row = await req.tx.fetchrow(
        "SELECT * FROM streak_milestones WHERE member_id = $1 AND community = $2",
        req.member.id,
        community.name,
    )
    mark, visibility_choice = 0, "private"
    if row is not None:
        visibility_choice = row["visibility"]
        mark = row["celebrated_days"]
        last_day = date.fromisoformat(row["last_day"]) if row["last_day"] else None
        last_streak = row["last_streak"]
        # Within one run a later day always has a longer streak; otherwise it began anew.
        if last_day is not None and (
            streak < last_streak or (day > last_day and streak <= last_streak)
        ):
            mark = 0
    reached = highest_reached(streak, community.milestones.streaks, yearly=False)
    celebrate = reached > mark and not hard_moment
    if celebrate:
        mark = reached
    await req.tx.execute(
        "INSERT INTO streak_milestones (member_id, community, visibility, celebrated_days, "
        "last_day, last_streak) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (member_id, community) DO UPDATE SET celebrated_days = $4, last_day = $5, "
        "last_streak = $6",
        req.member.id,
        community.name,
        visibility_choice,
        mark,
        day.isoformat(),
        streak,
    )
    if not celebrate:
        return
    shared = ""
    if visibility_choice != "private":
        anonymous = visibility_choice == "anonymous"
        who = "Someone in our community" if anonymous else req.member.user_id
        number = await celebrations.post(
            req.tx,
            req.vault,
            community,
            req.member,
            anonymous=anonymous,
            kind="streak",
            text=f"{who} checked in {reached} days in a row 🎉",
            now=req.now,
        )
        if number is not None:
            how = "without your name" if anonymous else "with your name"
            shared = f" I've shared it in the celebrations channel, {how}."
    req.say(
        f"🎉 {reached} days of check-ins in a row! Showing up for yourself like this "
        f"matters 💛{shared}"
    )
