"""``build_plan``: the wanted set, minus what is cached, within the budget, every action with its why.

Deterministic and pure. The order of work:

1. Aggregate wants into prioritised ``WantedItem``s (``policy.aggregate_wants``).
2. Classify cached entries: pinned (never touched), wanted (held), watched by every interested user
   (given back), idle past retention (given back), idle within retention (kept, evictable first),
   found on the cache and not yet watched (kept, evictable). Nothing in play is moved.
3. Walk the wanted items by priority. An item that fits the headroom is cached; one that does not
   may evict strictly lower-priority media, lowest first, only as much as it needs; one that cannot
   fit even then is skipped with its reason, and smaller ones after it still get their chance.
"""

from __future__ import annotations

import gc
import posixpath
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheMode, CacheState, Plan, Skip
from cacherr.domain.media import MediaFile, Reason, Snapshot
from cacherr.domain.space import SIDECAR_ALLOWANCE, copy_cost
from cacherr.domain.versions import Choice, choose
from cacherr.planning.copies import keep_one_copy
from cacherr.planning.fresh import fresh_fate, kept_until
from cacherr.planning.incomplete import kept_for_unread, kept_note
from cacherr.planning.policy import (
    Policy,
    WantedItem,
    aggregate_wants,
    human_bytes,
    idle_since,
    user_list,
    wanting_users,
    watched_by_all,
)

UNLIMITED = 1 << 62


@dataclass(slots=True)
class _Unit:
    """Cached entries of one item (or one lone entry) that are given back together."""

    key: str
    entries: list[CacheEntry]
    priority: int  # higher = evicted first
    reason: Reason
    label: str  # what it is, for the why of an eviction
    wanted: WantedItem | None = None

    @property
    def what(self) -> str:
        return self.wanted.why if self.wanted is not None else self.label

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def title(self) -> str:
        return self.entries[0].title or self.entries[0].cache_path


@dataclass(slots=True)
class _Work:
    snapshot: Snapshot
    state: CacheState
    policy: Policy
    now: datetime
    restores: list[Action] = field(default_factory=list)
    caches: list[Action] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    used: int = 0
    free: int = 0
    trakt_used: int = 0
    choices: dict[str, Choice] = field(default_factory=dict)  # item key -> the version chosen (several only)
    releases: list[str] = field(default_factory=list)  # fresh downloads handed back to the mover (no file op)
    folders: set[str] = field(default_factory=set)  # cache folders known to exist (or planned)

    def files_of(self, wi: WantedItem) -> Choice:
        return self.choices.get(wi.item.key) or Choice(wi.item.files)

    @property
    def headroom(self) -> int:
        limit = self.policy.limit_bytes
        by_limit = UNLIMITED if limit is None else limit - self.used
        return min(by_limit, self.free - self.policy.min_free_bytes)

    def deficit(self, size: int, disk: int) -> int:
        """Bytes still to free before a copy of ``size`` bytes taking ``disk`` bytes of free space fits
        (<= 0: it fits). CACHE_LIMIT counts sizes; free space counts blocks, folders and sidecars."""
        limit = self.policy.limit_bytes
        by_limit = -UNLIMITED if limit is None else size - (limit - self.used)
        return max(by_limit, disk - (self.free - self.policy.min_free_bytes))

    def disk_cost(self, f: MediaFile) -> int:
        """What caching ``f`` takes from the free space, counted as the engine counts it (domain.space)."""
        folder = posixpath.dirname(f.cache_path)
        new = 0
        while folder not in self.folders and folder not in self.state.roots and folder not in ("/", ""):
            new += 1
            folder = posixpath.dirname(folder)
        return copy_cost(f.size, block=self.state.block_size, new_folders=new,
                         sidecars=[SIDECAR_ALLOWANCE] * len(f.sidecars))

    def release(self, entries: Sequence[CacheEntry]) -> None:
        """Fresh downloads whose days are up: their rows go (no file operation), the space stays used."""
        days = self.policy.fresh_download
        for e in entries:
            self.releases.append(e.cache_path)
            self.notes.append(f"{e.title or e.cache_path}: fresh download left to the mover (kept until "
                              f"{kept_until(e, days):%Y-%m-%d %H:%M} by FRESH_DOWNLOAD_DAYS)")
            self.used -= e.size

    def give_back(self, entries: Sequence[CacheEntry], reason: Reason, why: str) -> None:
        for e in entries:
            self.restores.append(Action(ActionKind.RESTORE, e.array_path, e.cache_path, e.size, reason, why,
                                        e.item_key, e.title, e.users, library=e.library))
            self.used -= e.size
            self.free += e.size


def _playing(snapshot: Snapshot) -> tuple[dict[str, set[str]], set[str]]:
    """(item key -> users playing it, cache paths of the files being played)."""
    keys: dict[str, set[str]] = {}
    paths: set[str] = set()
    for s in snapshot.sessions:
        keys.setdefault(s.item_key, set()).add(s.user)
        item = snapshot.items.get(s.item_key)
        for f in item.files if item else ():
            if not s.plex_path or f.plex_path == s.plex_path:
                paths.add(f.cache_path)
    return keys, paths


def _in_play(entries: Sequence[CacheEntry], keys: dict[str, set[str]], paths: set[str]) -> bool:
    return any(e.cache_path in paths or (e.item_key is not None and e.item_key in keys) for e in entries)


def _group(entries: Sequence[CacheEntry]) -> dict[str, list[CacheEntry]]:
    out: dict[str, list[CacheEntry]] = {}
    for e in entries:
        out.setdefault(e.item_key or f"path:{e.cache_path}", []).append(e)
    return out


def _fate(w: _Work, entries: Sequence[CacheEntry], wanting: dict[str, set[str]],
          known: frozenset[str]) -> tuple[str, str]:
    """What becomes of unwanted cached media: ("back", why) now, ("idle", "") within retention, or
    ("found", "") for a pre-existing file nobody has watched yet."""
    first = entries[0]
    watchers = watched_by_all(first, w.snapshot, wanting, known) if w.policy.watched_move else None
    if first.reason is Reason.FRESH_DOWNLOAD and first.last_wanted_at is None:
        return fresh_fate(first, w.policy.fresh_download, w.policy.retention_of(first.library), w.now, watchers)
    if watchers is not None:
        why = f"watched by {user_list(watchers)}"
        return "back", f"was already on the cache; {why}" if first.pre_existing else why
    if first.pre_existing and first.last_wanted_at is None:
        return "found", ""
    age = w.now - max(idle_since(e) for e in entries)
    retention = w.policy.retention_of(first.library)
    if age < retention:
        return "idle", ""
    setting = "CACHE_RETENTION_HOURS" if retention == w.policy.retention else f"LIBRARY_RULES[{first.library}]"
    return "back", f"left every wanted list {_hours(age)} ago ({setting}={_hours(retention)})"


def _classify(w: _Work, wanted: list[WantedItem]) -> list[_Unit]:
    """Decide every cached entry's fate; return the evictable units (lowest priority first)."""
    index = {wi.item.key: i for i, wi in enumerate(wanted)}
    play_keys, play_paths = _playing(w.snapshot)
    wanting, known = wanting_users(w.snapshot), frozenset(w.snapshot.users)
    held: list[_Unit] = []
    found: list[tuple[datetime, _Unit]] = []
    idle: list[tuple[datetime, _Unit]] = []
    retained = kept = fresh = 0
    for key, entries in sorted(_group(w.state.entries).items()):
        if any(e.pinned for e in entries):
            continue
        if key not in index and kept_for_unread(entries, w.snapshot) is not None:
            kept += 1
            continue
        in_play = bool(play_keys) and _in_play(entries, play_keys, play_paths)
        if key in index:
            wi = wanted[index[key]]
            entries = _drop_superseded(w, wi, entries, in_play)
            entries = _drop_other_versions(w, wi, entries, in_play)
            if not in_play and entries:
                held.append(_Unit(key, entries, index[key], wi.reason, "", wi))
            continue
        fate, why = _fate(w, entries, wanting, known)
        retained += fate == "idle"
        first = entries[0]
        if in_play:
            continue
        if fate in ("kept", "release"):
            fresh += fate == "kept"
            if fate == "release" and w.policy.give_back:
                w.release(entries)
            continue
        if fate == "back":
            if w.policy.give_back:
                w.give_back(entries, Reason.PRE_EXISTING if first.pre_existing else first.reason, why)
        elif fate == "idle":
            idle.append((max(idle_since(e) for e in entries),
                         _Unit(key, entries, 0, first.reason, "kept after it left every wanted list")))
        else:
            found.append((first.cached_at, _Unit(key, entries, 0, first.reason,
                                                 "was already on the cache, not yet watched")))
    if retained:
        w.notes.append(f"{retained} item(s) kept on the cache within CACHE_RETENTION_HOURS")
    if kept:
        w.notes.append(kept_note(kept))
    if fresh:
        w.notes.append(f"{fresh} fresh download(s) kept on the cache, away from the mover (FRESH_DOWNLOAD_DAYS)")
    return _evict_order(len(wanted), held, found, idle)


def _drop_superseded(w: _Work, wi: WantedItem, entries: list[CacheEntry], in_play: bool) -> list[CacheEntry]:
    """Give back cached files the item no longer has (Sonarr/Radarr upgraded it); return the entries kept."""
    current = {f.cache_path for f in wi.item.files}
    old = [e for e in entries if e.cache_path not in current]
    if not old or not current or in_play or not w.policy.give_back:
        return entries
    w.give_back(old, wi.reason, "replaced in Plex by a new file (an upgrade); the new file is cached instead")
    return [e for e in entries if e.cache_path in current]


def _drop_other_versions(w: _Work, wi: WantedItem, entries: list[CacheEntry], in_play: bool) -> list[CacheEntry]:
    """Give back cached files of versions other than the chosen one; return the entries kept."""
    choice = w.choices.get(wi.item.key)
    if choice is None:
        return entries
    keep = {f.cache_path for f in choice.files}
    other = [e for e in entries if e.cache_path not in keep]
    if other and not in_play and w.policy.give_back:
        why = f"another version is cached instead: {choice.why}" if choice.files else f"not cached: {choice.why}"
        w.give_back(other, wi.reason, why)
        return [e for e in entries if e.cache_path in keep]
    return entries


def _hours(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    hours = seconds / 3600
    return f"{hours:.0f}h" if hours >= 1 else f"{seconds / 60:.0f}m"


def _evict_order(n_wanted: int, held: list[_Unit], found: list[tuple[datetime, _Unit]],
                 idle: list[tuple[datetime, _Unit]]) -> list[_Unit]:
    """Evictable units, first to go first: idle oldest, then found-on-cache oldest, then wanted lowest."""
    order: list[_Unit] = []
    base = n_wanted + len(found) + len(idle)
    for i, (_, unit) in enumerate(sorted(idle, key=lambda t: (t[0], t[1].key))):
        unit.priority = base + len(idle) - i
        order.append(unit)
    base = n_wanted + len(found)
    for i, (_, unit) in enumerate(sorted(found, key=lambda t: (t[0], t[1].key))):
        unit.priority = base - i
        order.append(unit)
    order.extend(sorted(held, key=lambda u: -u.priority))
    return order


class _Evictor:
    """Evictable units by falling priority, with prefix sums for "how much could lower ones free"."""

    def __init__(self, units: list[_Unit]) -> None:
        self.units = units
        self.neg = [-u.priority for u in units]  # ascending, for bisect
        self.cum = [0, *accumulate(u.size for u in units)]
        self.next = 0
        self.evicted: set[str] = set()

    def freeable_below(self, priority: int) -> tuple[int, int]:
        """(bytes, end index) that units of strictly lower priority than ``priority`` could free."""
        end = bisect_right(self.neg, -priority - 1)
        return (self.cum[end] - self.cum[self.next], end) if end > self.next else (0, self.next)


def _uncached(files: Sequence[MediaFile], cached: set[str]) -> list[MediaFile]:
    return [f for f in files if f.cache_path not in cached]


def _place(w: _Work, wi: WantedItem, prio: int, ev: _Evictor, cached: set[str],
           play_keys: dict[str, set[str]]) -> None:
    item = wi.item
    choice = w.files_of(wi)
    if item.key in ev.evicted:
        w.skips.append(Skip(_path(choice.files), item.display_title, f"given back to make room for "
                            f"higher-priority media ({wi.why})", choice.size))
        return
    if not choice.files and choice.why:
        w.skips.append(Skip(_path(item.files), item.display_title, f"not cached ({wi.why}): {choice.why}", 0))
        return
    files = _uncached(choice.files, cached)
    need = sum(f.size for f in files)
    if not files:
        return
    if (w.policy.excluded_keys or w.policy.excluded_paths) and w.policy.excludes(item.key,
                                                                                 (f.array_path for f in files)):
        w.skips.append(Skip(_path(files), item.display_title, f"not cached ({wi.why}): kept off the cache on "
                            "request; let it back in on the Cached media page", need))
        return
    disk = sum(w.disk_cost(f) for f in files)
    players = play_keys.get(item.key)
    if players and w.policy.mode is not CacheMode.COPY:
        w.skips.append(Skip(_path(files), item.display_title, f"not cached yet ({wi.why}): being played by "
                            f"{user_list(players)}; a {w.policy.mode.value} would pull the file from under "
                            "the player", need))
        return
    is_trakt = wi.reason is Reason.TRAKT
    tmax = w.policy.trakt_max_bytes
    if is_trakt and tmax is not None and w.trakt_used + need > tmax:
        w.skips.append(Skip(_path(files), item.display_title, f"not cached ({wi.why}): needs {human_bytes(need)}, "
                            f"the Trakt budget (TRAKT_MAX_BYTES) has {human_bytes(tmax - w.trakt_used)} left", need))
        return
    if w.deficit(need, disk) > 0:
        freeable, end = ev.freeable_below(prio) if w.policy.give_back else (0, ev.next)
        if w.deficit(need, disk) > freeable:
            w.skips.append(Skip(_path(files), item.display_title, _no_room(w, wi, max(need, disk), freeable),
                                need))
            return
        _evict_for(w, wi, need, disk, ev, end)
    why = f"{wi.why}; {choice.why}" if choice.why else wi.why
    for f in files:
        w.caches.append(Action(ActionKind.CACHE, f.array_path, f.cache_path, f.size, wi.reason, why, item.key,
                               item.display_title, wi.users, f.sidecars, library=item.library))
        w.used += f.size
        w.folders.add(posixpath.dirname(f.cache_path))
    w.free -= disk
    if is_trakt:
        w.trakt_used += need


def _evict_for(w: _Work, wi: WantedItem, need: int, disk: int, ev: _Evictor, end: int) -> None:
    while w.deficit(need, disk) > 0 and ev.next < end:
        unit = ev.units[ev.next]
        ev.next += 1
        ev.evicted.add(unit.key)
        if unit.reason is Reason.TRAKT:
            w.trakt_used -= unit.size
        w.give_back(unit.entries, unit.reason, f"makes room for {wi.item.display_title} ({wi.why}); "
                                               f"this was {unit.what}")


def _no_room(w: _Work, wi: WantedItem, need: int, freeable: int) -> str:
    avail = max(w.headroom, 0)
    what = []
    if w.policy.limit_bytes is not None:
        what.append(f"CACHE_LIMIT {human_bytes(w.policy.limit_bytes)}")
    if w.policy.min_free_bytes:
        what.append(f"MIN_FREE_SPACE {human_bytes(w.policy.min_free_bytes)}")
    budget = " and ".join(what) or "free space on the cache"
    extra = f", {human_bytes(freeable)} more by giving back lower-priority media" if freeable else ""
    return (f"not cached ({wi.why}): needs {human_bytes(need)}; {human_bytes(avail)} available within "
            f"{budget}{extra}")


def _path(files: Sequence[MediaFile]) -> str:
    return files[0].array_path if files else ""


@contextmanager
def _no_gc_pause() -> Iterator[None]:
    """Planning allocates many small short-lived objects next to a large live heap (the snapshot); a
    full collection over that heap costs more than the plan itself. Collection resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_plan(snapshot: Snapshot, cache_state: CacheState, policy: Policy, now: datetime) -> Plan:
    """Decide what to cache and what to give back. Pure and deterministic."""
    with _no_gc_pause():
        return _build(snapshot, cache_state, policy, now)


def _build(snapshot: Snapshot, cache_state: CacheState, policy: Policy, now: datetime) -> Plan:
    wanted = aggregate_wants(snapshot)
    w = _Work(snapshot, cache_state, policy, now, used=cache_state.used_by_cacherr, free=cache_state.free_bytes)
    usage_before = w.used
    cached = {e.cache_path for e in cache_state.entries}
    w.folders = {posixpath.dirname(p) for p in cached}
    playing = {s.plex_path for s in snapshot.sessions if s.plex_path}
    wanted = keep_one_copy(wanted, policy.versions, playing=playing, cached=cached, rule_of=policy.version_of)
    w.choices = {wi.item.key: choose(wi.item, policy.version_of(wi.item.library), playing=playing, cached=cached)
                 for wi in wanted if wi.item.versions}
    units = _classify(w, wanted)
    prio_of = {wi.item.key: i for i, wi in enumerate(wanted)}
    w.trakt_used = sum(u.size for u in units if u.reason is Reason.TRAKT and u.key in prio_of)
    ev = _Evictor(units)
    play_keys, _ = _playing(snapshot)
    for i, wi in enumerate(wanted):
        _place(w, wi, i, ev, cached, play_keys)
    limit = policy.limit_bytes
    budget = limit if limit is not None else max(usage_before + cache_state.free_bytes - policy.min_free_bytes, 0)
    w.notes.extend(f"{title}: not in your library" for title in snapshot.not_in_library)
    return Plan(created_at=now, actions=(*w.restores, *w.caches), skips=tuple(w.skips), budget_bytes=budget,
                usage_before=usage_before, usage_after=w.used, notes=tuple(w.notes), releases=tuple(w.releases))
