"""Unraid's mover, seen through its pid file (``/var/run/mover.pid``, written by ``/usr/local/sbin/mover``).

A cycle that copies to the cache while the mover empties it fights the mover, so Cacherr skips that cycle. The file
is only read (size-capped, never followed through a symlink, never written). A pid whose process is visible is
believed when its command line names the mover; a pid file naming a process that is gone is stale when Cacherr sees
the host's processes, and is believed for ``STALE_AFTER`` seconds when it runs in a container (another PID
namespace, where the host's processes are invisible).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

STALE_AFTER = 24 * 3600.0
_MAX_READ = 64


class MoverPidFile:
    """``running()`` says why the mover counts as running, or returns None."""

    def __init__(self, path: str | Path, proc: str | Path = "/proc", in_container: bool | None = None) -> None:
        self.path = Path(path)
        self.proc = Path(proc)
        self.in_container = _in_container() if in_container is None else in_container

    def running(self) -> str | None:
        found = self._read_pid()
        if found is None:
            return None
        pid, mtime = found
        cmdline = self._cmdline(pid)
        if cmdline is not None:
            return f"Unraid's mover is running (pid {pid})" if _names_mover(cmdline) else None
        if not self.in_container or time.time() - mtime > STALE_AFTER:
            return None  # the process is gone: a stale pid file
        return f"Unraid's mover is running ({self.path} names pid {pid})"

    def _read_pid(self) -> tuple[int, float] | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None  # no pid file: the mover is not running
        try:
            st = os.fstat(fd)
            raw = os.read(fd, _MAX_READ) if stat.S_ISREG(st.st_mode) else b""
        finally:
            os.close(fd)
        text = raw.decode("ascii", "replace").strip()
        return (int(text), st.st_mtime) if text.isdigit() else None

    def _cmdline(self, pid: int) -> bytes | None:
        try:
            return (self.proc / str(pid) / "cmdline").read_bytes()[:4096]
        except OSError:
            return None


def _names_mover(cmdline: bytes) -> bool:
    """``mover`` itself, or an interpreter running it (``/bin/bash /usr/local/sbin/mover start``)."""
    args = cmdline.split(b"\0")[:2]
    return any(os.path.basename(a).startswith(b"mover") for a in args)


def _in_container() -> bool:
    return Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()
