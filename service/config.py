"""Settings: one value built from CLI flags and BYLINE_* environment variables.

Nothing here runs at import time. `load_settings` reads a mapping (normally
`os.environ`) and reports every problem at once, so an operator fixes a bad
deployment in one go instead of one restart per typo.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(Exception):
    """Raised with every problem found in the environment and flags."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything Byline can be configured with. Field docs feed the README table."""

    host: str = "127.0.0.1"
    port: int = 8000
    database: str = "./byline.db"
    workers: int = 1
    demo: bool = False
    log_level: str = "INFO"
    public_max_age: int = 15
    edit_window_seconds: int = 900
    trusted_proxies: tuple[IPNetwork, ...] = ()
    cors_origins: tuple[str, ...] = ()
    post_min_interval_seconds: int = 15
    post_rate_limit: int = 5
    post_rate_window_seconds: int = 600
    duplicate_window_seconds: int = 3600
    max_links: int = 2
    disallowed_terms: tuple[str, ...] = ()
    moderation_terms: tuple[str, ...] = ()
    max_reply_depth: int = 5
    spam_retention_days: int = 30
    stale_pending_days: int = 14
    comment_max_body_bytes: int = 64 * 1024
    admin_max_body_bytes: int = 1024 * 1024
    metrics_enabled: bool = True
    max_posts_in_flight: int = 64


# name -> (help text shown in the README table). A test keeps this, the README and
# `Settings` in step.
SETTING_HELP: dict[str, str] = {
    "host": "IP address to listen on (an address, not a host name).",
    "port": "Port to listen on.",
    "database": "Path of the SQLite file; created and migrated on first start.",
    "workers": "Server worker processes (one per core is a good start).",
    "demo": "Load the demo articles into an empty database at start (`--demo`).",
    "log_level": "Log level: DEBUG, INFO, WARNING or ERROR.",
    "public_max_age": "`Cache-Control: max-age` in seconds on public GETs.",
    "edit_window_seconds": "How long a commenter may edit or delete with the edit token.",
    "trusted_proxies": "Comma-separated addresses or CIDR ranges whose `X-Forwarded-For` is "
    "believed. None by default.",
    "cors_origins": "Comma-separated origins allowed to post from a browser (`*` allows any). "
    "Public GETs are open to every origin.",
    "post_min_interval_seconds": "Minimum seconds between two comments from one address or "
    "client (flood rule, 429). 0 disables.",
    "post_rate_limit": "Most comments per address or client within the rate window (429). "
    "0 disables.",
    "post_rate_window_seconds": "The rate window, in seconds.",
    "duplicate_window_seconds": "Same body from the same address or client within this many "
    "seconds, on any article, is a 409. 0 disables.",
    "max_links": "A comment with at least this many links is flagged for a moderator. 0 disables.",
    "disallowed_terms": "Comma-separated terms; a comment containing one is held as spam.",
    "moderation_terms": "Comma-separated terms; a comment containing one is flagged.",
    "max_reply_depth": "Deepest reply level; a reply to a comment at this depth is a 400.",
    "spam_retention_days": "Spam older than this is purged. 0 disables the purge.",
    "stale_pending_days": "Pending comments older than this are reported as stale "
    "(never expired silently).",
    "comment_max_body_bytes": "Largest comment request body (413 above).",
    "admin_max_body_bytes": "Largest editor request body (413 above).",
    "metrics_enabled": "Serve Prometheus metrics at `/metrics`.",
    "max_posts_in_flight": "Comment posts one worker handles at once; more are answered 503 "
    "with `Retry-After` before any work, so overload is refused fast.",
}

ENV_PREFIX = "BYLINE_"


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _parse_int(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _parse_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _parse_networks(text: str) -> tuple[IPNetwork, ...]:
    networks, bad = [], []
    for item in _parse_list(text):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            bad.append(str(exc))
    if bad:  # every bad item at once, as for the settings themselves
        raise ValueError("; ".join(bad))
    return tuple(networks)


def _parse_log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return level


_PARSERS: dict[str, Callable[[str], Any]] = {
    "host": str.strip,
    "database": str.strip,
    "demo": _parse_bool,
    "metrics_enabled": _parse_bool,
    "log_level": _parse_log_level,
    "trusted_proxies": _parse_networks,
    "cors_origins": _parse_list,
    "disallowed_terms": _parse_list,
    "moderation_terms": _parse_list,
}


def setting_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings)]


def load_settings(env: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build Settings from the environment, then apply already-typed CLI overrides."""
    values: dict[str, Any] = {}
    known = {ENV_PREFIX + name.upper() for name in setting_names()}
    # A misspelt variable would otherwise be ignored without a word.
    problems = [
        f"{key}: not a known setting"
        for key in sorted(env)
        if key.startswith(ENV_PREFIX) and key not in known
    ]
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    for name in setting_names():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None or name in given:  # a flag wins, even over a malformed variable
            continue
        parse = _PARSERS.get(name, _parse_int)
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            problems.append(f"{ENV_PREFIX}{name.upper()}: {exc}")
    values.update(given)
    problems.extend(_check(values))
    if problems:
        raise SettingsError(problems)
    return Settings(**values)


_SECONDS_IN_TEN_YEARS = 10 * 365 * 24 * 3600
# The largest value each time setting may take: beyond these a moment falls outside
# what dates can hold (a 500 on every request that needs it), and a value that large
# only ever means "never", which these sizes say as well.
_LONGEST: dict[str, int] = {
    "public_max_age": 365 * 24 * 3600,
    "edit_window_seconds": _SECONDS_IN_TEN_YEARS,
    "post_min_interval_seconds": _SECONDS_IN_TEN_YEARS,
    "post_rate_window_seconds": _SECONDS_IN_TEN_YEARS,
    "duplicate_window_seconds": _SECONDS_IN_TEN_YEARS,
    "spam_retention_days": 36_500,
    "stale_pending_days": 36_500,
}
_SMALLEST: dict[str, int] = {
    "post_rate_window_seconds": 1,
    "comment_max_body_bytes": 1024,
    "admin_max_body_bytes": 1024,
    "max_posts_in_flight": 1,
}


def _check(values: Mapping[str, Any]) -> list[str]:
    problems = []
    port = values.get("port", Settings.port)
    if not 0 < port < 65536:
        problems.append(f"port: {port} is not between 1 and 65535")
    host = str(values.get("host", Settings.host))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # The server binds addresses, not names: "localhost" would fail only at start.
        problems.append(f"host: {host!r} is not an IP address (such as 127.0.0.1 or 0.0.0.0)")
    if values.get("workers", Settings.workers) < 1:
        problems.append("workers: must be at least 1")
    database = str(values.get("database", Settings.database))
    if not database:
        problems.append("database: must not be empty")
    elif database == ":memory:":
        # Each connection would open a database of its own: the server's readers
        # and writer would never see each other's tables.
        problems.append("database: must be the path of a file")
    for name, smallest in _SMALLEST.items():
        if values.get(name, getattr(Settings, name)) < smallest:
            problems.append(f"{name}: must be at least {smallest}")
    for name, longest in _LONGEST.items():
        if values.get(name, getattr(Settings, name)) > longest:
            problems.append(f"{name}: must be at most {longest}")
    return problems
