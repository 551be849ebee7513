"""Gentle copies: the copying thread runs at idle I/O priority (``ioprio_set``, class IDLE) and nice 19, so a
stream served from the same disk, and the CPU Plex and the dashboard need, always go first
(COPY_IO_PRIORITY=idle). The I/O priority is per thread on
Linux; the previous value is put back when the copy ends, so the worker thread is left as it was. The
class is honoured by the BFQ scheduler (Unraid's default for spinning array disks); with ``none`` or
``mq-deadline`` the kernel ignores it.

Where the syscall is refused (a seccomp profile, a kernel without it) the copy runs at normal priority:
a best effort, never an error. The bandwidth limit (COPY_BANDWIDTH_LIMIT) is paced inside the copy loop
(``copy._Pacer``).
"""

from __future__ import annotations

import contextlib
import os
import platform
import threading
from collections.abc import Iterator

from cacherr.fileops.libc import LIBC

IOPRIO_CLASS_SHIFT = 13
IOPRIO_CLASS_IDLE = 3
IOPRIO_WHO_PROCESS = 1  # with who = a thread id: that thread
COPY_NICE = 19  # CPU: the copying thread yields to the web server, Plex and every other process
_SYSCALLS = {"x86_64": (251, 252), "aarch64": (30, 31), "armv7l": (314, 315), "i686": (289, 290)}
_NR = _SYSCALLS.get(platform.machine())
_libc = LIBC if _NR else None


def _ioprio_get(tid: int) -> int | None:
    if _libc is None or _NR is None:
        return None
    rc = int(_libc.syscall(_NR[1], IOPRIO_WHO_PROCESS, tid))
    return None if rc < 0 else rc


def _ioprio_set(tid: int, value: int) -> bool:
    if _libc is None or _NR is None:
        return False
    return int(_libc.syscall(_NR[0], IOPRIO_WHO_PROCESS, tid, value)) == 0


def io_priority_class(tid: int | None = None) -> int | None:
    """The I/O scheduling class of a thread (3 = idle), or None where it cannot be read."""
    value = _ioprio_get(tid or threading.get_native_id())
    return None if value is None else value >> IOPRIO_CLASS_SHIFT


@contextlib.contextmanager
def copy_priority(mode: str) -> Iterator[None]:
    """Within the block, the calling thread does I/O in the idle class and runs at nice 19 (mode "idle");
    "normal" changes nothing. The nice value matters on a small NAS: a copy's kernel work (page cache,
    checksums) otherwise takes a core from the web server and Plex; on an idle CPU it costs nothing."""
    if mode != "idle":
        yield
        return
    tid = threading.get_native_id()
    old_io = _ioprio_get(tid)
    io_set = old_io is not None and _ioprio_set(tid, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT)
    old_nice = os.getpriority(os.PRIO_PROCESS, tid)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, tid, COPY_NICE)
    try:
        yield
    finally:
        if io_set and old_io is not None:
            _ioprio_set(tid, old_io)
        with contextlib.suppress(OSError):  # lowering nice again needs CAP_SYS_NICE: else the thread stays nice
            os.setpriority(os.PRIO_PROCESS, tid, old_nice)
