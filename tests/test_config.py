"""The YAML config loader: the example file, `${VAR}` substitution, and problems
reported with their line and key path."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Config, Resource
from bot.config_loader import (
    ConfigError,
    Problem,
    check_config_file,
    load_config,
    load_config_text,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"

MINIMAL = """\
communities:
  - name: example
    platform: console
"""


def refused(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(dedent(text), "test.yaml", environ={})
    return caught.value.problems


def problems_of(text: str) -> list[tuple[int | None, str]]:
    return [(p.line, p.key_path) for p in refused(text)]


def only_problem(text: str) -> Problem:
    [problem] = refused(text)
    return problem


def test_example_file_loads_without_any_token() -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.database == "sqlite:///data/hearth.db"
    assert config.secret_key_file == "data/hearth.key"
    assert config.adapters.console.enabled
    assert not config.adapters.discord.enabled and not config.adapters.matrix.enabled
    assert config.adapters.discord.token == ""
    [community] = config.communities
    assert (community.name, community.platform) == ("example", "console")
    assert community.channels.shares == "shares"
    assert community.channels.mod_queue == "mod-queue"
    assert community.channels.celebrations == "celebrations"
    assert community.moderators.users == ("mona",)
    assert len(community.checkins.mood_labels) == 5
    assert all(isinstance(r, Resource) and r.name and r.url for r in community.safety.resources)
    assert len(community.safety.resources) >= 2
    assert check_config_file(EXAMPLE, environ={}) == []


def test_example_file_documents_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert [key for key in sorted(schema_keys()) if f"{key}:" not in text] == []


def test_minimal_file_takes_defaults() -> None:
    config = load_config_text(MINIMAL, environ={})
    assert config == Config(communities=config.communities)
    assert config.communities[0].sharing.cooldown_minutes == 10


def test_env_substitution_with_and_without_defaults() -> None:
    text = MINIMAL + dedent("""\
        database: ${DB_URL}
        adapters:
          discord: {enabled: false, token: "${DISCORD_TOKEN:-}"}
        http:
          port: ${HTTP_PORT:-9090}
          host: "${HTTP_HOST:-0.0.0.0}"
        """)
    config = load_config_text(
        text, environ={"DB_URL": "postgresql://bot@db/hearth", "HTTP_HOST": ""}
    )
    assert config.database == "postgresql://bot@db/hearth"
    assert config.adapters.discord.token == ""
    assert config.http.port == 9090  # a substituted value is typed by what it became
    assert config.http.host == "0.0.0.0"  # an empty variable takes the default, as in sh

    config = load_config_text(text, environ={"DB_URL": "sqlite:///x.db", "HTTP_PORT": "81"})
    assert config.http.port == 81


def test_unset_variable_without_default_is_a_problem_naming_it() -> None:
    problem = only_problem(MINIMAL + "adapters:\n  discord:\n    token: ${DISCORD_TOKEN}\n")
    assert (problem.line, problem.key_path) == (6, "adapters.discord.token")
    assert "DISCORD_TOKEN" in problem.message


def test_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL + "    sharing: {vetting: true\nlog: {}\n", encoding="utf-8")
    [problem] = check_config_file(path, environ={})
    assert problem.line == 5
    assert problem.source == str(path)
    assert "YAML" in problem.message


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    [problem] = check_config_file(tmp_path / "missing.yaml")
    assert problem.line is None and "cannot be read" in problem.message
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.yaml")


def test_wrong_type_gives_line_key_path_and_friendly_message() -> None:
    problem = only_problem(MINIMAL + "    sharing:\n      cooldown_minutes: ten\n")
    assert (problem.line, problem.key_path) == (5, "communities[0].sharing.cooldown_minutes")
    assert str(problem) == (
        "test.yaml:5: communities[0].sharing.cooldown_minutes: "
        'must be a whole number of minutes (got "ten")'
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("sharing: {vetting: maybe}", "must be true or false"),
        ("milestones: {days: 30}", "must be a list of whole numbers"),
        ("moderators: {users: {mona: 1}}", "must be a list of text values"),
        ("checkins: {catch_up_hours: two}", "must be a number of hours"),
        ("channels: [shares]", "must be a mapping"),
    ],
)
def test_wrong_types_have_friendly_messages(section: str, message: str) -> None:
    problem = only_problem(MINIMAL + f"    {section}\n")
    assert problem.line == 4 and message in problem.message


def test_unknown_key_gives_line_path_and_suggestion() -> None:
    problem = only_problem(MINIMAL + "    sharing:\n      vetting: true\n      cooldown: 5\n")
    assert (problem.line, problem.key_path) == (6, "communities[0].sharing.cooldown")
    assert 'did you mean "cooldown_minutes"?' in problem.message


def test_several_problems_are_reported_together() -> None:
    text = """\
        databse: sqlite:///x.db
        communities:
          - name: example
            platform: console
            milestones: {days: [1, x]}
            moderation: {min_group: 3}
        log: {level: LOUD}
        """
    assert problems_of(text) == [
        (1, "databse"),
        (5, "communities[0].milestones.days[1]"),
        (6, "communities[0].moderation.min_group"),
        (7, "log.level"),
    ]


def test_min_group_below_five_is_refused_as_a_privacy_floor() -> None:
    problem = only_problem(MINIMAL + "    moderation: {min_group: 3}\n")
    assert problem.key_path == "communities[0].moderation.min_group"
    assert "privacy floor" in problem.message


def test_bad_timezone() -> None:
    problem = only_problem(MINIMAL + "    checkins: {default_timezone: Mars/Olympus}\n")
    assert (problem.line, problem.key_path) == (4, "communities[0].checkins.default_timezone")


@pytest.mark.parametrize("day_reset", ["25:00", "4am", '"4:00"', "04:60"])
def test_bad_day_reset(day_reset: str) -> None:
    problem = only_problem(MINIMAL + f"    checkins:\n      day_reset: {day_reset}\n")
    assert (problem.line, problem.key_path) == (5, "communities[0].checkins.day_reset")
    assert "HH:MM" in problem.message


def test_unquoted_day_reset_is_read_as_written() -> None:
    # YAML 1.1 would read 04:00 as the number 240; the loader keeps the text.
    config = load_config_text(MINIMAL + "    checkins: {day_reset: 04:00}\n", environ={})
    assert config.communities[0].checkins.day_reset == "04:00"


def test_discord_community_needs_guild_id() -> None:
    text = """\
        adapters:
          discord: {enabled: true, token: abc}
        communities:
          - name: harbour
            platform: discord
        """
    problem = only_problem(text)
    assert (problem.line, problem.key_path) == (4, "communities[0].guild_id")


def test_community_platform_needs_its_adapter_enabled() -> None:
    text = """\
        communities:
          - name: harbour
            platform: discord
            guild_id: 1
        """
    problem = only_problem(text)
    assert (problem.line, problem.key_path) == (3, "communities[0].platform")
    assert "adapters.discord.enabled" in problem.message


def test_ids_are_coerced_to_strings() -> None:
    text = """\
        adapters:
          discord: {enabled: true, token: abc}
        communities:
          - name: harbour
            platform: discord
            guild_id: 123456789012345678
            channels: {shares: 223456789012345678}
            moderators: {users: [323456789012345678], roles: [42]}
        """
    [community] = load_config_text(dedent(text), environ={}).communities
    assert community.guild_id == "123456789012345678"
    assert community.channels.shares == "223456789012345678"
    assert community.moderators.users == ("323456789012345678",)
    assert community.moderators.roles == ("42",)


def test_duplicate_community_names_and_missing_required_keys() -> None:
    text = """\
        communities:
          - name: example
            platform: console
          - name: example
            platform: console
          - platform: console
        """
    assert problems_of(text) == [(4, "communities[1].name"), (6, "communities[2].name")]


def test_sending_rates_default_under_each_platforms_limit() -> None:
    adapters = load_config_text(MINIMAL, environ={}).adapters
    assert adapters.console.sends_per_second is None  # the playground is not paced
    assert adapters.discord.sends_per_second == 25  # Discord allows about 50 a second
    assert adapters.matrix.sends_per_second == 5
    assert {adapters.console.send_burst, adapters.discord.send_burst} == {1}
    text = MINIMAL + dedent("""\
        adapters:
          console: {sends_per_second: 2.5, send_burst: 4}
          discord: {sends_per_second: null}
        """)
    adapters = load_config_text(text, environ={}).adapters
    assert (adapters.console.sends_per_second, adapters.console.send_burst) == (2.5, 4)
    assert adapters.discord.sends_per_second == 25  # an empty value means the default


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("discord: {sends_per_second: 0}", "must be at least 0.01 (got 0.0)"),
        ("matrix: {sends_per_second: -5}", "must be at least 0.01"),
        ("console: {sends_per_second: fast}", 'must be a number (got "fast")'),
        ("discord: {send_burst: 0}", "must be more than 0 (got 0)"),
        ("matrix: {send_burst: 2.5}", "must be a whole number (got 2.5)"),
    ],
)
def test_bad_sending_rates_name_their_key(setting: str, message: str) -> None:
    problem = only_problem(MINIMAL + f"adapters:\n  {setting}\n")
    adapter, key = setting.split(":")[0], setting.split("{")[1].split(":")[0]
    assert (problem.line, problem.key_path) == (5, f"adapters.{adapter}.{key}")
    assert message in problem.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (MINIMAL.replace("console", "__class__"), 3),  # not looked up as an attribute
        (MINIMAL + "http: {port: !!int ten}\n", 4),
        (MINIMAL + "    checkins: {catch_up_hours: 1e400}\n", 4),
        ("[" * 5000, None),  # the YAML composer recurses once per level
    ],
)
def test_odd_values_are_problems_not_crashes(text: str, line: int | None) -> None:
    assert only_problem(text).line == line


def test_a_file_without_communities_or_empty_is_refused() -> None:
    assert problems_of("log: {level: INFO}\n") == [(None, "communities")]
    assert problems_of("communities: []\n") == [(1, "communities")]
    problem = only_problem("# nothing yet\n")
    assert problem.key_path == "" and "empty" in problem.message


def schema_keys(cls: type = Config) -> set[str]:
    """Every key of the real schema, so generated documents reach deep into the walk."""
    keys = set()
    for name, hint in typing.get_type_hints(cls).items():
        keys.add(name)
        for inner in (hint, *typing.get_args(hint)):
            if dataclasses.is_dataclass(inner):
                keys |= schema_keys(inner)
    return keys


KEYS = sorted(schema_keys())
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["example", "console", "discord", "04:00", "${X}", "${X:-1}", "UTC"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=25,
)


def _loads_or_refuses(text: str) -> None:
    try:
        assert isinstance(load_config_text(text, environ={"X": "5"}), Config)
    except ConfigError as error:
        assert error.problems and all(isinstance(p, Problem) for p in error.problems)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_loads_or_raises_config_error(text: str) -> None:
    _loads_or_refuses(text)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_arbitrary_documents_load_or_raise_config_error(document: object) -> None:
    _loads_or_refuses(yaml.safe_dump(document, allow_unicode=True))
