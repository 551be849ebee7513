"""Public fakes and builders for tests and demos (like ``structlog.testing``): small, real implementations
of the ports, no mocking library.

- ``movie``, ``episode``, ``cached``: build domain objects under one path mapping.
- ``FixedClock``: a clock you move by hand.
- ``FakeMediaServer``: an in-memory Plex that implements ``ports.MediaServer``.
- ``CopyingFileEngine``: a simple ``ports.FileEngine`` over real (temporary) folders that copies or
  moves files and keeps the registry in step. Not crash-safe: the real engine lives in ``fileops``.
- ``RecordingNotifier``, ``StaticTrakt``: record messages; return fixed Trakt picks.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheMode
from cacherr.domain.errors import PlexUnavailable
from cacherr.domain.media import MediaFile, MediaItem, MediaKind, PlaySession, Reason, Snapshot, Want
from cacherr.ports import CacheRegistry, OpResult, ProgressCallback, TraktPick

EPOCH = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
GB = 1024**3


@dataclass(frozen=True, slots=True)
class Roots:
    """One path mapping: Plex's root, the array root and the cache root."""

    plex: str = "/data"
    array: str = "/mnt/user0/media"
    cache: str = "/mnt/cache/media"

    def file(self, rel: str, size: int, sidecars: tuple[str, ...] = ()) -> MediaFile:
        return MediaFile(f"{self.plex}/{rel}", f"{self.array}/{rel}", f"{self.cache}/{rel}", size,
                         sidecars=tuple(f"{self.array}/{s}" for s in sidecars))


DEFAULT_ROOTS = Roots()


def movie(key: str, title: str = "", size: int = GB, *, year: int | None = 2020, roots: Roots = DEFAULT_ROOTS,
          rel: str | None = None) -> MediaItem:
    title = title or f"Movie {key}"
    rel = rel or f"movies/{title} ({year})/{title} ({year}).mkv"
    return MediaItem(key, MediaKind.MOVIE, title, "Movies", (roots.file(rel, size),), year=year)


def episode(key: str, show: str, season: int, number: int, size: int = GB // 2, *, show_key: str | None = None,
            roots: Roots = DEFAULT_ROOTS) -> MediaItem:
    rel = f"tv/{show}/Season {season:02d}/{show} - S{season:02d}E{number:02d}.mkv"
    return MediaItem(key, MediaKind.EPISODE, f"Episode {number}", "TV Shows", (roots.file(rel, size),),
                     show_key=show_key or f"show-{show}", show_title=show, season=season, episode=number)


def cached(item: MediaItem, *, users: Iterable[str] = (), reason: Reason = Reason.ON_DECK,
           cached_at: datetime = EPOCH, last_wanted_at: datetime | None = None, pinned: bool = False,
           pre_existing: bool = False, mode: CacheMode = CacheMode.COPY,
           entry_id: int | None = None) -> list[CacheEntry]:
    """Registry entries for every file of ``item``, as if Cacherr had cached it."""
    return [CacheEntry(f.cache_path, f.array_path, f.size, mode, cached_at, item.key, item.display_title,
                       item.library, Reason.PRE_EXISTING if pre_existing else reason, frozenset(users), pinned,
                       pre_existing, last_wanted_at, entry_id) for f in item.files]


class FixedClock:
    def __init__(self, now: datetime = EPOCH) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


@dataclass
class FakeMediaServer:
    """An in-memory Plex. Edit its fields between cycles; set ``reachable = False`` to simulate an outage."""

    users: list[str] = field(default_factory=lambda: ["owner"])
    items: dict[str, MediaItem] = field(default_factory=dict)
    wants: list[Want] = field(default_factory=list)
    watched: dict[str, set[str]] = field(default_factory=dict)
    playing: list[PlaySession] = field(default_factory=list)
    reachable: bool = True
    clock: FixedClock = field(default_factory=FixedClock)
    calls: list[str] = field(default_factory=list)

    def add(self, *items: MediaItem) -> None:
        for item in items:
            self.items[item.key] = item

    def want(self, item_key: str, user: str, reason: Reason, rank: int = 0) -> None:
        self.wants.append(Want(item_key, user, reason, rank))

    def watch(self, item_key: str, *users: str) -> None:
        self.watched.setdefault(item_key, set()).update(users)
        self.wants = [w for w in self.wants if not (w.item_key == item_key and w.user in users)]

    def play(self, user: str, item_key: str) -> None:
        item = self.items[item_key]
        self.playing.append(PlaySession(user, item_key, item.files[0].plex_path, "TV"))

    def _check(self, call: str) -> None:
        self.calls.append(call)
        if not self.reachable:
            raise PlexUnavailable("Plex at http://fake:32400 is unreachable (connection refused)")

    def snapshot(self, tracked_keys: Collection[str] = (), trakt: Sequence[TraktPick] = ()) -> Snapshot:
        self._check("snapshot")
        keys = {w.item_key for w in self.wants} | set(tracked_keys) | {s.item_key for s in self.playing}
        items = {k: self.items[k] for k in keys if k in self.items}
        watched = {k: frozenset(v) for k, v in self.watched.items() if k in items}
        wants = list(self.wants)
        for pick in trakt:
            key = pick.ids.get("plex")
            if key and key in self.items:
                items[key] = self.items[key]
                wants.append(Want(key, "", Reason.TRAKT, pick.rank))
        return Snapshot(self.clock.now(), tuple(self.users), items, tuple(wants), watched, tuple(self.playing))

    def sessions(self) -> tuple[PlaySession, ...]:
        self._check("sessions")
        return tuple(self.playing)

    def next_episodes(self, item_key: str, count: int) -> tuple[MediaItem, ...]:
        self._check("next_episodes")
        current = self.items.get(item_key)
        if current is None or current.show_key is None:
            return ()
        order = sorted((i for i in self.items.values() if i.show_key == current.show_key),
                       key=lambda i: (i.season or 0, i.episode or 0))
        after = [i for i in order if (i.season or 0, i.episode or 0) > (current.season or 0, current.episode or 0)]
        return tuple(after[:count])

    def items_for_paths(self, plex_paths: Collection[str]) -> dict[str, MediaItem]:
        self._check("items_for_paths")
        wanted = set(plex_paths)
        return {f.plex_path: i for i in self.items.values() for f in i.files if f.plex_path in wanted}

    def ping(self) -> bool:
        return self.reachable


class CopyingFileEngine:
    """Copies or moves real files between array and cache roots, and records them in the registry."""

    def __init__(self, registry: CacheRegistry, clock: FixedClock | None = None) -> None:
        self.registry = registry
        self.clock = clock or FixedClock()
        self.executed: list[Action] = []
        self.fail_paths: set[str] = set()
        self.recover_calls = 0
        self.pending_recovery: list[str] = []  # what the next recover() reports as done
        self._lock = threading.Lock()

    def execute(self, actions: Sequence[Action], *, mode: CacheMode,
                on_progress: ProgressCallback | None = None) -> list[OpResult]:
        with self._lock:
            ordered = sorted(actions, key=lambda a: a.kind is not ActionKind.RESTORE)
            return [self._one(i, a, mode, on_progress) for i, a in enumerate(ordered)]

    def _one(self, op_id: int, action: Action, mode: CacheMode, on_progress: ProgressCallback | None) -> OpResult:
        self.executed.append(action)
        if action.cache_path in self.fail_paths or action.array_path in self.fail_paths:
            return OpResult(action, False, "injected failure")
        src, dst = Path(action.array_path), Path(action.cache_path)
        try:
            if action.kind is ActionKind.CACHE:
                self._cache(src, dst, action, mode)
            else:
                self._restore(src, dst)
        except OSError as exc:
            return OpResult(action, False, f"{exc.strerror or exc}")
        if on_progress:
            on_progress(op_id, action.cache_path, action.size, action.size)
        return OpResult(action, True, "", action.size)

    def _cache(self, src: Path, dst: Path, action: Action, mode: CacheMode) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.partial")
        shutil.copy2(src, tmp)
        tmp.replace(dst)
        if mode is CacheMode.MOVE:
            src.unlink()
        self.registry.upsert(CacheEntry(str(dst), str(src), action.size, mode, self.clock.now(), action.item_key,
                                        action.title, "", action.reason, action.users,
                                        last_wanted_at=self.clock.now()))

    def _restore(self, src: Path, dst: Path) -> None:
        if not src.exists():
            src.parent.mkdir(parents=True, exist_ok=True)
            tmp = src.with_name(f".{src.name}.partial")
            shutil.copy2(dst, tmp)
            tmp.replace(src)
        dst.unlink(missing_ok=True)
        self.registry.remove(str(dst))

    def recover(self) -> list[str]:
        self.recover_calls += 1
        return list(self.pending_recovery)


@dataclass
class RecordingNotifier:
    messages: list[tuple[str, str, str]] = field(default_factory=list)

    def notify(self, title: str, body: str, *, level: str = "info") -> bool:
        self.messages.append((title, body, level))
        return True


@dataclass
class StaticTrakt:
    fixed: tuple[TraktPick, ...] = ()

    def picks(self) -> tuple[TraktPick, ...]:
        return self.fixed
