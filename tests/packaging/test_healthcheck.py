"""cacherr-healthcheck, the image's HEALTHCHECK, against a real HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cacherr.healthcheck import check, health_urls

BIN = Path(sys.executable).parent


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(("env", "urls"), [
    ({}, ["http://127.0.0.1:5445/health"]),
    ({"WEB_PORT": ""}, ["http://127.0.0.1:5445/health"]),
    ({"WEB_PORT": "  "}, ["http://127.0.0.1:5445/health"]),
    ({"WEB_PORT": "8080"}, ["http://127.0.0.1:8080/health"]),
    ({"WEB_PORT": "junk"}, ["http://127.0.0.1:5445/health"]),
    ({"WEB_HOST": "0.0.0.0"}, ["http://127.0.0.1:5445/health"]),
    ({"WEB_HOST": ""}, ["http://127.0.0.1:5445/health"]),
    ({"WEB_HOST": "::"}, ["http://127.0.0.1:5445/health", "http://[::1]:5445/health"]),
    ({"WEB_HOST": "172.17.0.5", "WEB_PORT": "5446"}, ["http://172.17.0.5:5446/health"]),
    ({"WEB_HOST": "fd00::5"}, ["http://[fd00::5]:5445/health"]),
])
def test_health_urls(env: dict[str, str], urls: list[str], tmp_path: Path) -> None:
    assert health_urls({"CONFIG_DIR": str(tmp_path), **env}) == urls


def test_blank_web_port_checks_the_default_port_not_80(tmp_path: Path) -> None:
    """Regression: the Unraid template passes WEB_PORT blank; the old check asked port 80 and failed."""
    (url,) = health_urls({"WEB_PORT": "", "CONFIG_DIR": str(tmp_path)})
    assert url == "http://127.0.0.1:5445/health"


def test_web_host_the_container_address_is_asked_there(tmp_path: Path) -> None:
    """Regression: with WEB_HOST the container's own address, the server does not listen on 127.0.0.1."""
    assert health_urls({"WEB_HOST": "10.88.0.7", "CONFIG_DIR": str(tmp_path)}) == ["http://10.88.0.7:5445/health"]


def test_the_value_saved_from_the_dashboard_is_used_when_the_environment_is_blank(tmp_path: Path) -> None:
    (tmp_path / "cacherr_config.json").write_text(json.dumps({"WEB_PORT": 6000, "WEB_HOST": "127.0.0.1"}))
    assert health_urls({"CONFIG_DIR": str(tmp_path), "WEB_PORT": ""}) == ["http://127.0.0.1:6000/health"]
    assert health_urls({"CONFIG_DIR": str(tmp_path), "WEB_PORT": "7000"}) == ["http://127.0.0.1:7000/health"]
    (tmp_path / "cacherr_config.json").write_text("{broken")
    assert health_urls({"CONFIG_DIR": str(tmp_path)}) == ["http://127.0.0.1:5445/health"]


def test_check_passes_on_200_and_fails_when_nothing_answers(server: int, tmp_path: Path) -> None:
    ok, detail = check({"WEB_PORT": str(server), "CONFIG_DIR": str(tmp_path)})
    assert ok, detail
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    ok, detail = check({"WEB_PORT": str(closed), "CONFIG_DIR": str(tmp_path)}, timeout=2)
    assert not ok and str(closed) in detail


def test_console_script_exit_codes(server: int, tmp_path: Path) -> None:
    script = BIN / "cacherr-healthcheck"
    assert script.exists(), "pip install -e . installs the cacherr-healthcheck script"
    env = {"WEB_PORT": str(server), "WEB_HOST": "", "CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    assert subprocess.run([str(script)], env=env, capture_output=True, timeout=30, check=False).returncode == 0
    env["WEB_PORT"] = "1"
    assert subprocess.run([str(script)], env=env, capture_output=True, timeout=30, check=False).returncode == 1
