"""Settings from BYLINE_* variables and CLI flags: defaults, parsing, every problem at once."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from service.config import SETTING_HELP, Settings, SettingsError, load_settings, setting_names
from service.server import settings_to_env


def test_an_empty_environment_gives_the_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert (settings.host, settings.port, settings.database) == ("127.0.0.1", 8000, "./byline.db")
    assert (settings.workers, settings.demo, settings.trusted_proxies) == (1, False, ())
    assert settings.edit_window_seconds == 900
    assert (settings.comment_max_body_bytes, settings.admin_max_body_bytes) == (65536, 1048576)


def test_variables_are_parsed_to_their_types() -> None:
    settings = load_settings(
        {
            "BYLINE_HOST": " 0.0.0.0 ",
            "BYLINE_PORT": "9000",
            "BYLINE_DATABASE": "/data/b.db",
            "BYLINE_WORKERS": "4",
            "BYLINE_DEMO": "yes",
            "BYLINE_METRICS_ENABLED": "off",
            "BYLINE_LOG_LEVEL": "debug",
            "BYLINE_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,::1",
            "BYLINE_CORS_ORIGINS": "https://a.example,https://b.example,",
            "BYLINE_DISALLOWED_TERMS": "casino , pills",
            "BYLINE_EDIT_WINDOW_SECONDS": "60",
        }
    )
    assert settings.host == "0.0.0.0"
    assert (settings.port, settings.workers, settings.edit_window_seconds) == (9000, 4, 60)
    assert settings.database == "/data/b.db"
    assert (settings.demo, settings.metrics_enabled) == (True, False)
    assert settings.log_level == "DEBUG"
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("192.168.0.0/16"),
        ipaddress.ip_network("::1/128"),
    )
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.disallowed_terms == ("casino", "pills")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "BYLINE_PORT": "eighty",
                "BYLINE_WORKERS": "0",
                "BYLINE_DEMO": "maybe",
                "BYLINE_LOG_LEVEL": "LOUD",
                "BYLINE_TRUSTED_PROXIES": "10.0.0.1,not-an-address",
                "BYLINE_EDIT_WINDOW_SECONDS": "-5",
                "BYLINE_DATABASE": "  ",
                "BYLINE_COMMENT_MAX_BODY_BYTES": "10",
                "BYLINE_PROT": "8000",
            }
        )
    problems = caught.value.problems
    assert problems == [
        "BYLINE_PROT: not a known setting",
        "BYLINE_PORT: expected a whole number",
        "BYLINE_DEMO: expected true or false",
        "BYLINE_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR",
        "BYLINE_EDIT_WINDOW_SECONDS: must not be negative",
        "BYLINE_TRUSTED_PROXIES: 'not-an-address' does not appear to be an IPv4 or IPv6 network",
        "workers: must be at least 1",
        "database: must not be empty",
        "comment_max_body_bytes: must be at least 1024",
    ]
    assert str(caught.value) == "; ".join(problems)


@pytest.mark.parametrize("port", ["0", "65536"])
def test_the_port_must_be_usable(port: str) -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings({"BYLINE_PORT": port})


def test_cli_flags_override_the_environment() -> None:
    env = {"BYLINE_PORT": "9000", "BYLINE_DATABASE": "env.db"}
    settings = load_settings(env, {"port": 9100, "database": None, "demo": True})
    assert (settings.port, settings.database, settings.demo) == (9100, "env.db", True)


def test_a_flag_wins_over_a_malformed_variable() -> None:
    assert load_settings({"BYLINE_PORT": "eighty"}, {"port": 9100}).port == 9100
    # A malformed variable that no flag replaces is still reported.
    with pytest.raises(SettingsError) as caught:
        load_settings({"BYLINE_PORT": "eighty", "BYLINE_WORKERS": "two"}, {"port": 9100})
    assert [problem.split(":")[0] for problem in caught.value.problems] == ["BYLINE_WORKERS"]


def test_cli_flags_are_checked_too() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({}, {"port": 70000, "workers": 0})
    assert caught.value.problems == [
        "port: 70000 is not between 1 and 65535",
        "workers: must be at least 1",
    ]


def test_other_variables_are_ignored() -> None:
    assert load_settings({"PATH": "/bin", "BYLINEX": "1", "byline_port": "1"}) == Settings()


def test_every_setting_has_help() -> None:
    assert set(SETTING_HELP) == set(setting_names())
    assert all(text.strip() for text in SETTING_HELP.values())


def test_settings_survive_the_trip_to_worker_processes() -> None:
    """`byline serve` hands settings to granian workers as BYLINE_* variables."""
    settings = load_settings(
        {
            "BYLINE_PORT": "9000",
            "BYLINE_DEMO": "true",
            "BYLINE_TRUSTED_PROXIES": "10.0.0.0/8,::1",
            "BYLINE_CORS_ORIGINS": "https://a.example",
            "BYLINE_LOG_LEVEL": "WARNING",
        }
    )
    env = settings_to_env(settings)
    assert set(env) == {"BYLINE_" + f.name.upper() for f in dataclasses.fields(Settings)}
    assert load_settings(env) == settings


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"BYLINE_HOST": "localhost"}, "host: 'localhost' is not an IP address"),
        (
            {"BYLINE_EDIT_WINDOW_SECONDS": "99999999999999999999"},
            "edit_window_seconds: must be at most 315360000",
        ),
        ({"BYLINE_SPAM_RETENTION_DAYS": "99999999"}, "spam_retention_days: must be at most 36500"),
        ({"BYLINE_STALE_PENDING_DAYS": "36501"}, "stale_pending_days: must be at most 36500"),
        ({"BYLINE_PUBLIC_MAX_AGE": "31536001"}, "public_max_age: must be at most 31536000"),
        (
            {"BYLINE_DUPLICATE_WINDOW_SECONDS": "315360001"},
            "duplicate_window_seconds: must be at most",
        ),
        ({"BYLINE_MAX_POSTS_IN_FLIGHT": "0"}, "max_posts_in_flight: must be at least 1"),
        ({"BYLINE_POST_RATE_WINDOW_SECONDS": "0"}, "post_rate_window_seconds: must be at least 1"),
        ({"BYLINE_ADMIN_MAX_BODY_BYTES": "0"}, "admin_max_body_bytes: must be at least 1024"),
    ],
)
def test_values_that_would_break_requests_are_refused_at_start(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(problem)


def test_the_largest_and_smallest_allowed_values_load() -> None:
    settings = load_settings(
        {
            "BYLINE_HOST": "::1",
            "BYLINE_EDIT_WINDOW_SECONDS": "315360000",
            "BYLINE_POST_RATE_WINDOW_SECONDS": "315360000",
            "BYLINE_POST_MIN_INTERVAL_SECONDS": "315360000",
            "BYLINE_DUPLICATE_WINDOW_SECONDS": "315360000",
            "BYLINE_SPAM_RETENTION_DAYS": "36500",
            "BYLINE_STALE_PENDING_DAYS": "36500",
            "BYLINE_MAX_POSTS_IN_FLIGHT": "1",
            "BYLINE_ADMIN_MAX_BODY_BYTES": "1024",
        }
    )
    assert settings.spam_retention_days == 36500 and settings.host == "::1"


def test_every_bad_proxy_is_reported() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"BYLINE_TRUSTED_PROXIES": "foo,10.0.0.1,10.0.0.0/33"})
    (problem,) = caught.value.problems
    assert "'foo'" in problem and "10.0.0.0/33" in problem
