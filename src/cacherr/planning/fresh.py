"""Fresh downloads and upgrades (issue 15.4). Pure.

A fresh download is a media file Sonarr/Radarr put on the cache (Cacherr found it there, not in its registry)
that Plex added less than ``FRESH_DOWNLOAD_DAYS`` ago. One of a show someone is watching (On Deck, in progress,
next episodes, playing; for a movie: the movie itself is wanted) is adopted as ``Reason.FRESH_DOWNLOAD``: kept
from the mover (listed in the exclude file) until ``added + FRESH_DOWNLOAD_DAYS``, without a copy. Every other
fresh download is left to the mover: not registered, never touched. A kept fresh download then follows the
rules of any cached media: given back by the engine (copied to the array, verified, then removed from the
cache) once watched, or ``CACHE_RETENTION_HOURS`` after its days ran out; kept, and evicted first when space
is needed, in between.

An upgrade is Sonarr/Radarr replacing an item's file: the same Plex item (ratingKey) now has another file. The
registry rows of the old file are ``superseded``: given back by the planner, or dropped when the old file is
gone (the service checks the cache side only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cacherr.domain.cache import CacheEntry
from cacherr.domain.fates import Fate
from cacherr.domain.media import MediaItem, Reason, Snapshot
from cacherr.planning.policy import user_list

WATCHING = frozenset({Reason.PLAYING, Reason.IN_PROGRESS, Reason.ON_DECK, Reason.NEXT_EPISODE})


@dataclass(frozen=True, slots=True)
class FreshSort:
    adopted: tuple[CacheEntry, ...]  # to register: pre-existing as before, or fresh downloads kept for a while
    left_to_mover: tuple[str, ...]  # cache paths of fresh downloads nobody is watching: not registered


def watching(snapshot: Snapshot) -> tuple[frozenset[str], frozenset[str]]:
    """(show keys someone is watching, item keys someone wants) in this snapshot."""
    shows: set[str] = set()
    wanted: set[str] = set()
    users = set(snapshot.users)
    for w in snapshot.wants:
        item = snapshot.items.get(w.item_key)
        if item is None or (w.user not in users):
            continue
        wanted.add(item.key)
        if w.reason in WATCHING and item.show_key:
            shows.add(item.show_key)
    for s in snapshot.sessions:
        item = snapshot.items.get(s.item_key)
        if item is not None:
            wanted.add(item.key)
            if item.show_key:
                shows.add(item.show_key)
    return frozenset(shows), frozenset(wanted)


def is_fresh(item: MediaItem, days: timedelta, now: datetime) -> bool:
    return days > timedelta(0) and item.added_at is not None and now - item.added_at < days


def sort_fresh(adopted: Sequence[CacheEntry], items: Mapping[str, MediaItem], snapshot: Snapshot,
               days: timedelta, now: datetime) -> FreshSort:
    """Split files found on the cache (``items``: cache path -> its Plex item) into what is registered and
    the fresh downloads left to the mover."""
    shows, wanted = watching(snapshot)
    keep: list[CacheEntry] = []
    left: list[str] = []
    for e in adopted:
        item = items.get(e.cache_path)
        if item is None or not is_fresh(item, days, now):
            keep.append(e)  # not fresh (or the feature is off): pre-existing, as always
        elif item.key in wanted or (item.show_key is not None and item.show_key in shows):
            assert item.added_at is not None  # is_fresh
            keep.append(replace(e, reason=Reason.FRESH_DOWNLOAD, cached_at=item.added_at))
        else:
            left.append(e.cache_path)
    return FreshSort(tuple(keep), tuple(left))


def kept_until(entry: CacheEntry, days: timedelta) -> datetime:
    return entry.cached_at + days


def fresh_fate(entry: CacheEntry, days: timedelta, retention: timedelta, now: datetime,
               watchers: frozenset[str] | None) -> tuple[Fate, str]:
    """The fate of an unwanted fresh-download entry: (KEPT, "") within its days. Once watched, or after its
    days, the normal rules of cached media: given back ((BACK, why): copied to the array, verified, then
    removed from the cache, by the engine) once watched or once ``retention`` has passed since its days ran
    out, and until then (IDLE, ""): kept, evictable first when space is needed."""
    until = kept_until(entry, days)
    if watchers is not None:
        return Fate.BACK, f"fresh download (FRESH_DOWNLOAD_DAYS) watched by {user_list(watchers)}"
    if now < until:
        return Fate.KEPT, ""
    if now - until < retention:
        return Fate.IDLE, ""
    return Fate.BACK, (f"fresh download kept {days.days} day(s) (FRESH_DOWNLOAD_DAYS) and "
                     f"{retention.total_seconds() / 3600:.0f}h more (CACHE_RETENTION_HOURS); nobody wants it now")



def superseded(entries: Sequence[CacheEntry], snapshot: Snapshot) -> list[CacheEntry]:
    """Registry rows of a file their Plex item no longer has (Sonarr/Radarr upgraded it to a new file)."""
    out = []
    for e in entries:
        item = snapshot.items.get(e.item_key) if e.item_key else None
        if item is not None and item.files and e.cache_path not in {f.cache_path for f in item.files}:
            out.append(e)
    return out


def resized(entries: Sequence[CacheEntry], snapshot: Snapshot) -> list[CacheEntry]:
    """Registry rows whose file Plex now reports with another size under the same path: an upgrade that kept the
    file name. Not handled by a file operation (the cache and array copies may now differ); reported."""
    sizes = {f.cache_path: f.size for e in entries if e.item_key and (i := snapshot.items.get(e.item_key))
             for f in i.files}
    return [e for e in entries if e.cache_path in sizes and sizes[e.cache_path] not in (e.size, 0)]
