"""Public fakes and builders for tests and demos (like ``structlog.testing``): small, real implementations
of the ports, no mocking library.

- ``movie``, ``episode``, ``cached``: build domain objects under one path mapping.
- ``FixedClock``: a clock you move by hand.
- ``FakeMediaServer``: an in-memory Plex that implements ``ports.MediaServer``.
- ``RecordingNotifier``, ``StaticTrakt``: record messages; return fixed Trakt picks.

No file engine here: tests run the real one (``cacherr.fileops.build_engine``) on temporary folders, with
``cacherr.fileops.faults`` to crash or fail it at a named step.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cacherr.domain.cache import CacheEntry, CacheMode, CacheState
from cacherr.domain.errors import PlexUnavailable
from cacherr.domain.media import MediaFile, MediaItem, MediaKind, PlaySession, Reason, Snapshot, Want
from cacherr.domain.report import CycleReport, OpOutcome
from cacherr.domain.runtime import episodes_for
from cacherr.ports import TraktPick

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

    def next_episodes(self, item_key: str, count: int, minutes: int = 0) -> tuple[MediaItem, ...]:
        self._check("next_episodes")
        current = self.items.get(item_key)
        if current is None or current.show_key is None:
            return ()
        here = (current.season or 0, current.episode or 0)
        special = here[0] == 0  # the adapter's rule: after a special only specials, after a regular no special
        order = sorted((i for i in self.items.values() if i.show_key == current.show_key
                        and ((i.season or 0) == 0) == special and i.files),
                       key=lambda i: (i.season or 0, i.episode or 0))
        after = [i for i in order if (i.season or 0, i.episode or 0) > here]
        return tuple(after[:max(count, episodes_for((i.duration_ms for i in after), minutes))])

    def next_in_collection(self, item_key: str, user: str) -> tuple[MediaItem, ...]:
        self._check("next_in_collection")
        del item_key, user  # the fake has no collections (the emulator has: tests/cycle)
        return ()

    def items_for_paths(self, plex_paths: Collection[str]) -> dict[str, MediaItem]:
        self._check("items_for_paths")
        wanted = set(plex_paths)
        return {f.plex_path: i for i in self.items.values() for f in i.files if f.plex_path in wanted}

    def ping(self) -> bool:
        return self.reachable


@dataclass
class RecordingNotifier:
    messages: list[tuple[str, str, str]] = field(default_factory=list)

    def notify(self, title: str, body: str, *, level: str = "info") -> bool:
        self.messages.append((title, body, level))
        return True

    def cycle_finished(self, report: CycleReport) -> bool:
        """The summary of a cycle that did something (the real notifier's default level)."""
        from cacherr.services.notify_text import cycle_is_quiet, cycle_severity, format_cycle_summary

        if cycle_is_quiet(report):
            return False
        title, body = format_cycle_summary(report)
        return self.notify(title, body, level=cycle_severity(report))

    def operation_done(self, outcome: OpOutcome) -> bool:  # noqa: ARG002  the Notifier port signature; per-operation messages are off
        return False

    @property
    def enabled(self) -> bool:
        return True

    def send_test(self) -> tuple[bool, str]:
        delivered = self.notify("Cacherr test notification", "If you can read this, notifications work.")
        return delivered, "delivered" if delivered else "not delivered"


@dataclass
class StaticTrakt:
    fixed: tuple[TraktPick, ...] = ()

    def picks(self) -> tuple[TraktPick, ...]:
        return self.fixed


SCALE_NOW = datetime(2026, 6, 1, tzinfo=UTC)


def generate_plan_inputs(items: int, cached: int, users: int, seed: int = 7,
                         now: datetime = SCALE_NOW) -> tuple[Snapshot, CacheState]:
    """A library at scale for the planner: ``items`` episodes and movies, ``cached`` of them on the cache
    (some pinned, some pre-existing, a third watched), ``users`` users with On Deck, next episodes and
    watchlists, Trakt picks and 20 sessions. Deterministic for a seed."""
    rng = random.Random(seed)
    names = [f"user{u:02d}" for u in range(users)]
    lib: dict[str, MediaItem] = {}
    for i in range(items):
        key = str(100_000 + i)
        rel = f"tv/Show {i // 100}/Season 01/Show {i // 100} - S01E{i % 100:02d}.mkv" if i % 5 else \
            f"movies/Movie {i}/Movie {i}.mkv"
        f = MediaFile(f"/data/{rel}", f"/mnt/user0/media/{rel}", f"/mnt/cache/media/{rel}",
                      rng.randint(1, 8) * GB // 4)
        kind = MediaKind.MOVIE if i % 5 == 0 else MediaKind.EPISODE
        lib[key] = MediaItem(key, kind, f"Title {i}", "Movies" if kind is MediaKind.MOVIE else "TV", (f,),
                             show_key=None if kind is MediaKind.MOVIE else f"s{i // 100}",
                             season=None if kind is MediaKind.MOVIE else 1, episode=i % 100)
    keys = list(lib)
    wants: list[Want] = []
    for u in names:
        for show in rng.sample(range(items // 100), 12):  # on deck + 5 next episodes in 12 shows
            base = show * 100 + rng.randint(1, 90)
            wants.append(Want(keys[base], u, Reason.ON_DECK))
            wants.extend(Want(keys[base + n], u, Reason.NEXT_EPISODE, n - 1) for n in range(1, 6))
        wants.extend(Want(k, u, Reason.WATCHLIST, r) for r, k in enumerate(rng.sample(keys[::5], 30)))
    wants.extend(Want(k, "", Reason.TRAKT, r) for r, k in enumerate(rng.sample(keys[::5], 20)))
    cached_keys = rng.sample(keys, cached)
    entries = []
    watched: dict[str, frozenset[str]] = {}
    for n, k in enumerate(cached_keys):
        f = lib[k].files[0]
        who = frozenset(rng.sample(names, rng.randint(1, 3)))
        entries.append(CacheEntry(f.cache_path, f.array_path, f.size, CacheMode.COPY, now - timedelta(days=3),
                                  k, lib[k].title, lib[k].library, Reason.ON_DECK, who, n % 500 == 0,
                                  n % 50 == 1, now - timedelta(hours=rng.randint(0, 48))))
        if n % 3 == 0:
            watched[k] = who
    sessions = tuple(PlaySession(names[i % users], cached_keys[i], lib[cached_keys[i]].files[0].plex_path)
                     for i in range(20))
    snap = Snapshot(now, tuple(names), lib, tuple(wants), watched, sessions)
    used = sum(e.size for e in entries)
    return snap, CacheState(tuple(entries), used * 2, used)
