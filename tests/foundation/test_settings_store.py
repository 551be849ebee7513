"""SettingsStore on a real config folder: atomic saves, env locks, reloads, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cacherr.domain.errors import ConfigError
from cacherr.settings import Settings
from cacherr.settings_store import CONFIG_FILE, SettingsStore


def test_save_writes_json_atomically_and_applies_without_restart(config_dir: Path) -> None:
    store = SettingsStore(config_dir, env={})
    seen: list[Settings] = []
    store.subscribe(seen.append)
    new = store.save({"NUMBER_EPISODES": 9, "CACHE_LIMIT": "75%"})
    assert new.NUMBER_EPISODES == 9 and store.current.CACHE_LIMIT.percent == 75
    assert seen and seen[-1].NUMBER_EPISODES == 9
    saved = json.loads((config_dir / CONFIG_FILE).read_text())
    assert saved == {"NUMBER_EPISODES": 9, "CACHE_LIMIT": "75%"}
    assert oct((config_dir / CONFIG_FILE).stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in config_dir.iterdir()] == [CONFIG_FILE]  # no temporary file left behind
    assert store.source_of("NUMBER_EPISODES") == "file" and store.source_of("WEB_PORT") == "default"


def test_env_locked_fields_are_never_saved(config_dir: Path) -> None:
    store = SettingsStore(config_dir, env={"PLEX_TOKEN": "abcdefgh12345678", "WEB_PORT": "8080"})
    with pytest.raises(ConfigError, match="WEB_PORT: set by an environment variable"):
        store.save({"WEB_PORT": 9000})
    store.save({"DAYS_TO_MONITOR": 10})
    saved = json.loads((config_dir / CONFIG_FILE).read_text())
    assert saved == {"DAYS_TO_MONITOR": 10}
    assert "abcdefgh12345678" not in (config_dir / CONFIG_FILE).read_text()
    assert store.source_of("WEB_PORT") == "env" and store.current.WEB_PORT == 8080


def test_invalid_save_writes_nothing_and_keeps_current(config_dir: Path) -> None:
    store = SettingsStore(config_dir, env={})
    store.save({"NUMBER_EPISODES": 4})
    before = (config_dir / CONFIG_FILE).read_bytes()
    with pytest.raises(ConfigError) as info:
        store.save({"NUMBER_EPISODES": -1, "CACHE_LIMIT": "lots"})
    assert any(p.startswith("NUMBER_EPISODES=-1:") for p in info.value.problems)
    assert "CACHE_LIMIT=lots: expected a size like 500GB or a percentage like 80%" in info.value.problems
    assert (config_dir / CONFIG_FILE).read_bytes() == before
    assert store.current.NUMBER_EPISODES == 4


def test_reload_picks_up_file_changes(config_dir: Path) -> None:
    store = SettingsStore(config_dir, env={})
    (config_dir / CONFIG_FILE).write_text(json.dumps({"WATCHED_MOVE": False}))
    assert store.current.WATCHED_MOVE is True
    assert store.reload().WATCHED_MOVE is False


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"NUMBER_EPISODE": 3}', "NUMBER_EPISODE: unknown setting"),
])
def test_bad_config_file_is_named_and_left_untouched(config_dir: Path, content: str, message: str) -> None:
    path = config_dir / CONFIG_FILE
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        SettingsStore(config_dir, env={})
    assert path.read_text() == content


def test_secret_saved_from_web_round_trips(config_dir: Path) -> None:
    store = SettingsStore(config_dir, env={})
    store.save({"NOTIFY_URLS": ["json://127.0.0.1:9/hook"], "PLEX_TOKEN": "tokentokentoken1"})
    again = SettingsStore(config_dir, env={})
    assert again.current.PLEX_TOKEN.get_secret_value() == "tokentokentoken1"
    assert [u.get_secret_value() for u in again.current.NOTIFY_URLS] == ["json://127.0.0.1:9/hook"]


def test_a_bad_environment_value_is_named_in_plain_words(config_dir: Path) -> None:
    with pytest.raises(ConfigError) as err:
        SettingsStore(config_dir, env={"NUMBER_EPISODES": "-3", "CACHE_ARTWORK": "sometimes"})
    text = "\n".join(err.value.problems)
    assert "NUMBER_EPISODES=-3: must be 0 or more" in text
    assert "CACHE_ARTWORK=sometimes: must be true or false" in text
    assert "Input should" not in text
