"""The real server: ``start_in_thread`` over loopback, and ``cacherr serve`` stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cacherr.web.server import start_in_thread
from tests.web.conftest import World


def get_json(url: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, json.loads(r.read())


def test_start_in_thread_serves_and_stops(world: World) -> None:
    handle = start_in_thread(world.app, "127.0.0.1", 0)
    try:
        assert handle.port > 0 and handle.url.startswith("http://127.0.0.1:")
        status, body = get_json(handle.url + "/health")
        assert status == 200 and body["live"] is True
        assert get_json(handle.url + "/api/v1/status")[1]["cache"]["entries"] == 0
    finally:
        handle.stop()
    assert not handle.thread.is_alive()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", handle.port)) != 0


def current_setting(port: int, name: str) -> object:
    _, body = get_json(f"http://127.0.0.1:{port}/api/v1/settings")
    found = [f for f in body["settings"] if f["name"] == name]
    return found[0]["value"]


def wait_for_setting(port: int, name: str, value: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if current_setting(port, name) == value:
            return True
        time.sleep(0.1)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cacherr_serve_answers_then_exits_cleanly_on_sigterm(tmp_path: Path, clean_env: dict[str, str]) -> None:
    port = free_port()
    for d in ("array", "cache", "plex", "config"):
        (tmp_path / d).mkdir()
    env = {**os.environ, "CONFIG_DIR": str(tmp_path / "config"), "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port),
           "REAL_SOURCE": str(tmp_path / "array"), "CACHE_DESTINATION": str(tmp_path / "cache"),
           "PLEX_SOURCE": str(tmp_path / "plex"), "SCHEDULE": "off", "PLEX_URL": "http://127.0.0.1:9"}
    proc = subprocess.Popen([sys.executable, "-m", "cacherr", "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert status == 200 and body["database"] is True
        # SIGHUP re-reads cacherr_config.json edited by hand; a broken file keeps the running settings.
        config_file = tmp_path / "config" / "cacherr_config.json"
        config_file.write_text('{"NUMBER_EPISODES": 9}')
        proc.send_signal(signal.SIGHUP)
        assert wait_for_setting(port, "NUMBER_EPISODES", 9)
        config_file.write_text("{broken")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None and current_setting(port, "NUMBER_EPISODES") == 9
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "shutting down" in out
        # the handler ran (an ignored SIGHUP must fail this test, whatever else reloads the file)
        assert "settings reloaded on SIGHUP" in out and "settings not reloaded on SIGHUP" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()  # reaps it and closes its pipes


def test_recovery_at_start_waits_its_turn_behind_a_running_cycle(tmp_path: Path, clean_env: dict[str, str]) -> None:
    """Regression: `serve` starting while a `cacherr cycle` runs must not recover that cycle's live operations."""
    from cacherr.bootstrap import build_container
    from cacherr.runtime import start_up

    def logged_since(seq: int) -> str:
        return "\n".join(line for _, _, line in container.logs.ring.tail(after=seq, limit=500))

    for d in ("array", "cache"):
        (tmp_path / d).mkdir()
    env = {"REAL_SOURCE": str(tmp_path / "array"), "CACHE_DESTINATION": str(tmp_path / "cache")}
    container = build_container(tmp_path / "config", env, console_log=False)
    try:
        start = (container.logs.ring.tail(limit=1) or [(0, "", "")])[-1][0]
        with container.cycle_service().lock.hold("cli"):
            assert start_up(container.cycle_service()) == []
        assert "recovery at start skipped" in logged_since(start)
        start = (container.logs.ring.tail(limit=1) or [(0, "", "")])[-1][0]
        assert start_up(container.cycle_service()) == []  # free lock: recovery runs (nothing to recover here)
        assert "recovery at start skipped" not in logged_since(start)
    finally:
        container.close()
