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

import posixpath
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cacherr.domain.cache import CacheEntry, CacheState, Plan
from cacherr.domain.fates import Fate
from cacherr.domain.media import Reason, Snapshot
from cacherr.domain.versions import choose
from cacherr.planning.copies import keep_one_copy
from cacherr.planning.fresh import fresh_fate
from cacherr.planning.incomplete import kept_for_unread, kept_note
from cacherr.planning.placement import Evictor, place
from cacherr.planning.policy import (
    Policy,
    WantedItem,
    aggregate_wants,
    idle_since,
    user_list,
    wanting_users,
    watched_by_all,
)
from cacherr.planning.work import Unit, Work


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


def _fate(w: Work, entries: Sequence[CacheEntry], wanting: dict[str, set[str]],
          known: frozenset[str]) -> tuple[Fate, str]:
    """What becomes of unwanted cached media: (BACK, why) now, (IDLE, "") within retention, or
    (FOUND, "") for a pre-existing file nobody has watched yet; a fresh download within its days is KEPT."""
    first = entries[0]
    watchers = watched_by_all(first, w.snapshot, wanting, known) if w.policy.watched_move else None
    if first.reason is Reason.FRESH_DOWNLOAD and first.last_wanted_at is None:
        return fresh_fate(first, w.policy.fresh_download, w.policy.retention_of(first.library), w.now, watchers)
    if watchers is not None:
        why = f"watched by {user_list(watchers)}"
        return Fate.BACK, f"was already on the cache; {why}" if first.pre_existing else why
    if first.pre_existing and first.last_wanted_at is None:
        return Fate.FOUND, ""
    age = w.now - max(idle_since(e) for e in entries)
    retention = w.policy.retention_of(first.library)
    if age < retention:
        return Fate.IDLE, ""
    setting = "CACHE_RETENTION_HOURS" if retention == w.policy.retention else f"LIBRARY_RULES[{first.library}]"
    return Fate.BACK, f"left every wanted list {_hours(age)} ago ({setting}={_hours(retention)})"


@dataclass(slots=True)
class _Sorting:
    """Step 2 in progress: the evictable units found so far and the counts for the plan's notes."""

    w: Work
    wanting: dict[str, set[str]]
    known: frozenset[str]
    held: list[Unit] = field(default_factory=list)
    found: list[tuple[datetime, Unit]] = field(default_factory=list)
    idle: list[tuple[datetime, Unit]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # "retained", "unread", "fresh"

    def hold(self, key: str, wi: WantedItem, prio: int, entries: list[CacheEntry], in_play: bool) -> None:
        """Wanted media stays (evictable only for higher priorities), minus superseded or unchosen files."""
        entries = _drop_superseded(self.w, wi, entries, in_play)
        entries = _drop_other_versions(self.w, wi, entries, in_play)
        if not in_play and entries:
            self.held.append(Unit(key, entries, prio, wi.reason, "", wi))

    def unwanted(self, key: str, entries: list[CacheEntry], in_play: bool) -> None:
        fate, why = _fate(self.w, entries, self.wanting, self.known)
        self.counts["retained"] += fate is Fate.IDLE
        if not in_play:  # nothing in play is moved
            _ON_FATE[fate](self, key, entries, why)

    def _kept(self, _key: str, _entries: list[CacheEntry], _why: str) -> None:
        self.counts["fresh"] += 1

    def _back(self, _key: str, entries: list[CacheEntry], why: str) -> None:
        first = entries[0]
        if self.w.policy.give_back:
            self.w.give_back(entries, Reason.PRE_EXISTING if first.pre_existing else first.reason, why)

    def _idle(self, key: str, entries: list[CacheEntry], _why: str) -> None:
        unit = Unit(key, entries, 0, entries[0].reason, "kept after it left every wanted list")
        self.idle.append((max(idle_since(e) for e in entries), unit))

    def _found(self, key: str, entries: list[CacheEntry], _why: str) -> None:
        unit = Unit(key, entries, 0, entries[0].reason, "was already on the cache, not yet watched")
        self.found.append((entries[0].cached_at, unit))

    def notes(self) -> list[str]:
        c, out = self.counts, []
        if c["retained"]:
            out.append(f"{c['retained']} item(s) kept on the cache within CACHE_RETENTION_HOURS")
        if c["unread"]:
            out.append(kept_note(c["unread"]))
        if c["fresh"]:
            out.append(f"{c['fresh']} fresh download(s) kept on the cache, away from the mover (FRESH_DOWNLOAD_DAYS)")
        return out


_ON_FATE: dict[Fate, Callable[[_Sorting, str, list[CacheEntry], str], None]] = {
    Fate.KEPT: _Sorting._kept, Fate.BACK: _Sorting._back,
    Fate.IDLE: _Sorting._idle, Fate.FOUND: _Sorting._found,
}


def _classify(w: Work, wanted: list[WantedItem]) -> list[Unit]:
    """Decide every cached entry's fate; return the evictable units (lowest priority first)."""
    index = {wi.item.key: i for i, wi in enumerate(wanted)}
    play_keys, play_paths = _playing(w.snapshot)
    sorting = _Sorting(w, wanting_users(w.snapshot), frozenset(w.snapshot.users))
    for key, entries in sorted(_group(w.state.entries).items()):
        if any(e.pinned for e in entries):
            continue  # pinned media is never touched
        in_play = bool(play_keys) and _in_play(entries, play_keys, play_paths)
        if key in index:
            sorting.hold(key, wanted[index[key]], index[key], entries, in_play)
        elif kept_for_unread(entries, w.snapshot) is not None:
            sorting.counts["unread"] += 1
        else:
            sorting.unwanted(key, entries, in_play)
    w.notes.extend(sorting.notes())
    return _evict_order(len(wanted), sorting.held, sorting.found, sorting.idle)


def _drop_superseded(w: Work, wi: WantedItem, entries: list[CacheEntry], in_play: bool) -> list[CacheEntry]:
    """Give back cached files the item no longer has (Sonarr/Radarr upgraded it); return the entries kept."""
    current = {f.cache_path for f in wi.item.files}
    old = [e for e in entries if e.cache_path not in current]
    if not old or not current or in_play or not w.policy.give_back:
        return entries
    w.give_back(old, wi.reason, "replaced in Plex by a new file (an upgrade); the new file is cached instead")
    return [e for e in entries if e.cache_path in current]


def _drop_other_versions(w: Work, wi: WantedItem, entries: list[CacheEntry], in_play: bool) -> list[CacheEntry]:
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


def _evict_order(n_wanted: int, held: list[Unit], found: list[tuple[datetime, Unit]],
                 idle: list[tuple[datetime, Unit]]) -> list[Unit]:
    """Evictable units, first to go first: idle oldest, then found-on-cache oldest, then wanted lowest."""
    order: list[Unit] = []
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


def build_plan(snapshot: Snapshot, cache_state: CacheState, policy: Policy, now: datetime) -> Plan:
    """Decide what to cache and what to give back. Pure and deterministic (the cycle runs it with the garbage
    collector paused: ``services/gc_pause.py``)."""
    wanted = aggregate_wants(snapshot)
    w = Work(snapshot, cache_state, policy, now, used=cache_state.used_by_cacherr, free=cache_state.free_bytes)
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
    ev = Evictor(units)
    play_keys, _ = _playing(snapshot)
    for i, wi in enumerate(wanted):
        place(w, wi, i, ev, cached, play_keys)
    limit = policy.limit_bytes
    budget = limit if limit is not None else max(usage_before + cache_state.free_bytes - policy.min_free_bytes, 0)
    w.notes.extend(f"{title}: not in your library" for title in snapshot.not_in_library)
    return Plan(created_at=now, actions=(*w.restores, *w.caches), skips=tuple(w.skips), budget_bytes=budget,
                usage_before=usage_before, usage_after=w.used, notes=tuple(w.notes))
