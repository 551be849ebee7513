"""What ``/api/v1/status`` reuses between polls: many dashboards polling cost one refresh per ``ttl``.

``Coalesced`` keeps one value with the key it was computed for. A fresh value (younger than ``ttl``, same key)
is returned as is. When it is due, ONE caller refreshes it; callers arriving meanwhile with the same key get
the previous value at once instead of queueing behind the refresh (a refresh reads the state database and
``statvfs`` of every pool; on a disk busy with a copy either can take a while). A changed key (a job started)
is never answered from the old value: such callers wait for the refresh of their own key.

``BusyProbe`` asks "is a cycle running?" at most once per ``ttl`` for the part that costs system calls (the
cycle lock of another process), while a job of this web process is seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalesced(Generic[T]):
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()  # held by the one caller refreshing
        self._hit: tuple[float, Hashable, T] | None = None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        hit = self._hit
        if hit is not None and hit[1] == key and self._clock() - hit[0] < self.ttl:
            return hit[2]
        if hit is not None and hit[1] == key and not self._lock.acquire(blocking=False):
            return hit[2]  # someone is refreshing this key: the previous value, without waiting
        if hit is None or hit[1] != key:
            self._lock.acquire()
        try:
            hit = self._hit  # refreshed while we waited?
            if hit is not None and hit[1] == key and self._clock() - hit[0] < self.ttl:
                return hit[2]
            value = compute()
            self._hit = (self._clock(), key, value)
            return value
        finally:
            self._lock.release()

    def clear(self) -> None:
        self._hit = None


class BusyProbe:
    """``running()`` of the web job runner, its cross-process part asked at most once per ``ttl``."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache: Coalesced[bool] = Coalesced(ttl, clock)

    def running(self, job_running: bool, ask: Callable[[], bool]) -> bool:
        """``job_running``: a job of this process is running (cheap, always live); ``ask``: the full check."""
        return job_running or self._cache.get("busy", ask)
