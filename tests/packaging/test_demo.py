"""`cacherr demo` end to end: a real process serving the dashboard, running cycles, stopping cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

START_TIMEOUT = 120.0
CYCLE_TIMEOUT = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env() -> dict[str, str]:
    from cacherr.settings import Settings

    return {k: v for k, v in os.environ.items() if k not in Settings.model_fields and k != "CONFIG_DIR"}


def _wait(what: str, probe: Callable[[], Any], timeout: float, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"cacherr demo exited ({proc.returncode}) while waiting for {what}:\n{_logs(log)}")
        try:
            value = probe()
        except (requests.RequestException, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}:\n{_logs(log)}")


def _logs(log: Path) -> str:
    out = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    serve = log.parent / "demo" / "serve.log"
    if serve.exists():
        out += "\n--- serve.log ---\n" + serve.read_text(errors="replace")[-4000:]
    return out


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_demo_serves_the_dashboard_runs_cycles_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    lab = tmp_path / "demo"
    log = tmp_path / "demo-output.txt"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cacherr", "demo", "--dir", str(lab), "--port", str(port),
                                 "--scale", "0.05", "--tick", "2"], stdout=out, stderr=subprocess.STDOUT,
                                env=_clean_env())
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("/health", lambda: requests.get(f"{url}/health", timeout=2).ok, START_TIMEOUT, proc, log)
        status = requests.get(f"{url}/api/v1/status", timeout=5)
        assert status.status_code == 200, status.text
        assert "cache" in status.json()
        # the banner follows the server's first healthy answer and the first cycle's start: wait for it
        _wait("the dashboard's address printed", lambda: f"{url}/" in log.read_text(), START_TIMEOUT, proc, log)

        def finished_cycle() -> dict[str, Any] | None:
            items = requests.get(f"{url}/api/v1/cycles", timeout=5).json()["items"]
            return next((c for c in items if c["finished_at"] and not c["dry_run"]), None)

        cycle = _wait("a finished cycle", finished_cycle, CYCLE_TIMEOUT, proc, log)
        assert cycle["status"] != "failed", cycle
        cache = lab / "mnt" / "cache" / "media"
        _wait("media on the cache", lambda: any(p.is_file() for p in cache.rglob("*.mkv")), CYCLE_TIMEOUT, proc, log)
        assert "started" in log.read_text() or "finished" in log.read_text(), "time passes in the household"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"cacherr demo did not stop within 60 s of SIGTERM:\n{_logs(log)}")
    assert code == 0, _logs(log)
    assert not _accepts(port), "the dashboard server stopped with the demo"
    assert (lab / "mnt" / "disk1" / "media").is_dir(), "--dir keeps the lab"
