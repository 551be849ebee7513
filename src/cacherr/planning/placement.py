"""Step 3 of ``build_plan``: place each wanted item by priority (cache it, evict strictly lower-priority media to
make room, or skip it with its reason). Pure."""

from __future__ import annotations

import posixpath
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from cacherr.domain.cache import Action, ActionKind, CacheMode, Skip
from cacherr.domain.media import MediaFile, Reason
from cacherr.planning.policy import WantedItem, human_bytes, user_list
from cacherr.planning.work import Unit, Work


class Evictor:
    """Evictable units by falling priority, with prefix sums for "how much could lower ones free"."""

    def __init__(self, units: list[Unit]) -> None:
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


def place(w: Work, wi: WantedItem, prio: int, ev: Evictor, cached: set[str],
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


def _evict_for(w: Work, wi: WantedItem, need: int, disk: int, ev: Evictor, end: int) -> None:
    while w.deficit(need, disk) > 0 and ev.next < end:
        unit = ev.units[ev.next]
        ev.next += 1
        ev.evicted.add(unit.key)
        if unit.reason is Reason.TRAKT:
            w.trakt_used -= unit.size
        w.give_back(unit.entries, unit.reason, f"makes room for {wi.item.display_title} ({wi.why}); "
                                               f"this was {unit.what}")


def _no_room(w: Work, wi: WantedItem, need: int, freeable: int) -> str:
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
