"""Gentle copies (idle I/O priority, bandwidth limit) and the in-use check scanned once per batch."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cacherr.demo.lab import Lab
from cacherr.domain.cache import CacheMode
from cacherr.fileops.faults import Faults
from cacherr.fileops.gentle import COPY_NICE, IOPRIO_CLASS_IDLE, io_priority_class
from cacherr.fileops.inuse import Holder, Key, ProcScan, scan_open_files
from tests.fileops.conftest import FILES, EngineFactory
from tests.fileops.helpers import action, where

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"


class ClassAtChunk(Faults):
    """Records the I/O class of the thread that runs the copy loop."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[int | None] = []
        self.nice: list[int] = []

    def hit(self, name: str) -> None:
        if name == "copy:chunk":
            self.classes.append(io_priority_class())
            self.nice.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        super().hit(name)


def test_copies_run_at_idle_io_priority_and_the_thread_gets_its_class_back(lab: Lab, engine_for: EngineFactory) -> None:
    before = io_priority_class()
    faults = ClassAtChunk()
    [res] = engine_for(lab, faults=faults, io_priority="idle").execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok, res.message
    assert faults.classes and set(faults.classes) == {IOPRIO_CLASS_IDLE}
    assert io_priority_class() == before


def test_idle_copies_are_niced_so_the_dashboard_and_plex_get_the_cpu_first(lab: Lab,
                                                                           engine_for: EngineFactory) -> None:
    """Issue 15 item 6 ("ionice class idle, nice"): on a busy 2-core NAS a copy's kernel work otherwise
    competes with the web server (status p99 during a copy)."""
    faults = ClassAtChunk()
    [res] = engine_for(lab, faults=faults, io_priority="idle").execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok, res.message
    assert faults.nice and set(faults.nice) == {COPY_NICE}
    if os.geteuid() != 0:
        pytest.skip("lowering a thread's nice value again needs CAP_SYS_NICE (root): the rest checks that")
    faults = ClassAtChunk()
    [res] = engine_for(lab, faults=faults, io_priority="normal").execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok and COPY_NICE not in faults.nice


def test_normal_io_priority_leaves_the_copy_alone(lab: Lab, engine_for: EngineFactory) -> None:
    faults = ClassAtChunk()
    [res] = engine_for(lab, faults=faults, io_priority="normal").execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok and IOPRIO_CLASS_IDLE not in faults.classes


def test_bandwidth_limit_paces_the_copy(lab: Lab, engine_for: EngineFactory) -> None:
    size = FILES[MOVIE]  # a little over 3 MiB
    rate = 6_000_000
    started = time.monotonic()
    [res] = engine_for(lab, bandwidth=rate, chunk=64 << 20).execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    took = time.monotonic() - started
    assert res.ok, res.message
    assert took >= (size - (1 << 20)) / rate, f"{size} bytes at most {rate} B/s took only {took:.2f}s"


def test_in_use_check_scans_proc_once_per_batch(lab: Lab, engine_for: EngineFactory) -> None:
    scans: list[int] = []

    def counted() -> dict[Key, list[Holder]]:
        scans.append(1)
        return scan_open_files()

    check = ProcScan(max_age=3600, scan=counted)
    engine = engine_for(lab, in_use=check)
    results = engine.execute([action(lab, rel) for rel in FILES], mode=CacheMode.MOVE)
    assert all(r.ok for r in results), [r.message for r in results]
    assert len(scans) == 1, f"{len(scans)} /proc scans for one batch of {len(FILES)} moves"
    assert all(where(lab, rel) == "cache" for rel in FILES)
    engine.execute([], mode=CacheMode.MOVE)
    assert len(scans) == 1, "a batch that checks no file must not scan"


def test_in_use_map_sees_a_real_reader_and_a_move_waits(lab: Lab, engine_for: EngineFactory) -> None:
    src = lab.array(MOVIE)
    reader = subprocess.Popen([sys.executable, "-c", "import sys,time; f=open(sys.argv[1],'rb'); print(1, flush=True); "
                               "time.sleep(30)", str(src)], stdout=subprocess.PIPE)
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == b"1"
        check = ProcScan()
        assert [h.pid for h in check(str(src))] == [reader.pid]
        [res] = engine_for(lab, in_use=check).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
        assert res.skipped and "in use" in res.message
        assert where(lab, MOVIE) == "array"
    finally:
        reader.kill()
        reader.communicate()  # reaps it and closes its pipes


def test_proc_scan_rescans_when_its_map_is_older_than_max_age(tmp_path: Path) -> None:
    scans: list[int] = []

    def counted() -> dict[Key, list[Holder]]:
        scans.append(1)
        return {}

    f = tmp_path / "f"
    f.write_bytes(b"x")
    check = ProcScan(max_age=0.0, scan=counted)
    check(str(f))
    time.sleep(0.01)
    check(str(f))
    assert len(scans) == 2
