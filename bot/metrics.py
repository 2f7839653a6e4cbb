"""Counters and gauges an operator can scrape at /metrics (Prometheus format).

Every series is about the whole deployment: labels come from small fixed sets
(event kinds, outcomes), never from a member, a community's members or text.
Each Metrics has its own registry, so several Hearths (tests) never mix.
"""

from __future__ import annotations

from typing import Literal, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

ErrorKind = Literal["refusal", "failure"]
PromptOutcome = Literal["queued", "missed"]
MessageOutcome = Literal["sent", "retried", "failed", "unreachable", "expired"]
EncouragementOutcome = Literal["written", "held", "delivered", "thanked"]
BuddyMoment = Literal["proposed", "reminded", "lapsed", "quiet_end"]

EVENT_KINDS = ("CommandGiven", "ChoicePicked", "ReactionAdded", "MessagePosted")
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._events = Counter(
            "hearth_events", "Platform events handled, by kind", ["kind"], registry=registry
        )
        self._errors = Counter(
            "hearth_errors",
            "Events that ended in an error: refusal (a member's mistake, nothing changed) "
            "or failure (a bug or an outage; logged)",
            ["kind"],
            registry=registry,
        )
        self._prompts = Counter(
            "hearth_prompts",
            "Check-in prompts that fell due: queued for sending, or missed (later than the "
            "catch-up window)",
            ["outcome"],
            registry=registry,
        )
        self._messages = Counter(
            "hearth_messages",
            "Outbox deliveries by outcome: sent, retried, failed (gave up), unreachable "
            "(DMs closed) or expired",
            ["outcome"],
            registry=registry,
        )
        self._encouragement = Counter(
            "hearth_encouragement_notes",
            "Encouragement notes: written, held as a possible crisis, delivered after a low "
            "check-in, thanked (deployment totals; never a member or a community)",
            ["outcome"],
            registry=registry,
        )
        self._buddies = Counter(
            "hearth_buddy_moments",
            "Buddies, as the scheduled job moves them: pairings proposed, reminders sent, "
            "proposals lapsed, quiet pairings ended (deployment totals; never a member)",
            ["outcome"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "hearth_outbox_depth", "Messages waiting in the outbox", registry=registry
        )
        self.unreachable_members = Gauge(
            "hearth_unreachable_members",
            "Members whose DMs could not be reached (prompts stopped)",
            registry=registry,
        )
        self.scheduler_last_tick_age = Gauge(
            "hearth_scheduler_last_tick_age_seconds",
            "Seconds since the scheduler last looked for due work, on Hearth's clock",
            registry=registry,
        )
        # Every series exists from the start, so a rate() never begins with a gap.
        for kind in EVENT_KINDS:
            self._events.labels(kind)
        for labels, counter in (
            (get_args(ErrorKind), self._errors),
            (get_args(PromptOutcome), self._prompts),
            (get_args(MessageOutcome), self._messages),
            (get_args(EncouragementOutcome), self._encouragement),
            (get_args(BuddyMoment), self._buddies),
        ):
            for label in labels:
                counter.labels(label)

    def event_handled(self, kind: str) -> None:
        self._events.labels(kind).inc()

    def error(self, kind: ErrorKind) -> None:
        self._errors.labels(kind).inc()

    def prompt(self, outcome: PromptOutcome) -> None:
        self._prompts.labels(outcome).inc()

    def message(self, outcome: MessageOutcome) -> None:
        self._messages.labels(outcome).inc()

    def encouragement(self, outcome: EncouragementOutcome) -> None:
        self._encouragement.labels(outcome).inc()

    def buddy(self, moment: BuddyMoment) -> None:
        self._buddies.labels(moment).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus text format (set the gauges first)."""
        return generate_latest(self.registry)
