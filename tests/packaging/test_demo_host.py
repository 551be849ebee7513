"""`cacherr demo --host`: the demo's dashboard can listen beyond loopback (docker run -p ... cacherr demo)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cacherr.demo.runner import Demo, DemoOptions, build_lab, demo_env, local_address, pick_port
from cacherr.settings import build_settings

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("", "127.0.0.1"), ("::", "[::1]"),
    ("192.0.2.4", "192.0.2.4"), ("fd00::4", "[fd00::4]"),
])
def test_local_address(host: str, address: str) -> None:
    assert local_address(host) == address


def test_the_demo_passes_its_host_to_the_server(tmp_path: Path) -> None:
    lab = build_lab(tmp_path, {"movies/A (2000)/A (2000).mkv": 10})
    env = demo_env(tmp_path, lab, "http://127.0.0.1:1234", 5999, 0.05, None, host="0.0.0.0")
    assert build_settings({}, env).WEB_HOST == "0.0.0.0"
    assert demo_env(tmp_path, lab, "http://127.0.0.1:1234", 5999, 0.05, None)["WEB_HOST"] == "127.0.0.1"


def test_pick_port_checks_the_address_it_will_listen_on() -> None:
    port = pick_port(0, "0.0.0.0")
    assert port > 0
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        with pytest.raises(SystemExit, match="is in use"):
            pick_port(busy.getsockname()[1], "0.0.0.0")


def test_demo_url_is_reachable_from_inside(tmp_path: Path) -> None:
    demo = Demo(DemoOptions(directory=tmp_path, host="0.0.0.0"))
    demo.port = 6001
    assert demo.url == "http://127.0.0.1:6001"


def test_cli_offers_host() -> None:
    out = subprocess.run([str(BIN / "cacherr"), "demo", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--host" in out and "0.0.0.0" in out
