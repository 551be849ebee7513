"""Settings: parsing, precedence, one line per problem, secrets masked."""

from __future__ import annotations

import pytest

from cacherr.domain.errors import ConfigError
from cacherr.settings import (
    SECRET_FIELDS,
    Schedule,
    Settings,
    SizeLimit,
    build_settings,
    display_value,
    env_locked,
    mask,
    parse_size,
)

REQUIRED_NAMES = """PLEX_URL PLEX_TOKEN PLEX_SOURCE REAL_SOURCE CACHE_DESTINATION COPY_TO_CACHE TEST_MODE
NUMBER_EPISODES DAYS_TO_MONITOR USERS_TOGGLE SKIP_ONDECK_USERS SKIP_WATCHLIST_USERS WATCHLIST_TOGGLE
WATCHLIST_EPISODES WATCHED_MOVE CACHE_RETENTION_HOURS CACHE_LIMIT MIN_FREE_SPACE MAX_CONCURRENT_MOVES_CACHE
MAX_CONCURRENT_MOVES_ARRAY EXIT_IF_ACTIVE_SESSION PATH_MAPPINGS USE_SYMLINKS VERIFY SCHEDULE WEB_PORT PUID PGID
UMASK TZ LOG_LEVEL NOTIFY_URLS TRAKT_CLIENT_ID""".split()


def test_every_name_the_peers_use_exists() -> None:
    missing = [n for n in REQUIRED_NAMES if n not in Settings.model_fields]
    assert missing == []


def test_defaults_are_valid_and_sensible() -> None:
    s = build_settings({}, {})
    assert s.WEB_PORT == 5445 and s.PUID == 99 and s.PGID == 100 and s.COPY_TO_CACHE is True
    assert s.VERIFY == "size" and s.SCHEDULE.interval_seconds == 6 * 3600
    assert SizeLimit() == s.CACHE_LIMIT and s.CACHE_LIMIT.resolve(1000) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("500GB", 500 * 1024**3), ("1.5T", int(1.5 * 1024**4)), ("800MiB", 800 * 1024**2),
    ("1048576", 1048576), ("10 g", 10 * 1024**3), ("2KB", 2048),
])
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(("text", "limit", "resolved"), [
    ("80%", SizeLimit(percent=80.0), 800), ("100GB", SizeLimit(bytes=100 * 1024**3), 100 * 1024**3),
    ("", SizeLimit(), None), ("0", SizeLimit(), None),
])
def test_size_limit(text: str, limit: SizeLimit, resolved: int | None) -> None:
    assert SizeLimit.parse(text) == limit
    assert limit.resolve(1000) == resolved


@pytest.mark.parametrize(("text", "cron", "seconds"), [
    ("6h", None, 21600), ("every 30m", None, 1800), ("1d", None, 86400),
    ("0 */6 * * *", "0 */6 * * *", None), ("off", None, None),
])
def test_schedule(text: str, cron: str | None, seconds: int | None) -> None:
    s = Schedule.parse(text)
    assert (s.cron, s.interval_seconds) == (cron, seconds)


def test_env_wins_over_json_which_wins_over_defaults() -> None:
    s = build_settings({"NUMBER_EPISODES": 7, "DAYS_TO_MONITOR": 3}, {"NUMBER_EPISODES": "2"})
    assert s.NUMBER_EPISODES == 2 and s.DAYS_TO_MONITOR == 3 and s.CACHE_RETENTION_HOURS == 12
    assert env_locked({"NUMBER_EPISODES": "2", "HOME": "/root"}) == {"NUMBER_EPISODES"}


def test_env_values_are_parsed_like_users_write_them() -> None:
    s = build_settings({}, {
        "SKIP_ONDECK_USERS": "alice, bob ,", "COPY_TO_CACHE": "false", "CACHE_LIMIT": "80%",
        "NOTIFY_URLS": "json://127.0.0.1/x,ntfy://topic", "USE_SYMLINKS": "yes",
        "PATH_MAPPINGS": '[{"name":"tv","plex_path":"/data/tv","real_path":"/mnt/user0/tv","cache_path":"/mnt/cache/tv"}]',
    })
    assert s.SKIP_ONDECK_USERS == ["alice", "bob"] and s.COPY_TO_CACHE is False and s.USE_SYMLINKS is True
    assert [u.get_secret_value() for u in s.NOTIFY_URLS] == ["json://127.0.0.1/x", "ntfy://topic"]
    assert [m.name for m in s.path_mappings()] == ["tv"]
    assert s.path_mappings()[0].array_path == "/mnt/user0/tv"


def test_single_mapping_from_the_three_classic_settings() -> None:
    s = build_settings({}, {"PLEX_SOURCE": "/data/", "REAL_SOURCE": "/mnt/user0/media", "CACHE_DESTINATION": "/mnt/cache/media"})
    (m,) = s.path_mappings()
    assert (m.plex_path, m.array_path, m.cache_path) == ("/data", "/mnt/user0/media", "/mnt/cache/media")


def test_every_problem_on_its_own_line_naming_variable_value_and_fix() -> None:
    with pytest.raises(ConfigError) as info:
        build_settings({}, {"CACHE_LIMIT": "abc", "WEB_PORT": "99999", "VERIFY": "md5", "SCHEDULE": "sometimes",
                            "REAL_SOURCE": "mnt/user0", "PLEX_URL": "plex:32400"})
    lines = info.value.problems
    assert "CACHE_LIMIT=abc: expected a size like 500GB or a percentage like 80%" in lines
    assert any(line.startswith("WEB_PORT=99999:") and "65535" in line for line in lines)
    assert any(line.startswith("VERIFY=md5:") and "'size'" in line and "'hash'" in line for line in lines)
    assert any(line.startswith("SCHEDULE=sometimes:") and "cron" in line for line in lines)
    assert any(line.startswith("REAL_SOURCE=mnt/user0:") and "absolute" in line for line in lines)
    assert any(line.startswith("PLEX_URL=plex:32400:") and "http" in line for line in lines)
    assert len(lines) == 6


def test_bad_token_is_reported_without_showing_it() -> None:
    token = "has spaces zq7x-hidden"
    with pytest.raises(ConfigError) as info:
        build_settings({}, {"PLEX_TOKEN": token})
    text = str(info.value)
    assert "PLEX_TOKEN=" in text and "expected a Plex token" in text
    assert "zq7x" not in text and "has spaces" not in text


def test_unknown_json_keys_are_rejected_by_name() -> None:
    with pytest.raises(ConfigError, match="PLEX_TOKN: unknown setting"):
        build_settings({"PLEX_TOKN": "x"}, {})


def test_secrets_are_masked_for_display() -> None:
    s = build_settings({}, {"PLEX_TOKEN": "abcdefghijklmnopqrst", "NOTIFY_URLS": "discord://webhook_id/webhook_token",
                            "TRAKT_CLIENT_ID": "0123456789abcdef0123"})
    assert display_value(s, "PLEX_TOKEN") == "****qrst"
    assert display_value(s, "NOTIFY_URLS") == ["discord://****"]
    assert "0123456789abcdef" not in str(display_value(s, "TRAKT_CLIENT_ID"))
    assert {"PLEX_TOKEN", "TRAKT_CLIENT_ID", "NOTIFY_URLS", "API_KEY", "WEB_PASSWORD", "WEBHOOK_SECRET"} <= SECRET_FIELDS
    assert mask("") == "" and mask("short") == "****"
    assert "abcdefghijklmnopqrst" not in repr(s)


def test_absurd_size_is_a_clear_error_not_a_crash() -> None:
    """Regression: CACHE_LIMIT='9'*500 raised OverflowError (a 500 in the web UI)."""
    with pytest.raises(ConfigError, match="CACHE_LIMIT=9+: expected a size like 500GB"):
        build_settings({}, {"CACHE_LIMIT": "9" * 500})
