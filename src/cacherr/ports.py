"""The Protocols the core needs from the outside world. Adapters implement them.

Contracts shared between layers (read these before writing an adapter or a service):

- ``MediaServer`` (adapters/plex.py) turns Plex into one frozen ``Snapshot`` per cycle.
- ``FileEngine`` (fileops/) carries out ``Action``s crash-safely; the only code that mutates media.
- ``CacheRegistry`` (adapters/sqlite_store.py) is what is on the cache, in SQLite, with its running totals.
- ``ReadModels`` (adapters/sqlite_read_models.py) is every read the dashboard and the API make.
- ``CycleHistory`` (adapters/sqlite_cycles.py) records each cycle, the usage samples and pending scrobbles.
- ``SingleFlight`` (adapters/cycle_lock.py) is the one-cycle-at-a-time lock shared by every trigger and process.
- ``KeptOff`` (adapters/sqlite_kept_off.py): items kept off the cache on request; ``PlayStarts``
  (adapters/sqlite_plays.py): play starts and the cache hit rate.
- ``DiskProbe`` (adapters/local_disk.py) measures the cache pools and lists their files; the planner
  and the dashboard both use it, so they always agree.
- ``Notifier`` (adapters/notify.py) and ``TraktSource`` (adapters/trakt.py) are optional extras: a
  failure in either never fails a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cacherr.domain.cache import Action, CacheEntry, CacheMode, FileInfo, Plan
from cacherr.domain.media import MediaItem, PlaySession, Reason, Snapshot
from cacherr.domain.report import CycleReport, OpOutcome, Trigger
from cacherr.domain.viewing import ExcludedSet, Exclusion, HitRate
from cacherr.domain.views import CycleRow, EntryRow, MediaFilter, MediaPage, OperationRow, Page, UsageSample


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

    def next_episodes(self, item_key: str, count: int, minutes: int = 0) -> tuple[MediaItem, ...]:
        """The ``count`` episodes after ``item_key`` in order, across seasons (real-time caching), or as many
        as make up ``minutes`` of runtime (EPISODES_AHEAD_MINUTES), whichever is more."""
        ...

    def next_in_collection(self, item_key: str, user: str) -> tuple[MediaItem, ...]:
        """The next film ``user`` has not watched in a Plex collection of movie ``item_key`` (real-time
        CACHE_COLLECTION_NEXT); () for an episode, a movie in no collection, or the last film."""
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

    @property
    def enabled(self) -> bool:
        """Some target is configured (NOTIFY_URLS, or Unraid's notify script)."""
        ...

    def send_test(self) -> tuple[bool, str]:
        """The dashboard's "send a test notification": (delivered, what happened, secrets masked)."""
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


@dataclass(frozen=True, slots=True)
class RegistryTotals:
    """The registry's running totals (kept by the store in the same transaction as each change)."""

    entries: int
    bytes: int
    by_library: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # name -> (entries, bytes)
    by_user: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    by_pool: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # cache root -> (entries, bytes)


class CacheRegistry(Protocol):
    def entries(self) -> list[CacheEntry]:
        """Every entry, decoded: once per cycle at most, never on a per-file path."""
        ...

    def paths(self) -> set[str]:
        """The cache paths of every entry (no decoding of the rest)."""
        ...

    def total_bytes(self) -> int:
        """Bytes Cacherr holds on the cache; O(1)."""
        ...

    def totals(self) -> RegistryTotals: ...

    def get(self, entry_id: int) -> CacheEntry | None: ...

    def upsert(self, entry: CacheEntry) -> CacheEntry: ...

    def remove(self, cache_path: str) -> None: ...

    def set_pinned(self, entry_id: int, pinned: bool) -> None: ...

    def mark_wanted(self, cache_paths: Iterable[str], when: datetime, reason: Reason | None = None,
                    users: Iterable[str] = ()) -> None: ...


class DiskProbe(Protocol):
    """The cache pools as the filesystem sees them. Read-only."""

    def usage(self, roots: Sequence[str]) -> tuple[int, int]:
        """(total bytes, free bytes) of the filesystems holding ``roots`` (or their nearest existing
        parent), each filesystem counted once; free is what an unprivileged writer gets (f_bavail)."""
        ...

    def block_size(self, roots: Sequence[str]) -> int:
        """The largest allocation unit of the filesystems holding ``roots`` (what a file is rounded up to)."""
        ...

    def media_files(self, root: str) -> Iterator[tuple[str, int]]:
        """(absolute path, size) of every video file below ``root``; hidden and temporary files skipped,
        and hard-linked ones (left to Unraid's mover, which keeps a link set together)."""
        ...

    def exists(self, path: str) -> bool: ...

    def file_info(self, path: str) -> FileInfo | None:
        """Size, mtime and type of ``path`` (lstat), or None when nothing is there."""
        ...

    def is_file(self, path: str) -> bool:
        """``path`` is a regular file itself (a symlink is not followed)."""
        ...


class ReadModels(Protocol):
    """The dashboard's and the API's reads (adapters/sqlite_read_models.py). Cheap at any registry size."""

    def totals(self) -> RegistryTotals: ...

    def entry(self, entry_id: int) -> EntryRow | None: ...

    def media_page(self, flt: MediaFilter, page: int = 1, per_page: int = 50,
                   after: str | None = None) -> MediaPage: ...

    def facets(self) -> dict[str, list[str]]: ...

    def cycles_page(self, page: int = 1, per_page: int = 20) -> Page[CycleRow]: ...

    def last_cycle(self, *, finished: bool = True) -> CycleRow | None: ...

    def operations_page(self, page: int = 1, per_page: int = 50) -> Page[OperationRow]: ...

    def cycles_before(self, before: int | None, limit: int = 50) -> tuple[list[CycleRow], bool]: ...

    def cycle(self, cycle_id: int) -> CycleRow | None: ...

    def operations_before(self, before: int | None, limit: int = 50,
                          cycle_id: int | None = None) -> tuple[list[OperationRow], bool]: ...

    def usage_series(self, limit: int = 200) -> list[UsageSample]: ...


class MoverWatch(Protocol):
    """Unraid's mover: ``running()`` gives the reason it counts as running, or None."""

    def running(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class KnownItem:
    """One movie or episode as a snapshot last read it from Plex: Plex's ``updatedAt`` (epoch seconds), the
    item, and the notes its conversion produced (a path outside every mapping, a missing file)."""

    item: MediaItem
    updated_at: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WatchState:
    """What is stored of one item's watched state: the users whose view count of it is known, and which of
    them have watched it (view count > 0). Equal states are shared (one object for the common case)."""

    known: frozenset[str]
    watched: frozenset[str]


@dataclass(frozen=True, slots=True)
class PlexReadState:
    """When Plex was last read and what the next incremental read starts from.

    ``needs_full``: the last read failed or was partial (or there was none), so the next one is a full
    read. ``fingerprint``: the path mappings the known items were converted with (other mappings: full
    read). ``sections``: per library section key, (item count, newest addedAt) at the last read, to see
    that an item went away."""

    last_full_at: datetime | None = None
    last_read_at: datetime | None = None
    last_kind: str = ""  # "full" or "incremental"
    last_requests: int = 0
    needs_full: bool = True
    fingerprint: str = ""
    sections: Mapping[str, tuple[int, int]] = field(default_factory=dict)


class PlexCache(Protocol):
    """What Plex told earlier cycles (adapters/sqlite_plex_cache.py): items, each user's watched state."""

    def read_state(self) -> PlexReadState: ...

    def items(self, keys: Collection[str]) -> dict[str, KnownItem]: ...

    def gone(self, keys: Collection[str]) -> set[str]:
        """The keys Plex answered nothing for when last asked (deleted items still cached)."""
        ...

    def watched(self, user: str, keys: Collection[str]) -> dict[str, int]:
        """rating key -> view count, for the keys whose state for ``user`` is known."""
        ...

    def watch_states(self, keys: Collection[str]) -> dict[str, WatchState]:
        """rating key -> every user's stored watched state of it, for the keys with any (one call for all
        users: what a steady-state snapshot uses)."""
        ...

    def show_memo(self) -> dict[str, Any]:
        """show rating key -> its episode listing as the Plex adapter parsed it: kept in memory between
        cycles (never stored), emptied when a read fails or the store was written by another process."""
        ...

    def save(self, items: Iterable[KnownItem], watched: Iterable[tuple[str, str, int]], *,
             forget: Collection[str] = (), replace: bool = False) -> None:
        """Store items and (user, key, view count) rows, record ``forget`` keys as gone; ``replace``:
        everything stored before goes (a full read)."""
        ...

    def record_read(self, state: PlexReadState) -> None: ...

    def mark_needs_full(self) -> None: ...


class CycleHistory(Protocol):
    """One record per cycle (summary and full plan), usage samples and pending scrobbles (adapters/sqlite_cycles.py)."""

    def start(self, trigger: Trigger, started_at: datetime, dry_run: bool) -> int:
        """A new cycle record, status "running"; its id."""
        ...

    def finish(self, report: CycleReport, plan: Plan | None) -> None: ...

    def sample_usage(self, when: datetime, cache_used: int, cache_total: int, by_cacherr: int,
                     bytes_moved: int) -> None: ...

    def last_plan(self) -> Plan | None:
        """The plan of the newest finished cycle that had one."""
        ...

    def history(self, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]: ...

    def close_interrupted(self, when: datetime) -> int:
        """Mark cycles a crash left "running" as failed; how many."""
        ...

    def add_scrobble(self, item_key: str, user: str, when: datetime) -> None: ...

    def scrobbles(self) -> dict[str, frozenset[str]]:
        """Item key -> users who finished it since the last cycle consumed it."""
        ...

    def clear_scrobbles(self, keys: Iterable[str]) -> None: ...


class SingleFlight(Protocol):
    """One cycle at a time, across threads and processes (adapters/cycle_lock.py)."""

    @property
    def busy(self) -> bool:
        """A cycle runs in this process or another one; asking never takes the lock."""
        ...

    @property
    def held_here(self) -> bool:
        """A cycle of this process holds the lock."""
        ...

    def hold(self, trigger: str, wait: float = 0.0) -> AbstractContextManager[None]:
        """Hold the lock for the block; raise ``CycleBusy`` when it is not free within ``wait`` seconds."""
        ...


class KeptOff(Protocol):
    """Items kept off the cache on request, until let back in (adapters/sqlite_kept_off.py)."""

    def add(self, entries: Sequence[CacheEntry], when: datetime) -> list[Exclusion]:
        """Keep the items of ``entries`` off the cache (one row per item; again is a no-op); all of them."""
        ...

    def all(self) -> list[Exclusion]: ...

    def remove(self, exclusion_id: int) -> Exclusion | None:
        """Let an item back in; the removed one, or None when there was none."""
        ...

    def excluded(self) -> ExcludedSet: ...


class PlayStarts(Protocol):
    """Play starts with whether their file was on the cache then, and the hit rate (adapters/sqlite_plays.py)."""

    def record(self, user: str, item_key: str, when: datetime, *, title: str = "", source: str = "session") -> bool:
        """Record a play start; False when it is the same play as one already recorded."""
        ...

    def hit_rate(self, now: datetime, days: int = 7) -> HitRate: ...
