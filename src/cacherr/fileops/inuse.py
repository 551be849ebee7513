"""Is a file open right now, and by a writer? Matched on (dev, inode) against ``/proc/*/fd``.

``ProcScan`` walks ``/proc/*/fd`` ONCE per batch of operations (the engine calls ``expire()`` at the
start of each ``execute``; the first look-up scans) and builds a (dev, inode) -> holders map, so each
file's check is one ``lstat`` and a dictionary look-up. A map older than ``max_age`` seconds is rebuilt
on the next look-up, so a long batch never decides on stale information. ``proc_holders`` is the
one-shot scan of one file.

Sees only processes in our PID namespace that we may inspect: in Docker, Plex (another container) is
invisible unless the container runs with ``--pid=host``, so the cycle also skips files Plex reports as
playing (its sessions). See docs/safety.md.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    writing: bool


InUseCheck = Callable[[str], list[Holder]]
Key = tuple[int, int]


def _writing(pid: str, fd: str) -> bool:
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8) & (os.O_WRONLY | os.O_RDWR) != 0
    except (OSError, ValueError):
        pass
    return False


def scan_open_files(wanted: Callable[[Key], bool] = lambda _k: True) -> dict[Key, list[Holder]]:
    """(dev, inode) -> the processes (other than this one) holding it open, for every open regular
    file ``wanted`` accepts. One pass over ``/proc``."""
    me = str(os.getpid())
    found: dict[Key, list[Holder]] = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                fst = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            key = (fst.st_dev, fst.st_ino)
            if wanted(key):
                found.setdefault(key, []).append(Holder(int(pid), _writing(pid, fd)))
    return found


def _key(path: str) -> Key | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def proc_holders(path: str) -> list[Holder]:
    """Processes (other than this one) holding ``path`` open, with whether they may write to it."""
    target = _key(path)
    if target is None:
        return []
    return scan_open_files(lambda k: k == target).get(target, [])


class ProcScan:
    """An ``InUseCheck`` answered from one ``/proc`` scan per batch (see the module docstring)."""

    def __init__(self, max_age: float = 5.0, scan: Callable[[], dict[Key, list[Holder]]] = scan_open_files) -> None:
        self.max_age = max_age
        self._scan = scan
        self._map: dict[Key, list[Holder]] = {}
        self._at = float("-inf")
        self._lock = threading.Lock()
        self._scanning = threading.Lock()  # parallel copies that find the map stale wait for one scan
        self.scans = 0

    def expire(self) -> None:
        """Forget the map: the next look-up scans (the engine calls this at the start of every batch,
        so a batch that checks no file scans nothing, and one that checks many scans once)."""
        with self._lock:
            self._at = float("-inf")

    def refresh(self) -> None:
        """Scan now."""
        fresh = self._scan()
        with self._lock:
            self._map, self._at = fresh, time.monotonic()
            self.scans += 1

    def __call__(self, path: str) -> list[Holder]:
        key = _key(path)
        if key is None:
            return []
        if self._stale():
            with self._scanning:
                if self._stale():
                    self.refresh()
        with self._lock:
            return list(self._map.get(key, ()))

    def _stale(self) -> bool:
        with self._lock:
            return time.monotonic() - self._at > self.max_age

