"""CycleLock.busy is non-intrusive: pollers (the dashboard) never make a real cycle fail to take the lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from cacherr.adapters.cycle_lock import CycleLock, _flocked, _holder_alive

ATTEMPTS = 3000
POLLERS = 3

POLLER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from cacherr.adapters.cycle_lock import CycleLock
    lock, stop = CycleLock(Path(sys.argv[1])), Path(sys.argv[2])
    print("ready", flush=True)
    n = 0
    while not stop.exists():
        lock.busy
        n += 1
    print(n, flush=True)
""")

CYCLER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from cacherr.domain.errors import CycleBusy
    from cacherr.adapters.cycle_lock import CycleLock
    path, attempts = Path(sys.argv[1]), int(sys.argv[2])
    lock, poller, done = CycleLock(path), CycleLock(path), threading.Event()
    def poll():  # the dashboard's poll inside the process that runs the cycles
        while not done.is_set():
            poller.busy
    t = threading.Thread(target=poll, daemon=True)
    t.start()
    failures = seen_busy = 0
    for _ in range(attempts):
        try:
            with lock.hold("schedule"):
                seen_busy += poller.busy
        except CycleBusy:
            failures += 1
    done.set()
    print(failures, seen_busy, flush=True)
""")


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)


def test_busy_polls_never_make_a_real_cycle_fail_to_take_the_lock(tmp_path: Path) -> None:
    path, stop = tmp_path / "cycle.lock", tmp_path / "stop"
    pollers = [_python(POLLER, str(path), str(stop)) for _ in range(POLLERS)]
    try:
        for p in pollers:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        cycler = _python(CYCLER, str(path), str(ATTEMPTS))
        out, _ = cycler.communicate(timeout=300)
    finally:
        stop.touch()
        polls = [int(p.communicate(timeout=60)[0].strip() or 0) for p in pollers]
    failures, seen_busy = (int(v) for v in out.split())
    assert failures == 0, f"{failures} of {ATTEMPTS} cycles were refused because a poller asked whether one runs"
    assert seen_busy == ATTEMPTS  # a poller in the same process sees the held lock every time
    assert sum(polls) > 0  # the pollers did poll meanwhile (one may get no CPU on a loaded machine)


def test_busy_sees_a_cycle_in_another_process_and_the_release_clears_its_pid(tmp_path: Path) -> None:
    path, release = tmp_path / "cycle.lock", tmp_path / "release"
    holder = _python(textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from cacherr.adapters.cycle_lock import CycleLock
        with CycleLock(Path(sys.argv[1])).hold("cli"):
            print("held", flush=True)
            while not Path(sys.argv[2]).exists():
                time.sleep(0.01)
        print("released", flush=True)
    """), str(path), str(release))
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    lock = CycleLock(path)
    assert lock.busy
    assert _flocked(path) is True
    assert _flocked(path, locks=str(tmp_path / "no-proc-locks")) is None and _holder_alive(path)  # the fallback
    assert path.read_text() == f"pid {holder.pid}, cli"
    release.touch()
    assert holder.communicate(timeout=30)[0].strip() == "released"  # reaps it and closes its pipe
    assert holder.returncode == 0
    assert path.read_text() == ""
    assert not lock.busy and _flocked(path) is False and not _holder_alive(path)


def test_busy_ignores_a_pid_left_by_a_holder_that_died(tmp_path: Path) -> None:
    path = tmp_path / "cycle.lock"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path.write_text(f"pid {dead.pid}, schedule")
    assert not CycleLock(path).busy


def test_busy_ignores_a_stale_record_with_our_own_pid_but_sees_a_lock_held_here(tmp_path: Path) -> None:
    import os

    path = tmp_path / "cycle.lock"
    path.write_text(f"pid {os.getpid()}, schedule")  # e.g. a container restarted with the same pid
    other = CycleLock(path)
    assert not other.busy
    with CycleLock(path).hold("api"):
        assert other.busy
    assert not other.busy


def test_busy_matches_a_lock_table_entry_on_another_device_number_only_with_the_holders_pid(tmp_path: Path) -> None:
    """btrfs subvolumes: stat's st_dev differs from the lock table's device; the recorded pid decides."""
    path = tmp_path / "cycle.lock"
    path.write_text("pid 4242, schedule")
    ino = path.stat().st_ino
    table = tmp_path / "locks"
    table.write_text(f"1: FLOCK  ADVISORY  WRITE 4242 00:99:{ino} 0 EOF\n")
    assert _flocked(path, locks=str(table)) is True
    table.write_text(f"1: FLOCK  ADVISORY  WRITE 777 00:99:{ino} 0 EOF\n2: -> FLOCK  ADVISORY  WRITE 4242 00:99:{ino} 0 EOF\n")
    assert _flocked(path, locks=str(table)) is False
