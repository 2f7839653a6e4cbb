"""The moderators' YAML file, as typed settings.

Loading, `${VAR}` substitution and validation (with line and key path for
every problem) live in `bot.config_loader`; this module is only the shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DEFAULT_MOOD_LABELS = ("😞 very low", "🙁 low", "😐 okay", "🙂 good", "😄 very good")
DEFAULT_MILESTONE_DAYS = (1, 7, 14, 30, 60, 90, 180, 270, 365)
DEFAULT_STREAKS = (3, 7, 14, 30, 60, 100, 365)


@dataclass(frozen=True)
class Channels:
    shares: str | None = None
    mod_queue: str | None = None
    celebrations: str | None = None


@dataclass(frozen=True)
class Moderators:
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    power_level: int = 50


@dataclass(frozen=True)
class Sharing:
    vetting: bool = True
    cooldown_minutes: int = 10
    max_length: int = 2000
    link_days: int = 30
    blocked_terms: tuple[str, ...] = ()  # shares and replies containing these are refused
    reports_per_day: int = 5  # per member, so reporting cannot be used to harass
    remove_on_erase: bool = True  # `mydata delete` takes the member's shares down


@dataclass(frozen=True)
class Checkins:
    catch_up_hours: float = 2
    day_reset: str = "04:00"  # HH:MM local; check-ins before it count for the day before
    mood_labels: tuple[str, ...] = DEFAULT_MOOD_LABELS  # exactly five, 1 → 5
    max_note_length: int = 1000
    default_timezone: str = "UTC"  # until a member tells us theirs


@dataclass(frozen=True)
class Milestones:
    days: tuple[int, ...] = DEFAULT_MILESTONE_DAYS
    streaks: tuple[int, ...] = DEFAULT_STREAKS


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str = ""
    url: str = ""
    region: str = ""


class LanguageTerms(Mapping[str, tuple[str, ...]]):
    """`safety.crisis_terms` given per language ({en: [...], de: [...]}): read-only and
    hashable, like the rest of the config."""

    __slots__ = ("_items",)

    def __init__(self, terms: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self._items = tuple((code, tuple(phrases)) for code, phrases in (terms or {}).items())

    def __getitem__(self, code: str) -> tuple[str, ...]:
        for key, phrases in self._items:
            if key == code:
                return phrases
        raise KeyError(code)

    def __iter__(self) -> Iterator[str]:
        return (code for code, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"LanguageTerms({dict(self._items)!r})"


@dataclass(frozen=True)
class Safety:
    # Added to the built-in crisis phrases: a list (checked in every language) or a mapping
    # of language code to phrases (bot.safety.crisis.LANGUAGES; docs/crisis.md).
    crisis_terms: tuple[str, ...] | LanguageTerms = ()
    resources: tuple[Resource, ...] = ()
    alert_moderators: bool = True
    #: minutes a crisis alert waits for a moderator to take it before it is raised
    #: again, once, mentioning the moderators (bot/safety/alerts.py)
    alert_ack_minutes: int = 15


@dataclass(frozen=True)
class Privacy:
    retention_days: int = 365


@dataclass(frozen=True)
class Moderation:
    min_group: int = 5  # never below 5
    log_days: int = 180


DEFAULT_BUDDY_TAGS = ("walking", "music", "parenting", "night shifts", "gaming", "cooking")


@dataclass(frozen=True)
class Buddies:
    """`buddy`: members who opted in are paired by shared interests (docs/peers.md)."""

    enabled: bool = True
    #: interests members pick from (never a diagnosis), in the community's words;
    #: empty: `peers.buddy_tags` (SPEC's name for them), else DEFAULT_BUDDY_TAGS
    tags: tuple[str, ...] = ()
    max_tags: int = 3  # a member picks at most this many
    max_hours_apart: float = 3  # time zones whose clocks differ by more are not paired
    reminder_time: str = "18:00"  # HH:MM, each member's local time
    reminders_per_week: int = 2  # per member: nobody is nagged
    answer_days: int = 3  # a proposed pairing waits this long for both answers
    quiet_days: int = 3  # after "my buddy has gone quiet", the pair ends this much later


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class GroupCheckin:
    """A weekly group check-in thread Hearth opens in a community channel
    (docs/peers.md): members answer in it; Hearth only starts it."""

    channel: str  # console: a name; discord: a channel id; matrix: a room id
    weekday: str = "sun"  # mon … sun (or the whole name)
    time: str = "18:00"  # HH:MM in `timezone`
    timezone: str | None = None  # None: the community's (checkins.default_timezone)
    text: str | None = None  # None: the catalogue's prompt, in the community's language

    @property
    def weekday_number(self) -> int:
        """0 for Monday … 6 for Sunday."""
        return WEEKDAYS.index(self.weekday.strip().lower()[:3])


@dataclass(frozen=True)
class Peers:
    """Peers supporting peers (docs/peers.md)."""

    group_checkin: GroupCheckin | None = None  # off unless the community asks for it
    #: `encourage` and `checkin encouragement`: kind notes for a hard day
    encouragement: bool = True
    #: the interests `buddy join` offers (the same as `buddies.tags`; give one of them)
    buddy_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Community:
    name: str
    platform: str  # console | discord | matrix
    guild_id: str | None = None
    channels: Channels = field(default_factory=Channels)
    moderators: Moderators = field(default_factory=Moderators)
    sharing: Sharing = field(default_factory=Sharing)
    checkins: Checkins = field(default_factory=Checkins)
    milestones: Milestones = field(default_factory=Milestones)
    safety: Safety = field(default_factory=Safety)
    privacy: Privacy = field(default_factory=Privacy)
    moderation: Moderation = field(default_factory=Moderation)
    buddies: Buddies = field(default_factory=Buddies)
    peers: Peers = field(default_factory=Peers)
    #: the community's language (a shipped catalogue, bot.texts.LOCALES): its channel
    #: posts, and what a member reads until they choose their own (`language`)
    language: str = "en"

    @property
    def buddy_tags(self) -> tuple[str, ...]:
        """The interests members pick buddies by (`buddies.tags` or `peers.buddy_tags`)."""
        return self.buddies.tags or self.peers.buddy_tags or DEFAULT_BUDDY_TAGS

    @property
    def zone(self) -> ZoneInfo:
        """The community's own time zone: its days, for dates kept on anonymous
        items and for `mod stats`' completed days."""
        return ZoneInfo(self.checkins.default_timezone)


@dataclass(frozen=True)
class ConsoleSettings:
    enabled: bool = True
    output_dir: str = "data/console"  # where charts and exports are written
    # Outbox sends and take-downs a second, `send_burst` of them at once (bot/pacing.py).
    sends_per_second: float | None = None  # None: as fast as the adapter takes them
    send_burst: int = 1


@dataclass(frozen=True)
class DiscordShards:
    count: int | None = None  # shards across every process; None: one process, Discord decides
    ids: tuple[int, ...] = ()  # the shards this process runs (0 … count-1); empty: all


@dataclass(frozen=True)
class DiscordSettings:
    enabled: bool = False
    token: str = ""
    sync_global: bool = False  # also register commands globally, for DMs (slow to appear)
    shards: DiscordShards = field(default_factory=DiscordShards)
    sends_per_second: float = 25  # Discord allows a bot about 50 requests a second
    send_burst: int = 1


@dataclass(frozen=True)
class MatrixSettings:
    enabled: bool = False
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    store_path: str = "data/matrix-store"
    sends_per_second: float = 5  # Synapse limits messages per user (admins can lift it)
    send_burst: int = 1


@dataclass(frozen=True)
class AdapterSettings:
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    matrix: MatrixSettings = field(default_factory=MatrixSettings)


@dataclass(frozen=True)
class Http:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class Log:
    level: str = "INFO"
    format: str = "text"  # text | json


@dataclass(frozen=True)
class Config:
    database: str = "sqlite:///data/hearth.db"
    secret_key_file: str = "data/hearth.key"
    adapters: AdapterSettings = field(default_factory=AdapterSettings)
    communities: tuple[Community, ...] = ()
    http: Http = field(default_factory=Http)
    log: Log = field(default_factory=Log)

    def community(self, name: str) -> Community | None:
        return next((c for c in self.communities if c.name == name), None)

    def communities_on(self, platform: str) -> tuple[Community, ...]:
        return tuple(c for c in self.communities if c.platform == platform)
