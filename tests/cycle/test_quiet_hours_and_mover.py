"""Quiet hours hold back scheduled cycles and real time; a running Unraid mover holds back every cycle.

The mover is a real process whose command line names the mover, behind a real pid file."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cacherr.adapters.cycle_lock import LOCK_FILE, CycleLock
from cacherr.adapters.local_disk import LocalDisk
from cacherr.adapters.sqlite_cycles import SqliteCycleHistory
from cacherr.adapters.unraid_mover import STALE_AFTER, MoverPidFile
from cacherr.domain.media import Reason
from cacherr.scheduler import CacheScheduler
from cacherr.services.cycle import CycleService
from cacherr.settings_store import SettingsStore
from tests.cycle.world import World


@pytest.fixture
def mover_process() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["bash", "-c", "exec -a mover sleep 60"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until exec has renamed the process (its argv[0] is "mover")
        if Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")[0] == b"mover":
            break
        time.sleep(0.01)
    else:
        pytest.fail("the stand-in mover process did not start")
    yield proc
    proc.kill()
    proc.wait()


def service_with_mover(world: World, pid_file: Path, in_container: bool = False) -> CycleService:
    return CycleService(settings=lambda: world.settings, media_server=lambda: world.server,
                        engine=lambda: world.engine, registry=world.registry,
                        history=SqliteCycleHistory(world.db), lock=CycleLock(world.config / LOCK_FILE),
                        clock=world.clock, disk=LocalDisk(),
                        mover=lambda: MoverPidFile(pid_file, in_container=in_container))


def test_a_live_mover_is_seen_and_a_stale_pid_file_is_not(tmp_path: Path,
                                                          mover_process: subprocess.Popen[bytes]) -> None:
    pid_file = tmp_path / "mover.pid"
    assert MoverPidFile(pid_file).running() is None  # no file
    pid_file.write_text(f"{mover_process.pid}\n")
    reason = MoverPidFile(pid_file).running()
    assert reason is not None and str(mover_process.pid) in reason
    pid_file.write_text(f"{os.getpid()}\n")  # a live process that is not the mover (a reused pid)
    assert MoverPidFile(pid_file).running() is None
    mover_process.kill()
    mover_process.wait()
    pid_file.write_text(f"{mover_process.pid}\n")
    assert MoverPidFile(pid_file, in_container=False).running() is None  # gone: stale
    # In a container the host's processes are invisible: a fresh file counts, an old one does not.
    assert MoverPidFile(pid_file, in_container=True).running() is not None
    old = time.time() - STALE_AFTER - 60
    os.utime(pid_file, (old, old))
    assert MoverPidFile(pid_file, in_container=True).running() is None


def test_a_hostile_pid_file_is_never_followed_or_blocked_on(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("1\n")
    link = tmp_path / "link.pid"
    link.symlink_to(target)
    assert MoverPidFile(link, in_container=True).running() is None
    fifo = tmp_path / "fifo.pid"
    os.mkfifo(fifo)
    assert MoverPidFile(fifo, in_container=True).running() is None  # returns at once, no hang
    junk = tmp_path / "junk.pid"
    junk.write_bytes(b"\xff" * 10_000)
    assert MoverPidFile(junk, in_container=True).running() is None


def test_a_cycle_is_skipped_while_the_mover_runs(world: World, tmp_path: Path,
                                                 mover_process: subprocess.Popen[bytes]) -> None:
    pid_file = tmp_path / "mover.pid"
    pid_file.write_text(str(mover_process.pid))
    service = service_with_mover(world, pid_file)
    film = world.movie("m1", "Heat")
    world.want(film, "alice", Reason.WATCHLIST)
    report = service.run("manual")
    assert report.status == "skipped" and "mover is running" in report.message
    assert world.on_cache() == set()
    pid_file.unlink()  # the mover finished
    assert service.run("manual").status == "ok"
    assert world.cached_keys() == {"m1"}


def test_real_time_waits_for_the_mover(world: World, tmp_path: Path,
                                       mover_process: subprocess.Popen[bytes]) -> None:
    pid_file = tmp_path / "mover.pid"
    pid_file.write_text(str(mover_process.pid))
    service = service_with_mover(world, pid_file)
    show = world.show("Dark", 3)
    assert service.cache_next_for_session("alice", show[0].key) is None
    assert world.on_cache() == set()
    pid_file.unlink()
    report = service.cache_next_for_session("alice", show[0].key)
    assert report is not None and world.cached_keys() == {show[1].key, show[2].key}


@pytest.fixture
def quiet_store(world: World) -> SettingsStore:
    world.set(QUIET_HOURS="11:00-13:00", TZ="Etc/UTC")  # the world's clock stands at 12:00 UTC
    env = {k: str(v) for k, v in world.values.items()}
    store = SettingsStore(world.config, env)
    world.settings = store.current
    return store


def test_scheduled_cycles_skip_quiet_hours_but_manual_ones_run(world: World, quiet_store: SettingsStore) -> None:
    sched = CacheScheduler(world.service, quiet_store)
    film = world.movie("m1", "Heat")
    world.want(film, "alice", Reason.WATCHLIST)
    sched.run_scheduled_cycle()
    assert world.service.history(5) == [] and world.on_cache() == set()
    world.clock.advance(hours=1, minutes=1)  # 13:01: outside the window
    sched.run_scheduled_cycle()
    assert world.cached_keys() == {"m1"}
    sched.shutdown()


def test_real_time_is_held_back_in_quiet_hours_unless_allowed(world: World, quiet_store: SettingsStore) -> None:
    show = world.show("Dark", 2)
    assert world.service.cache_next_for_session("alice", show[0].key) is None
    assert world.on_cache() == set()
    world.set(QUIET_HOURS="11:00-13:00", QUIET_HOURS_REALTIME="true")
    assert world.service.cache_next_for_session("alice", show[0].key) is not None
    assert world.cached_keys() == {show[1].key}


def test_next_run_skips_quiet_hours(world: World) -> None:
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    window = f"{start:%H:%M}-{(start + timedelta(hours=2)):%H:%M}"
    env = {k: str(v) for k, v in world.values.items()}
    env.update({"SCHEDULE": "every 30m", "QUIET_HOURS": window, "TZ": "Etc/UTC"})
    store = SettingsStore(world.config, env)
    sched = CacheScheduler(world.service, store)
    sched.start()
    try:
        nxt = sched.next_run_time
        assert nxt is not None and nxt >= start + timedelta(hours=2) - timedelta(seconds=1)
        assert sched.status()["quiet_hours"] == [window]
    finally:
        sched.shutdown()
