"""Failpoints: named places in the engine where tests kill the process or make a call fail.

The engine calls ``faults.hit(name)`` at every step boundary (``before:<step>`` right after the step is
journaled and before its side effect, ``after:<step>`` right after the side effect) and inside the copy
loop (``copy:chunk``). Production uses ``NO_FAULTS``, which does nothing. Nothing here reads the
environment: the crash-test child process builds its own ``Faults`` from its arguments.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass, field


class SimulatedCrash(BaseException):
    """Raised in place of kill -9 by in-process tests. A BaseException, so no ``except Exception``
    cleanup runs: the state left behind is what a killed process would leave (open transactions roll
    back, as SQLite's would)."""


@dataclass
class Faults:
    """``kill_at``: SIGKILL self at the ``nth`` hit of that name. ``crash_at``: raise SimulatedCrash.
    ``fail_at``: raise the given OSError there. ``log``: every name hit, in order (for discovery)."""

    kill_at: str | None = None
    crash_at: str | None = None
    nth: int = 1
    fail_at: dict[str, OSError] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    log_file: str | None = None
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, name: str) -> None:
        with self._lock:
            self.log.append(name)
            count = self._counts[name] = self._counts.get(name, 0) + 1
            if self.log_file:
                with open(self.log_file, "a", encoding="utf-8") as fh:
                    fh.write(name + "\n")
        if name in self.fail_at:
            raise self.fail_at[name]
        if count != self.nth:
            return
        if name == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if name == self.crash_at:
            raise SimulatedCrash(name)


class _NoFaults(Faults):
    def hit(self, name: str) -> None:  # noqa: ARG002  the Faults signature; no fault is ever armed
        return None


NO_FAULTS: Faults = _NoFaults()
