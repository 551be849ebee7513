"""``SingleFlight``: one cycle at a time, across threads and processes: a thread lock plus ``flock`` on a file in
CONFIG_DIR. (Was ``services/cycle_lock.py``; the services see the ``ports.SingleFlight`` protocol only.)

The CLI, the web API, the scheduler and the real-time triggers all take this lock. It is
non-blocking by default: a second caller gets ``CycleBusy`` at once, with who holds it.

``busy`` (polled by the dashboard) never takes a lock: taking even a shared one to ask would make a real cycle's
``LOCK_EX|LOCK_NB`` fail ("another Cacherr process is running a cycle"). It looks the lock file's inode up in
``/proc/locks``; where that cannot be read, it reads the holder's pid (written after taking the lock, cleared
before releasing it) and checks that the process is alive.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cacherr.domain.errors import CycleBusy

LOCK_FILE = "cycle.lock"
_HELD_IN_THIS_PROCESS: set[Path] = set()  # lock files a CycleLock of this process holds (a pid names a process)


class CycleLock:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._thread_lock = threading.Lock()
        self.holder = ""  # trigger of the cycle holding the lock in this process

    @property
    def held_here(self) -> bool:
        """True while a cycle runs in this process."""
        return self._thread_lock.locked()

    @property
    def busy(self) -> bool:
        """True while a cycle runs in this process or another one."""
        if self._thread_lock.locked():
            return True
        flocked = _flocked(self.path)
        return _holder_alive(self.path) if flocked is None else flocked

    @contextmanager
    def hold(self, trigger: str, wait: float = 0.0) -> Iterator[None]:
        """Hold the lock for the block; raise ``CycleBusy`` if it is not free within ``wait`` seconds."""
        got = self._thread_lock.acquire(timeout=wait) if wait > 0 else self._thread_lock.acquire(blocking=False)
        if not got:
            raise CycleBusy(f"a cycle is already running in this process ({self.holder or 'unknown trigger'}); "
                            "try again when it has finished")
        try:
            fd = self._flock(trigger, wait)
            try:
                self.holder = trigger
                _HELD_IN_THIS_PROCESS.add(self.path.absolute())
                yield
            finally:
                self.holder = ""
                _HELD_IN_THIS_PROCESS.discard(self.path.absolute())
                os.ftruncate(fd, 0)  # clear the holder's pid first: `busy` reads it
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            self._thread_lock.release()

    def _flock(self, trigger: str, wait: float) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    other = _read(fd)
                    os.close(fd)
                    raise CycleBusy(f"another Cacherr process is running a cycle ({other or 'pid unknown'}, lock "
                                    f"{self.path}); try again when it has finished") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {trigger}".encode(), 0)
        return fd


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def _flocked(path: Path, locks: str = "/proc/locks") -> bool | None:
    """Whether some process holds a ``flock`` on ``path``, from the kernel's lock table; None when unknown."""
    try:
        st = os.stat(path)
        table = Path(locks).read_text()
    except FileNotFoundError:
        return False if not path.exists() else None
    except OSError:
        return None
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    recorded = None
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK":  # "N: -> FLOCK" lines only wait
            continue
        if fields[5] == wanted:
            return True
        if fields[5].rsplit(":", 1)[-1] == str(st.st_ino):
            # Same inode, other device number: btrfs subvolumes report another st_dev than the lock table.
            # It is ours when the lock's owner is the pid the holder wrote into the file.
            recorded = _pid_of(_text(path)) if recorded is None else recorded
            if recorded is not None and fields[4] == str(recorded):
                return True
    return False


def _text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _holder_alive(path: Path) -> bool:
    """True when the lock file names a live process (written by ``hold``, cleared on release)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    pid = _pid_of(text)
    if pid is None:
        return False
    if pid == os.getpid():  # another CycleLock here, or a stale record from an earlier run with our pid
        return path.absolute() in _HELD_IN_THIS_PROCESS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False  # the holder died without clearing (its flock went with it)
    except PermissionError:
        return True
    return True


def _pid_of(text: str) -> int | None:
    head = text.strip().split(",", 1)[0]
    if not head.startswith("pid "):
        return None
    try:
        return int(head[4:])
    except ValueError:
        return None
