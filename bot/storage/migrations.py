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
