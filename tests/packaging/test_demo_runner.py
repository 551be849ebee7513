"""The demo runner's pieces that need no server: the lab, the settings it passes, the port choice."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cacherr.demo.runner import DEMO_TOKEN, build_lab, demo_env, pick_port
from cacherr.demo.sample import demo_world, media_files
from cacherr.demo.trakt_emulator import TraktEmulator
from cacherr.settings import build_settings


def test_lab_holds_every_media_file_and_is_kept_between_runs(tmp_path: Path) -> None:
    files = media_files(demo_world(scale=0.01))
    lab = build_lab(tmp_path, files)
    for rel, size in files.items():
        assert lab.array(rel).stat().st_size == size
    assert lab.cache_root.is_dir() and not any(lab.cache_root.iterdir())
    marker = lab.array(next(iter(files)))
    before = marker.stat().st_mtime_ns
    again = build_lab(tmp_path, files)
    assert marker.stat().st_mtime_ns == before, "existing files are not rewritten"
    assert again.array_root == lab.array_root


def test_demo_settings_validate_and_point_at_the_lab_and_emulators(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEX_TOKEN", "host-token-must-not-leak")
    monkeypatch.setenv("TEST_MODE", "true")  # the host's Cacherr settings never reach the demo
    lab = build_lab(tmp_path, {"movies/A (2000)/A (2000).mkv": 10})
    with TraktEmulator() as trakt:
        env = demo_env(tmp_path, lab, "http://127.0.0.1:1234", 5999, 0.05, trakt)
        assert env["TRAKT_URL"] == trakt.url
    settings = build_settings({}, env)
    assert settings.PLEX_TOKEN.get_secret_value() == DEMO_TOKEN
    assert settings.PLEX_URL == settings.PLEX_TV_URL == "http://127.0.0.1:1234"
    assert (str(lab.array_root), str(lab.cache_root)) == (settings.REAL_SOURCE, settings.CACHE_DESTINATION)
    assert settings.WEB_HOST == "127.0.0.1" and settings.WEB_PORT == 5999
    assert settings.SCHEDULE.interval_seconds == 60
    assert env["CONFIG_DIR"] == str(tmp_path / "config")
    assert "TEST_MODE" not in env and not settings.TEST_MODE


def test_pick_port_finds_a_free_one_and_refuses_a_busy_one() -> None:
    port = pick_port(0)
    assert port > 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(SystemExit, match="is in use; pass --port 0"):
            pick_port(busy.getsockname()[1])
