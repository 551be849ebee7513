"""What a restore and a real-time cache need from the cycle service (``services/cycle.py``), as a protocol.

``restore.py`` and ``realtime.py`` are typed on this instead of ``CycleService``, so that the cycle service
imports them and they do not import it back (no circle). ``CycleService`` implements it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cacherr.domain.cache import CacheEntry, Plan
from cacherr.domain.media import PlaySession
from cacherr.domain.report import CycleReport
from cacherr.ports import CacheRegistry, Clock, DiskProbe, MediaServer
from cacherr.services.cycle_lock import CycleLock
from cacherr.services.exclusions import ExcludedSet
from cacherr.settings import Settings


class CycleHost(Protocol):
    lock: CycleLock
    registry: CacheRegistry
    clock: Clock
    disk: DiskProbe

    def current_settings(self) -> Settings: ...

    def media_server(self) -> MediaServer: ...

    def sessions(self) -> tuple[PlaySession, ...]: ...

    def usage(self) -> tuple[int, int]: ...

    def recover_before_actions(self) -> list[str]: ...

    def mark_scrobbled(self, item_key: str, user: str) -> None: ...

    def mover_running(self) -> str | None: ...

    def excluded(self) -> ExcludedSet: ...

    def keep_off(self, entries: Sequence[CacheEntry]) -> object: ...

    def note_play_start(self, user: str, item_key: str, source: str = "session") -> bool: ...

    def run_actions(self, trigger: str, plan: Plan, entries: Sequence[CacheEntry], settings: Settings,
                    problems: Sequence[str] = ()) -> CycleReport: ...
