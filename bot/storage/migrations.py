"""Numbered schema upgrades, listed explicitly and run in order at start.

Each step runs in its own transaction. SQL is written once for every engine;
`{id}` stands for an auto-numbered primary key, which engines spell differently.
A step that must rewrite data under the deployment key (seal, re-derive) has
a `convert` function, run between its statements and its `after` statements.
A database whose version is newer than the code is refused, never downgraded.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.storage.database import Database, DatabaseError, Transaction


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    after: tuple[str, ...] = ()
    #: tables whose rows this step rewrites under the deployment key: the caller brings
    #: that conversion (`converters`, bot/privacy_upgrade.py); without it, only a
    #: database with none of their rows can take the step
    keyed: tuple[str, ...] = ()


# Times are UTC seconds since the epoch (BIGINT): portable, indexable, exact.
# Local dates are ISO text (YYYY-MM-DD) in the member's zone at the time.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "members, events, check-ins, schedules, outbox",
        (
            """CREATE TABLE members (
                id {id},
                platform TEXT NOT NULL,
                user_id TEXT NOT NULL,
                timezone TEXT,
                quiet_start TEXT,
                quiet_end TEXT,
                unreachable_at BIGINT,
                unreachable_told INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                UNIQUE (platform, user_id))""",
            # Platform event ids already handled: a replay has no second effect.
            """CREATE TABLE processed_events (
                platform TEXT NOT NULL,
                event_id TEXT NOT NULL,
                seen_at BIGINT NOT NULL,
                PRIMARY KEY (platform, event_id))""",
            "CREATE INDEX processed_events_age ON processed_events (seen_at)",
            """CREATE TABLE checkins (
                id {id},
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
                note TEXT,
                tags TEXT NOT NULL DEFAULT '',
                local_date TEXT NOT NULL,
                created_at BIGINT NOT NULL)""",
            "CREATE INDEX checkins_by_day ON checkins (member_id, community, local_date)",
            "CREATE INDEX checkins_age ON checkins (created_at)",
            """CREATE TABLE schedules (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                prompt_time TEXT NOT NULL,
                days INTEGER NOT NULL,
                next_prompt_at BIGINT,
                next_slot_date TEXT,
                snooze_until BIGINT,
                PRIMARY KEY (member_id, community))""",
            "CREATE INDEX schedules_due ON schedules (next_prompt_at)",
            # One row per (member, local date, scheduled time): claimed before
            # the prompt is queued, so a slot is prompted at most once.
            """CREATE TABLE prompt_slots (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                local_date TEXT NOT NULL,
                prompt_time TEXT NOT NULL,
                outcome TEXT NOT NULL,
                due_at BIGINT NOT NULL,
                decided_at BIGINT NOT NULL,
                PRIMARY KEY (member_id, community, local_date, prompt_time))""",
            # Paused and skipped days neither count for a streak nor break it.
            """CREATE TABLE checkin_breaks (
                id {id},
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                kind TEXT NOT NULL,
                start_date TEXT NOT NULL,
                end_date TEXT)""",
            "CREATE INDEX checkin_breaks_member ON checkin_breaks (member_id, community)",
            """CREATE TABLE outbox (
                id {id},
                idempotency_key TEXT NOT NULL UNIQUE,
                member_id BIGINT REFERENCES members (id) ON DELETE CASCADE,
                platform TEXT NOT NULL,
                place_kind TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                expires_at BIGINT,
                created_at BIGINT NOT NULL,
                sent_at BIGINT,
                message_id TEXT)""",
            "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
            "CREATE INDEX outbox_message ON outbox (platform, message_id)",
        ),
    ),
    Migration(
        2,
        "safety: gentle notes sent, requests for a moderator to reach out",
        (
            # At most one gentle low-mood note per member and local day.
            """CREATE TABLE care_notices (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                local_date TEXT NOT NULL,
                PRIMARY KEY (member_id, community, local_date))""",
            """CREATE TABLE contact_requests (
                id {id},
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                requested_at BIGINT NOT NULL)""",
            "CREATE INDEX contact_requests_member ON contact_requests (member_id, community)",
            # Taps (support, cheers) gathered into one DM per target and window.
            """CREATE TABLE relay_batches (
                id {id},
                kind TEXT NOT NULL,
                ref_id BIGINT NOT NULL,
                count INTEGER NOT NULL,
                due_at BIGINT NOT NULL,
                UNIQUE (kind, ref_id))""",
            "CREATE INDEX relay_batches_due ON relay_batches (due_at)",
        ),
    ),
    Migration(
        3,
        "milestones and celebrations",
        (
            # A recovery counter: the current run, its high-water mark (the
            # highest threshold celebrated or already behind) and when to look next.
            """CREATE TABLE milestone_counters (
                id {id},
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                name TEXT NOT NULL,
                start_date TEXT NOT NULL,
                visibility TEXT NOT NULL DEFAULT 'private',
                attempt INTEGER NOT NULL DEFAULT 1,
                celebrated_days INTEGER NOT NULL DEFAULT 0,
                next_check_at BIGINT,
                created_at BIGINT NOT NULL,
                UNIQUE (member_id, community, name))""",
            "CREATE INDEX milestone_counters_due ON milestone_counters (next_check_at)",
            # Runs closed by a reset: attempts, longest run and total days outlive a relapse.
            """CREATE TABLE milestone_runs (
                id {id},
                counter_id BIGINT NOT NULL REFERENCES milestone_counters (id) ON DELETE CASCADE,
                attempt INTEGER NOT NULL,
                start_date TEXT NOT NULL,
                end_date TEXT NOT NULL,
                days INTEGER NOT NULL)""",
            "CREATE INDEX milestone_runs_counter ON milestone_runs (counter_id)",
            # The check-in streak's high-water mark, per member and community.
            """CREATE TABLE streak_milestones (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                visibility TEXT NOT NULL DEFAULT 'private',
                celebrated_days INTEGER NOT NULL DEFAULT 0,
                last_day TEXT,
                last_streak INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (member_id, community))""",
            # Numbers never go back, so `cheer N` on an old post never hits a newer one.
            """CREATE TABLE celebration_numbers (
                community TEXT PRIMARY KEY,
                last_number INTEGER NOT NULL)""",
            # Named: member_id. Anonymous: no member id, only author_key and a
            # sealed author_link that expires.
            """CREATE TABLE celebrations (
                id {id},
                community TEXT NOT NULL,
                number INTEGER NOT NULL,
                kind TEXT NOT NULL,
                member_id BIGINT REFERENCES members (id) ON DELETE CASCADE,
                author_key TEXT,
                author_link TEXT,
                author_link_expires_at BIGINT,
                posted_at BIGINT NOT NULL,
                UNIQUE (community, number))""",
            "CREATE INDEX celebrations_author ON celebrations (community, author_key)",
            "CREATE INDEX celebrations_member ON celebrations (member_id)",
            # One cheer per member and celebration, by a pseudonym of the cheerer.
            """CREATE TABLE celebration_cheers (
                celebration_id BIGINT NOT NULL REFERENCES celebrations (id) ON DELETE CASCADE,
                cheerer_key TEXT NOT NULL,
                cheered_at BIGINT NOT NULL,
                PRIMARY KEY (celebration_id, cheerer_key))""",
            "CREATE INDEX celebration_cheers_cheerer ON celebration_cheers (cheerer_key)",
        ),
    ),
    Migration(
        4,
        "anonymous sharing: shares, replies, support, reports, blocks",
        (
            # Anonymous content: the author is only a keyed pseudonym
            # (author_key) and a sealed link that expires (author_link).
            """CREATE TABLE share_numbers (
                community TEXT PRIMARY KEY,
                last_number INTEGER NOT NULL)""",
            """CREATE TABLE shares (
                id {id},
                community TEXT NOT NULL,
                number INTEGER NOT NULL,
                status TEXT NOT NULL,
                crisis INTEGER NOT NULL DEFAULT 0,
                content_warning TEXT,
                body TEXT,
                author_key TEXT NOT NULL,
                author_link TEXT,
                link_expires_at BIGINT,
                last_reply_number INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                UNIQUE (community, number))""",
            "CREATE INDEX shares_author ON shares (community, author_key, created_at)",
            "CREATE INDEX shares_link_expiry ON shares (link_expires_at)",
            """CREATE TABLE share_replies (
                id {id},
                share_id BIGINT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                status TEXT NOT NULL,
                body TEXT,
                author_key TEXT NOT NULL,
                author_link TEXT,
                link_expires_at BIGINT,
                created_at BIGINT NOT NULL,
                UNIQUE (share_id, number))""",
            "CREATE INDEX share_replies_author ON share_replies (author_key, created_at)",
            "CREATE INDEX share_replies_link_expiry ON share_replies (link_expires_at)",
            """CREATE TABLE share_supports (
                share_id BIGINT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
                supporter_key TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (share_id, supporter_key))""",
            """CREATE TABLE share_reports (
                id {id},
                community TEXT NOT NULL,
                share_id BIGINT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
                reply_number INTEGER,
                reason TEXT,
                reporter_key TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL)""",
            "CREATE INDEX share_reports_reporter ON share_reports (reporter_key, created_at)",
            """CREATE TABLE share_blocks (
                id {id},
                code TEXT NOT NULL UNIQUE,
                community TEXT NOT NULL,
                author_key TEXT NOT NULL,
                until BIGINT,
                lifted_at BIGINT,
                created_at BIGINT NOT NULL)""",
            "CREATE INDEX share_blocks_author ON share_blocks (community, author_key)",
            # A share or reply waiting for its author to confirm identifying details.
            """CREATE TABLE share_drafts (
                id {id},
                community TEXT NOT NULL,
                author_key TEXT NOT NULL,
                kind TEXT NOT NULL,
                share_number INTEGER,
                content_warning TEXT,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL)""",
            "CREATE INDEX share_drafts_author ON share_drafts (community, author_key)",
            # Moderators' actions, for `mod log`: never the author of anything.
            """CREATE TABLE moderation_log (
                id {id},
                community TEXT NOT NULL,
                moderator TEXT NOT NULL,
                action TEXT NOT NULL,
                share_number INTEGER,
                detail TEXT,
                created_at BIGINT NOT NULL)""",
            "CREATE INDEX moderation_log_community ON moderation_log (community, created_at)",
        ),
    ),
    Migration(
        5,
        "matrix: where the sync stands, each member's DM room",
        (
            # Saved only once every event of a sync batch was handled: a crash replays, never drops.
            """CREATE TABLE matrix_sync (
                account TEXT PRIMARY KEY,
                next_batch TEXT NOT NULL,
                saved_at BIGINT NOT NULL)""",
            # No timestamp: when a DM was first used must not line up with a share.
            """CREATE TABLE matrix_dm_rooms (
                member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
                room_id TEXT NOT NULL)""",
        ),
    ),
    Migration(
        6,
        "console: the idempotency keys of messages the playground printed",
        (
            # The console is its own platform: as a Matrix server does with a
            # transaction id, it never prints a key twice when a crash makes the
            # outbox send again. The id is the message id (unique across restarts).
            # No place, no time, no text: nothing here says who was sent what.
            """CREATE TABLE console_deliveries (
                id {id},
                idempotency_key TEXT NOT NULL UNIQUE)""",
        ),
    ),
    Migration(
        7,
        "privacy: no plain identity at rest, unlinkable anonymous items, days not moments",
        (
            # Members: found by a keyed hash; the user id and a secret sealed (bot/members.py).
            "ALTER TABLE members RENAME COLUMN user_id TO lookup",
            "ALTER TABLE members ADD COLUMN identity TEXT",
            "ALTER TABLE members ADD COLUMN secret TEXT",
            "ALTER TABLE members DROP COLUMN created_at",
            "ALTER TABLE processed_events RENAME COLUMN event_id TO event_key",
            # Anonymous items: an owner token each, nothing in common (bot/anonymity.py).
            "DROP INDEX shares_author",
            "ALTER TABLE shares RENAME COLUMN author_key TO owner",
            "DROP INDEX share_replies_author",
            "ALTER TABLE share_replies RENAME COLUMN author_key TO owner",
            "DROP INDEX share_reports_reporter",
            "DROP INDEX share_blocks_author",
            "ALTER TABLE share_blocks RENAME COLUMN author_key TO identity",
            "DROP INDEX share_drafts_author",
            "ALTER TABLE share_drafts RENAME COLUMN author_key TO owner",
            "DROP INDEX celebrations_author",
            "ALTER TABLE celebrations RENAME COLUMN author_key TO owner",
            "ALTER TABLE moderation_log ADD COLUMN moderator_key TEXT",
            # The outbox: random ids, hashed keys, sealed message ids (bot/outbox.py).
            "DROP INDEX outbox_message",
            "ALTER TABLE outbox ADD COLUMN message_key TEXT",
            "ALTER TABLE outbox ADD COLUMN seq BIGINT",
            "ALTER TABLE prompt_slots ADD COLUMN outbox_id BIGINT",
            "ALTER TABLE prompt_slots ADD COLUMN delivered_at BIGINT",
            # Cooldowns and per-day limits, short-lived (bot/ratelimits.py).
            """CREATE TABLE rate_marks (
                mark TEXT PRIMARY KEY,
                hits INTEGER NOT NULL,
                until BIGINT NOT NULL)""",
            "CREATE INDEX rate_marks_until ON rate_marks (until)",
            # Milestones: all but member and community sealed in one value, looked
            # at daily (bot/features/milestones/counters.py); runs inside it.
            "DROP INDEX milestone_counters_due",
            "ALTER TABLE milestone_counters RENAME TO milestone_counters_v6",
            """CREATE TABLE milestone_counters (
                id {id},
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                state TEXT NOT NULL,
                next_check_at BIGINT)""",
            "CREATE INDEX milestone_counters_member ON milestone_counters (member_id, community)",
            "CREATE INDEX milestone_counters_due ON milestone_counters (next_check_at)",
            "ALTER TABLE streak_milestones ADD COLUMN state TEXT",
        ),
        keyed=("members", "outbox", "moderation_log", "matrix_dm_rooms", "console_deliveries"),
        after=(
            "DROP TABLE milestone_runs",
            "DROP TABLE milestone_counters_v6",
            "ALTER TABLE streak_milestones DROP COLUMN visibility",
            "ALTER TABLE streak_milestones DROP COLUMN celebrated_days",
            "ALTER TABLE streak_milestones DROP COLUMN last_day",
            "ALTER TABLE streak_milestones DROP COLUMN last_streak",
            "CREATE UNIQUE INDEX shares_owner ON shares (owner)",
            "CREATE UNIQUE INDEX share_replies_owner ON share_replies (owner)",
            "CREATE UNIQUE INDEX share_reports_reporter ON share_reports (reporter_key)",
            "CREATE INDEX share_blocks_community ON share_blocks (community, lifted_at)",
            "CREATE UNIQUE INDEX share_drafts_owner ON share_drafts (owner)",
            "CREATE UNIQUE INDEX celebrations_owner ON celebrations (owner)",
            "CREATE INDEX moderation_log_moderator ON moderation_log (moderator_key)",
            "CREATE INDEX outbox_message ON outbox (message_key)",
            "CREATE INDEX outbox_member ON outbox (member_id)",
            "CREATE INDEX prompt_slots_outbox ON prompt_slots (outbox_id)",
        ),
    ),
    Migration(
        8,
        "celebrations held as a possible crisis wait in the mod queue",
        (
            # held (words sealed in body until a moderator decides) | posted | rejected
            "ALTER TABLE celebrations ADD COLUMN status TEXT NOT NULL DEFAULT 'posted'",
            "ALTER TABLE celebrations ADD COLUMN body TEXT",
            "CREATE INDEX celebrations_status ON celebrations (community, status)",
        ),
    ),
    Migration(
        9,
        "adapters keep their state in the core's store, not in tables of their own",
        (
            # An adapter's own values by name (the Matrix sync position "next_batch:ACCOUNT").
            """CREATE TABLE adapter_state (
                platform TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                saved_at BIGINT NOT NULL,
                PRIMARY KEY (platform, name))""",
            # One member's values (the Matrix DM room), sealed to the row and gone with
            # the member. The member row says the platform. No timestamp: when a DM was
            # first used must not line up with a share.
            """CREATE TABLE adapter_member_state (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (member_id, name))""",
            """INSERT INTO adapter_state (platform, name, value, saved_at)
                SELECT 'matrix', 'next_batch:' || account, next_batch, saved_at FROM matrix_sync""",
        ),
        # The DM rooms are sealed to their old rows: sealed again to the new ones
        # (bot/adapter_store.carry_matrix_over).
        keyed=("matrix_dm_rooms",),
        after=(
            "DROP TABLE matrix_sync",
            "DROP TABLE matrix_dm_rooms",
        ),
    ),
    Migration(
        10,
        "display names for celebrations; batched reply relays; details posted past the warning",
        (
            # The name others see a member by (for a named celebration posted by a job,
            # without an event): sealed to the member's row, gone with the member.
            """CREATE TABLE member_names (
                member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
                name TEXT NOT NULL)""",
            # A published reply not yet passed on to the share's author (bot/relays.py).
            "ALTER TABLE share_replies ADD COLUMN relay_pending INTEGER NOT NULL DEFAULT 0",
            # The author posted it past the identifying-details warning.
            "ALTER TABLE shares ADD COLUMN details INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    Migration(
        11,
        "each member's own language",
        (
            # A shipped catalogue (bot/texts); NULL: the community's. `language_chosen` 1:
            # the member chose it (`language de`), 0: their app's locale (Discord) said it,
            # and an app's locale never replaces a member's own choice.
            "ALTER TABLE members ADD COLUMN language TEXT",
            "ALTER TABLE members ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    Migration(
        12,
        "buddies: who opted in, proposed and formed pairs, and whom each has met",
        (
            # One row per member and community who said `buddy join`; their interests
            # sealed to the row. `state`: waiting | asked (a pairing proposed) | paired.
            # Days only where a figure is kept (`joined_on`, for `mod stats`); the
            # moments are the job's own schedule (when to look, when to remind).
            """CREATE TABLE buddy_members (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                tags TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'waiting',
                joined_on BIGINT NOT NULL,
                match_after BIGINT,
                next_reminder_at BIGINT,
                budget_since BIGINT,
                budget_used INTEGER NOT NULL DEFAULT 0,
                reached_on BIGINT,
                PRIMARY KEY (member_id, community))""",
            "CREATE INDEX buddy_members_match ON buddy_members (match_after)",
            "CREATE INDEX buddy_members_reminder ON buddy_members (next_reminder_at)",
            # A pairing, proposed (both asked) or formed (both accepted). Gone when it
            # ends: what stays is each member's own `buddy_met` row.
            """CREATE TABLE buddy_pairs (
                id {id},
                community TEXT NOT NULL,
                member_a BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                member_b BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                status TEXT NOT NULL DEFAULT 'proposed',
                accepted_a INTEGER NOT NULL DEFAULT 0,
                accepted_b INTEGER NOT NULL DEFAULT 0,
                tag TEXT,
                cadence TEXT NOT NULL DEFAULT 'weekly',
                formed_on BIGINT,
                quiet_asker BIGINT,
                deadline BIGINT)""",
            "CREATE INDEX buddy_pairs_a ON buddy_pairs (member_a)",
            "CREATE INDEX buddy_pairs_b ON buddy_pairs (member_b)",
            "CREATE INDEX buddy_pairs_deadline ON buddy_pairs (deadline)",
            # Whom a member was paired (or proposed) with, so no pair forms twice unless
            # both ask (`again`): a keyed hash under the *partner's* own secret, so a copy
            # cannot tell who met whom, and it points to no one once they erase their data.
            """CREATE TABLE buddy_met (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                partner TEXT NOT NULL,
                again INTEGER NOT NULL DEFAULT 0,
                position INTEGER NOT NULL,
                PRIMARY KEY (member_id, community, partner))""",
            # Pairs formed per community and day: a figure for `mod stats`, no member.
            """CREATE TABLE buddy_days (
                community TEXT NOT NULL,
                day BIGINT NOT NULL,
                pairs INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (community, day))""",
        ),
    ),
    Migration(
        13,
        "encouragement notes for a hard day, and who asked to receive them",
        (
            # A note, numbered per community (`mod approve e3`): its words sealed, its
            # writer only an owner token and an expiring sealed link (bot/anonymity.py),
            # its day, not its moment. status: pending (vetting) | held (a possible
            # crisis) | approved (may reach someone) | rejected | deleted (words erased).
            """CREATE TABLE encouragement_notes (
                id {id},
                community TEXT NOT NULL,
                number INTEGER NOT NULL,
                status TEXT NOT NULL,
                crisis INTEGER NOT NULL DEFAULT 0,
                body TEXT,
                owner TEXT NOT NULL,
                author_link TEXT,
                author_link_expires_at BIGINT,
                written_on BIGINT NOT NULL,
                UNIQUE (community, number))""",
            "CREATE UNIQUE INDEX encouragement_notes_owner ON encouragement_notes (owner)",
            "CREATE INDEX encouragement_notes_status ON encouragement_notes (community, status)",
            """CREATE TABLE encouragement_numbers (
                community TEXT PRIMARY KEY,
                last_number INTEGER NOT NULL)""",
            # Which note reached whom, as a token of (receiver, note) only and undated: a
            # copy cannot tell who received a note, nor that two reached the same member.
            """CREATE TABLE encouragement_receipts (
                note_id BIGINT NOT NULL REFERENCES encouragement_notes (id) ON DELETE CASCADE,
                receiver_key TEXT NOT NULL,
                thanked INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (note_id, receiver_key))""",
            "CREATE INDEX encouragement_receipts_receiver ON encouragement_receipts (receiver_key)",
            # Who asked for notes (`checkin encouragement on`), and the local day the last
            # one reached them (at most one a day).
            """CREATE TABLE encouragement_optins (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                last_note_on TEXT,
                PRIMARY KEY (member_id, community))""",
        ),
    ),
    Migration(
        14,
        "group check-in threads: each week's thread and how many answered it",
        (
            # One row a week and community: its local day (in the thread's zone), when it
            # is due, what became of it, and how many messages answered it — a count,
            # never who and never what (docs/peers.md). Nothing here names a member.
            """CREATE TABLE group_checkins (
                community TEXT NOT NULL,
                local_date TEXT NOT NULL,
                due_at BIGINT NOT NULL,
                outcome TEXT NOT NULL DEFAULT 'pending',
                answers INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (community, local_date)
            )""",
            "CREATE INDEX group_checkins_due ON group_checkins (due_at) WHERE outcome = 'pending'",
        ),
    ),
    Migration(
        15,
        "safety plans members write for themselves",
        (
            # One plan a member, in their own words, sealed whole (bot/vault.py SAFETY_PLAN):
            # never seen by anyone else. `community`: where they last wrote it or asked for
            # reminders (their language and zone there). `asking`: the step their next plain
            # DM answers, until `asking_until`; `walking` 1: then the next one. `offered` 1:
            # the offer to write one was made (once ever). `remind_time`: local HH:MM of a
            # monthly reminder, due at `remind_at`. No moment of writing is kept.
            """CREATE TABLE safety_plans (
                member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                steps TEXT,
                asking INTEGER,
                asking_until BIGINT,
                walking INTEGER NOT NULL DEFAULT 0,
                offered INTEGER NOT NULL DEFAULT 0,
                remind_time TEXT,
                remind_at BIGINT)""",
            "CREATE INDEX safety_plans_remind ON safety_plans (remind_at) "
            "WHERE remind_at IS NOT NULL",
        ),
    ),
    Migration(
        16,
        "crisis alerts a moderator takes, raised again once when nobody does",
        (
            # One row per alert in the mod queue (bot/safety/alerts.py), numbered per
            # community (`mod take a3`). Its id is random; what it is about is sealed,
            # so a copy cannot tell a held share's alert from a contact request's, nor
            # tie either to anyone. `created_at`: the day only.
            # `due_at`: when it is raised again, only while nobody has it and it has not
            # been (then NULL). `outcome`: NULL nobody has taken it | taken (in time) |
            # late (after it was due). `taken_by`: the moderator, sealed.
            """CREATE TABLE crisis_alerts (
                id BIGINT PRIMARY KEY,
                community TEXT NOT NULL,
                number INTEGER NOT NULL,
                what TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                due_at BIGINT,
                raised_again INTEGER NOT NULL DEFAULT 0,
                outcome TEXT,
                taken_by TEXT,
                UNIQUE (community, number))""",
            "CREATE INDEX crisis_alerts_due ON crisis_alerts (due_at) WHERE due_at IS NOT NULL",
            "CREATE INDEX crisis_alerts_day ON crisis_alerts (community, created_at)",
            """CREATE TABLE crisis_alert_numbers (
                community TEXT PRIMARY KEY,
                last_number INTEGER NOT NULL)""",
        ),
    ),
    Migration(
        17,
        "scale: the indexes mod stats, housekeeping, /metrics and erasure look things up by",
        (
            # Housekeeping forgets delivered DMs by age: by index, not a scan of the outbox.
            "CREATE INDEX outbox_dm_age ON outbox (place_kind, created_at)",
            # What waits to be sent, a few rows among every one kept (depth, backlog).
            "CREATE INDEX outbox_waiting ON outbox (platform, status) "
            "WHERE status IN ('pending', 'sending')",
            # `mydata delete` opens only the DMs that name no member (relays to an
            # anonymous author), not every DM kept.
            "CREATE INDEX outbox_unnamed_dm ON outbox (platform) "
            "WHERE member_id IS NULL AND place_kind = 'dm'",
            # Only notes still kept are looked at when they outlive the retention.
            "CREATE INDEX checkins_note_age ON checkins (created_at) WHERE note IS NOT NULL",
            # `mod stats` and /metrics count the unreachable, a few among many.
            "CREATE INDEX members_unreachable ON members (platform) "
            "WHERE unreachable_at IS NOT NULL",
            # `mod stats` reads the prompts of its window only, from the index alone.
            "CREATE INDEX prompt_slots_due ON prompt_slots "
            "(community, due_at, outcome, delivered_at, decided_at, outbox_id)",
            # covering: the pulse counts a window's check-ins from the index alone
            "CREATE INDEX checkins_community_day "
            "ON checkins (community, created_at, member_id, mood)",
            # Expired author links are cleared by index; a share's reports go with it.
            "CREATE INDEX celebrations_link_expiry ON celebrations (author_link_expires_at)",
            "CREATE INDEX share_reports_share ON share_reports (share_id)",
        ),
    ),
    Migration(
        18,
        "streaks kept as they stand, extended at each check-in",
        (
            # The run ending at the member's last check-in day (bot/features/checkins/
            # streaks.py): nothing the check-ins' own days do not already say.
            """CREATE TABLE checkin_streaks (
                member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
                community TEXT NOT NULL,
                last_day TEXT NOT NULL,
                length INTEGER NOT NULL,
                PRIMARY KEY (member_id, community))""",
        ),
    ),
    Migration(
        19,
        "fair mornings: the prompts due soon counted from an index alone",
        (
            # bot/mornings.py: the next day's prompts by the second they fall due.
            "CREATE INDEX schedules_due_community ON schedules (next_prompt_at, community)",
        ),
    ),
    Migration(
        20,
        "one send rate for every process on the database",
        (
            # Each platform's token bucket (bot/pacing.py SharedBudget): when its next
            # token is due and the interval between two, in µs, and how many tokens
            # its last grant gave. Shared by every process on the database, so
            # Discord shards together stay under the bot's rate. Names no member,
            # dates nothing a member did.
            """CREATE TABLE send_budget (
                platform TEXT PRIMARY KEY,
                due BIGINT NOT NULL,
                step BIGINT NOT NULL,
                granted BIGINT NOT NULL)""",
        ),
    ),
    Migration(
        21,
        "mod stats: how the prompts fared, counted as it happens",
        (
            # bot/slot_counts.py: per community and due moment, how many prompts are
            # missed, undelivered, sent (by how late) or waiting. Counts only, no member.
            """CREATE TABLE prompt_slot_counts (
                community TEXT NOT NULL,
                due_at BIGINT NOT NULL,
                state TEXT NOT NULL,
                lateness BIGINT NOT NULL,
                n BIGINT NOT NULL,
                PRIMARY KEY (community, due_at, state, lateness))""",
            # Every slot kept so far, in the state `mod stats` read it in.
            "INSERT INTO prompt_slot_counts (community, due_at, state, lateness, n) "
            "SELECT s.community, s.due_at, CASE WHEN s.outcome = 'missed' THEN 'missed' "
            "WHEN o.status IN ('expired', 'unreachable', 'failed', 'cancelled') "
            "THEN 'undelivered' WHEN o.status IS NULL OR o.status = 'sent' THEN 'sent' "
            "ELSE 'waiting' END, CASE WHEN s.outcome = 'sent' AND (o.status IS NULL "
            "OR o.status = 'sent') THEN coalesce(s.delivered_at, s.decided_at) - s.due_at "
            "ELSE 0 END, count(*) FROM prompt_slots s LEFT JOIN outbox o "
            "ON o.id = s.outbox_id AND s.delivered_at IS NULL WHERE true GROUP BY 1, 2, 3, 4",
        ),
    ),
)


Convert = Callable[[Transaction], Awaitable[None]]


LATEST = MIGRATIONS[-1].version


async def current_version(db: Database) -> int:
    async with db.transaction() as tx:
        return await _version_in(tx)


async def _version_in(tx: Transaction) -> int:
    # Several processes may start at once on one PostgreSQL: the lock makes
    # each read-and-upgrade wait for the one before it.
    if tx.dialect.migration_lock:
        await tx.execute(tx.dialect.migration_lock)
    await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    version = await tx.fetchval("SELECT max(version) FROM schema_version")
    return int(version or 0)


async def upgrade(
    db: Database,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    converters: Mapping[int, Convert] | None = None,
) -> int:
    """Run every step newer than the database; return the resulting version.
    `converters`, by step, rewrite existing rows under the deployment key."""
    converters = converters or {}
    version = await current_version(db)
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise DatabaseError(
            f"the database is at schema version {version}, but this Hearth only knows "
            f"up to {newest}: it was written by a newer Hearth. Upgrade Hearth, or "
            "restore a backup made with this version."
        )
    id_type = db.dialect.id_column
    for step in migrations:
        if step.version <= version:
            continue
        async with db.transaction() as tx:
            if await _version_in(tx) >= step.version:
                version = step.version
                continue  # another process ran this step meanwhile
            for statement in step.statements:
                await tx.execute(statement.replace("{id}", id_type))
            if step.keyed:
                await _convert(tx, step, converters.get(step.version))
            for statement in step.after:
                await tx.execute(statement.replace("{id}", id_type))
            await tx.execute("INSERT INTO schema_version (version) VALUES ($1)", step.version)
        version = step.version
    return version


async def _convert(tx: Transaction, step: Migration, convert: Convert | None) -> None:
    if convert is not None:
        await convert(tx)
        return
    for table in step.keyed:
        if await tx.fetchval(f"SELECT count(*) FROM {table}"):
            raise DatabaseError(
                f"this database needs the deployment key to be upgraded (migration "
                f"{step.version} seals what it stores): start Hearth with its secret key"
            )


_TABLE_STATEMENT = re.compile(
    r"^\s*(CREATE|DROP) TABLE (?:IF (?:NOT )?EXISTS )?(\w+)|"
    r"^\s*ALTER TABLE (\w+) RENAME TO (\w+)",
    re.IGNORECASE,
)


def table_names(migrations: tuple[Migration, ...] = MIGRATIONS) -> tuple[str, ...]:
    """The tables these steps leave, in the order they were created (so each
    comes after the tables it references): read from the steps themselves, so
    the list cannot drift from the schema. schema_version is not among them."""
    tables: list[str] = []
    for step in migrations:
        for statement in (*step.statements, *step.after):
            found = _TABLE_STATEMENT.match(statement)
            if found is None:
                continue
            verb, name, old, new = found.groups()
            if verb and verb.upper() == "CREATE":
                tables.append(name)
            elif verb:
                tables.remove(name)
            else:
                tables[tables.index(old)] = new
    return tuple(tables)
