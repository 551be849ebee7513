"""Disks that sleep: a steady-state cycle (everything wanted already cached) makes no system call on the array
side. The cycle runs in this process while a real ``strace`` is attached to every thread; each traced call that
names a path (or, with ``-y``, a descriptor) under the array root fails the test."""

from __future__ import annotations

import itertools
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
        proc.communicate(timeout=10)  # reaps it and closes its stderr pipe
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


@pytest.mark.root
def test_copies_are_grouped_by_array_disk_and_the_disks_woken_are_recorded(tmp_path: Path,
                                                                           clean_env: dict[str, str]) -> None:
    """Two array disks (the movies folder is a second filesystem): the planner interleaves their files by
    priority, the engine copies one disk's files together, and the history names both disks once."""
    from tests.conftest import require_root

    require_root()
    rw = RealWorld(tmp_path, values={"MAX_CONCURRENT_MOVES_CACHE": "1", "NUMBER_EPISODES": "3"})
    movies = rw.lab.array_root / "movies"
    movies.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(movies)], check=True)
    try:
        andor = rw.show("Andor", 5)
        films = [rw.movie(f"Film {n}", 2000 + n) for n in range(3)]
        rw.plex.mark_watched("alice", andor.episode(1, 1))
        for n, film in enumerate(films):
            rw.plex.set_progress("bob", film, 60_000 * (n + 1))
        report = rw.service.run("manual")
        assert report.status == "ok", report.message
        order = [r["array_path"] for r in rw.db.query("SELECT array_path FROM file_ops ORDER BY id")]
        on_movies = [str(movies) in p for p in order]
        assert on_movies.count(True) == 3 and on_movies.count(False) >= 3
        switches = sum(1 for a, b in itertools.pairwise(on_movies) if a != b)
        assert switches == 1, f"copies went back and forth between disks: {order}"
        woken = rw.service.history(1)[0]["summary"]["disks_woken"]
        assert len(woken) == 2 and all(w.startswith("device ") for w in woken)
        assert rw.service.run("manual").status == "ok"
        assert rw.service.history(1)[0]["summary"]["disks_woken"] == []  # steady state: none woken
    finally:
        rw.close()
        subprocess.run(["umount", "-l", str(movies)], check=False)
