"""The Protocols the core needs from the outside world. Adapters implement them.

Contracts shared between layers (read these before writing an adapter or a service):

- ``MediaServer`` (adapters/plex.py) turns Plex into one frozen ``Snapshot`` per cycle.
- ``FileEngine`` (fileops/) carries out ``Action``s crash-safely; the only code that mutates media.
- ``CacheRegistry`` (adapters/sqlite_store.py) is what is on the cache, in SQLite.
- ``Notifier`` (adapters/notify.py) and ``TraktSource`` (adapters/trakt.py) are optional extras: a
  failure in either never fails a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cacherr.domain.cache import Action, CacheEntry, CacheMode
from cacherr.domain.media import MediaItem, PlaySession, Reason, Snapshot
from cacherr.domain.report import CycleReport, OpOutcome


class Clock(Protocol):
    def now(self) -> datetime: ...


class MediaServer(Protocol):
    def snapshot(self, tracked_keys: Collection[str] = (), trakt: Sequence[TraktPick] = ()) -> Snapshot:
        """Everything a cycle needs. ``tracked_keys`` are rating keys already on the cache: their items
        and per-user watched state are included; ``trakt`` picks found in the library become TRAKT
        wants. Raises ``PlexUnavailable`` when the server is
        unreachable or refuses the owner token (nothing may be touched then)."""
        ...

    def sessions(self) -> tuple[PlaySession, ...]:
        """Who plays what right now (for the real-time watcher)."""
        ...

    def next_episodes(self, item_key: str, count: int) -> tuple[MediaItem, ...]:
        """The ``count`` episodes after ``item_key`` in order, across seasons (real-time caching)."""
        ...

    def items_for_paths(self, plex_paths: Collection[str]) -> dict[str, MediaItem]:
        """Resolve files found on the cache that Cacherr did not put there, by Plex path."""
        ...

    def ping(self) -> bool:
        """Cheap reachability check for /health and doctor."""
        ...


@dataclass(frozen=True, slots=True)
class TraktPick:
    """A Trakt list entry (trending/popular/anticipated) with the ids used to match the library."""

    kind: str  # "movie" or "show"
    title: str
    year: int | None
    ids: dict[str, str] = field(default_factory=dict)  # {"imdb": "tt..", "tmdb": "..", "tvdb": ".."}
    rank: int = 0
    list_name: str = "trending"


class TraktSource(Protocol):
    def picks(self) -> tuple[TraktPick, ...]:
        """The configured lists, cached for a while. Returns () and logs on any failure."""
        ...


class Notifier(Protocol):
    def notify(self, title: str, body: str, *, level: str = "info") -> bool:
        """Send a message; True when delivered. Never raises, never blocks beyond a short timeout."""
        ...

    def cycle_finished(self, report: CycleReport) -> bool:
        """A cycle ended: send its summary if the notifier's level asks for it; True when delivered."""
        ...

    def operation_done(self, outcome: OpOutcome) -> bool:
        """One file operation ended (sent only at the level that asks for each one); True when queued."""
        ...


@dataclass(frozen=True, slots=True)
class OpResult:
    """What one executed action came to."""

    action: Action
    ok: bool
    message: str = ""
    bytes_moved: int = 0
    seconds: float = 0.0
    skipped: bool = False
    disk: str = ""  # the array disk the operation read from or wrote to ("" unknown)


ProgressCallback = Callable[[int, str, int, int], None]  # (op_id, path, bytes_done, bytes_total)


class FileEngine(Protocol):
    def execute(self, actions: Sequence[Action], *, mode: CacheMode,
                on_progress: ProgressCallback | None = None) -> list[OpResult]:
        """Carry out actions (restores first, bounded concurrency), journaled step by step.
        A failed action is rolled back and reported; the others go on."""
        ...

    def recover(self) -> list[str]:
        """Finish or roll back every unfinished journaled operation; returns what was done."""
        ...


class CacheRegistry(Protocol):
    def entries(self) -> list[CacheEntry]: ...

    def get(self, entry_id: int) -> CacheEntry | None: ...

    def upsert(self, entry: CacheEntry) -> CacheEntry: ...

    def remove(self, cache_path: str) -> None: ...

    def set_pinned(self, entry_id: int, pinned: bool) -> None: ...

    def mark_wanted(self, cache_paths: Iterable[str], when: datetime, reason: Reason | None = None,
                    users: Iterable[str] = ()) -> None: ...


class MoverWatch(Protocol):
    """Unraid's mover: ``running()`` gives the reason it counts as running, or None."""

    def running(self) -> str | None: ...
