"""Disks that sleep: a steady-state cycle (everything wanted already cached) makes no system call on the array
side. The cycle runs in this process while a real ``strace`` is attached to every thread; each traced call that
names a path (or, with ``-y``, a descriptor) under the array root fails the test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cycle.real_world import RealWorld

STRACE = shutil.which("strace")


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


def traced(out: Path, action: object) -> str:
    assert callable(action)
    proc = subprocess.Popen([STRACE or "strace", "-f", "-y", "-qq", "-e", "trace=%file,%desc",
                             "-o", str(out), "-p", str(os.getpid())], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == 0):
            os.listdir(out.parent)  # traced calls: once one shows up in the file, strace is attached
            time.sleep(0.05)
        assert out.stat().st_size > 0, "strace did not attach"
        action()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    return out.read_text(errors="replace")


@pytest.mark.skipif(STRACE is None and os.environ.get("CACHERR_REQUIRE_ALL") != "1",
                    reason="needs strace (apt-get install strace)")
def test_a_steady_state_cycle_makes_no_array_side_call(rw: RealWorld, tmp_path: Path) -> None:
    andor = rw.show("Andor", 4)
    heat = rw.movie("Heat", 1995)
    rw.plex.mark_watched("alice", andor.episode(1, 1))
    rw.plex.set_progress("bob", heat, 120_000)
    first = rw.service.run("manual")
    assert first.status == "ok" and first.cached, first.message
    assert rw.service.run("manual").status == "ok"  # settles: nothing left to do
    log = traced(tmp_path / "trace.txt", lambda: rw.service.run("manual"))
    array = str(rw.lab.array_root)
    hits = [line for line in log.splitlines() if array in line]
    assert "cacherr.db" in log or rw.config.name in log, "the trace saw the cycle's own calls"
    assert hits == [], "array-side calls in a steady-state cycle:\n" + "\n".join(hits[:40])
