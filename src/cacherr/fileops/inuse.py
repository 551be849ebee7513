"""Is a file open right now, and by a writer? One pass over ``/proc/*/fd`` matched on (dev, inode).

Sees only processes in our PID namespace that we may inspect (in Docker: Plex is invisible unless the
container runs with ``--pid=host``), so the cycle also skips files Plex reports as playing. Used right
before a step that removes a file, where a fresh answer matters.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    writing: bool


InUseCheck = Callable[[str], list[Holder]]


def _writing(pid: str, fd: str) -> bool:
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8) & (os.O_WRONLY | os.O_RDWR) != 0
    except (OSError, ValueError):
        pass
    return False


def proc_holders(path: str) -> list[Holder]:
    """Processes (other than this one) holding ``path`` open, with whether they may write to it."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return []
    target = (st.st_dev, st.st_ino)
    me = str(os.getpid())
    found: list[Holder] = []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]
    except OSError:
        return []
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
            if (fst.st_dev, fst.st_ino) == target:
                found.append(Holder(int(pid), _writing(pid, fd)))
    return found
