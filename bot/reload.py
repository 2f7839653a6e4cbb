"""Re-reading the YAML file while Hearth runs (`mod reload`, SIGHUP).

A reload applies what the features read on every use (channels, moderators,
thresholds, texts) and the adapters' sending rates. What is set up once at
start keeps its running value until a restart: the database, the key, the
adapters and their logins, the HTTP endpoint, logging, and which communities
exist and where (Discord registers its commands per server at start; Matrix
joins and watches its rooms then).
Changes are named by key path only, never by value: values can be secrets.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config import AdapterSettings, Community, Config
from bot.config_loader import load_config

# Top-level keys only a restart applies.
RESTART_ONLY = ("database", "secret_key_file", "adapters", "http", "log")
# ... except these keys of each adapter, read on every send: the sending rate.
LIVE_ADAPTER_KEYS = ("sends_per_second", "send_burst")


class ReloadUnavailable(Exception):
    """This Hearth was not started from a file it could read again."""


@dataclass(frozen=True)
class ReloadPlan:
    #: what to run with from now on: the new file, with restart-only values kept
    config: Config
    #: key paths whose new values take effect now
    applied: tuple[str, ...]
    #: key paths that changed in the file but keep their running values until a restart
    kept: tuple[str, ...]


# What decides where a community lives: its adapter sets that up at start.
PINNED = ("platform", "guild_id")


def plan_reload(
    running: Config,
    path: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    *,
    read_at_start: Mapping[str, tuple[str, ...]] | None = None,
) -> ReloadPlan:
    """Read and validate `path` against the running config; raises `ConfigError`
    (every problem, with its line and key path) and changes nothing if it is invalid.
    `read_at_start` names, by platform, the community keys its adapter reads only
    at start (the port's `Adapter.community_keys_read_at_start`)."""
    return plan_for(running, load_config(path, environ), read_at_start or {})


def plan_for(
    running: Config, new: Config, read_at_start: Mapping[str, tuple[str, ...]] | None = None
) -> ReloadPlan:
    read_at_start = read_at_start or {}
    adapters = _with_live_keys(running.adapters, new.adapters)
    kept: list[str] = []
    for key in RESTART_ONLY:
        value = adapters if key == "adapters" else getattr(running, key)
        kept += _diff(value, getattr(new, key), key)
    fresh_by_name = {c.name: c for c in new.communities}
    communities: list[Community] = []
    applied: list[str] = []
    for old in running.communities:
        path = f"communities.{old.name}"
        fresh = fresh_by_name.get(old.name)
        if fresh is None:
            kept.append(f"{path} (gone from the file)")
            communities.append(old)
            continue
        keys = PINNED + read_at_start.get(old.platform, ())
        pinned = {key: getattr(old, key) for key in keys}
        for key, value in pinned.items():
            kept += _diff(value, getattr(fresh, key), f"{path}.{key}")
        merged = dataclasses.replace(fresh, **pinned)
        applied += _diff(old, merged, path)
        communities.append(merged)
    known = {c.name for c in running.communities}
    kept += [f"communities.{c.name} (new)" for c in new.communities if c.name not in known]
    applied += _diff(running.adapters, adapters, "adapters")
    config = dataclasses.replace(running, communities=tuple(communities), adapters=adapters)
    return ReloadPlan(config, tuple(applied), tuple(kept))


def _with_live_keys(running: AdapterSettings, new: AdapterSettings) -> AdapterSettings:
    """The running adapters' settings, with the new file's LIVE_ADAPTER_KEYS."""
    fresh = {}
    for f in dataclasses.fields(running):
        old = getattr(running, f.name)
        live = {key: getattr(getattr(new, f.name), key) for key in LIVE_ADAPTER_KEYS}
        fresh[f.name] = dataclasses.replace(old, **live)
    return dataclasses.replace(running, **fresh)


def _diff(old: Any, new: Any, path: str) -> list[str]:
    """The key paths where `new` differs from `old`, as deep as the records go."""
    if old == new:
        return []
    if dataclasses.is_dataclass(old) and type(old) is type(new):
        changed: list[str] = []
        for f in dataclasses.fields(old):
            changed += _diff(getattr(old, f.name), getattr(new, f.name), f"{path}.{f.name}")
        return changed
    return [path]
