"""Same-name upgrades: Sonarr/Radarr replaced a cached file under the same path, so Plex now reports another size
for the path a registry row holds (``planning.fresh.resized``). Only those rows are looked at (Plex said something
changed), so a cycle with nothing to do makes no array-side call. Decided from the disk, file by file:

- **stale copy**: the cache copy is still Cacherr's (Cacherr put it there, the registry's size) and the array holds a
  newer file of the size Plex reports. Its restore is marked ``stale``: the engine drops the cache copy after checking
  all of that again (``fileops.stale``), and the planner caches the item's new file in the same cycle if it is still
  wanted. No conflict: the array's newer file is the item's media now.
- **replaced on the cache**: the cache copy itself is the new file (another size, the one Plex reports: written
  through the union). It is not Cacherr's copy any more: the row is refreshed (new size, "already on the cache"), so
  it is kept while wanted and given back like any file found on the cache. With no file at the array path the
  give-back copies it there first; with the older version still on the array, Cacherr never overwrites that, and the
  report says which file to remove.
- anything else: reported, nothing touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheMode, Plan
from cacherr.domain.media import Snapshot
from cacherr.planning.fresh import resized, superseded
from cacherr.ports import DiskProbe

STALE_WHY = ("replaced on the array by a newer file under the same name (a Sonarr/Radarr upgrade): the old cached "
             "copy goes, the new file is cached instead while it is wanted")


@dataclass(frozen=True, slots=True)
class SameName:
    stale: tuple[CacheEntry, ...] = ()  # Cacherr's old copy; the array holds the newer file
    replaced: tuple[CacheEntry, ...] = ()  # refreshed rows: the cache copy is the new file
    older_on_array: tuple[CacheEntry, ...] = ()  # of ``replaced``: the array still holds the old version
    unclear: tuple[CacheEntry, ...] = ()  # reported only
    playing: tuple[CacheEntry, ...] = ()  # stale copies someone plays now: dropped at a later cycle

    @property
    def hidden(self) -> set[str]:
        """Cache paths the planner must see as not cached (their stale copy goes first)."""
        return {e.cache_path for e in self.stale}


def same_name(entries: Sequence[CacheEntry], snapshot: Snapshot, disk: DiskProbe) -> SameName:
    """Sort the rows Plex reports with another size under the same path (see the module's docstring)."""
    changed = resized(entries, snapshot)
    if not changed:
        return SameName()
    plex = {f.cache_path: f.size for e in changed if e.item_key and (i := snapshot.items.get(e.item_key))
            for f in i.files}
    stale: list[CacheEntry] = []
    replaced: list[CacheEntry] = []
    older: list[CacheEntry] = []
    unclear: list[CacheEntry] = []
    playing: list[CacheEntry] = []
    in_play = {s.item_key for s in snapshot.sessions}
    for e in changed:
        cached, array = disk.file_info(e.cache_path), disk.file_info(e.array_path)
        size = plex[e.cache_path]
        if cached is None or not cached.regular:
            unclear.append(e)
        elif (cached.size == e.size and not e.pre_existing and array is not None and array.regular
              and array.links == 1 and array.size == size and array.mtime_ns > cached.mtime_ns):
            (playing if e.item_key in in_play else stale).append(e)
        elif cached.size != e.size and cached.size == size:
            row = replace(e, size=cached.size, pre_existing=True)
            replaced.append(row)
            if array is not None and (array.regular or e.mode is not CacheMode.SYMLINK):
                older.append(row)
        else:
            unclear.append(e)
    return SameName(tuple(stale), tuple(replaced), tuple(older), tuple(unclear), tuple(playing))


def only_on_cache(entries: Sequence[CacheEntry], snapshot: Snapshot, disk: DiskProbe) -> list[CacheEntry]:
    """Rows of files an upgrade replaced under a new name (``superseded``) whose array copy is gone while the cache
    copy is there: the cache holds the only copy of the old file. The planner gives it back like any other
    replaced file, which copies it to the array first (verified): Cacherr never deletes the only copy of a file,
    even one Sonarr/Radarr meant to delete. Asks the disk only about these rows."""
    return [e for e in superseded(entries, snapshot) if disk.exists(e.cache_path) and not disk.exists(e.array_path)]


def only_on_cache_note(found: Sequence[CacheEntry]) -> list[str]:
    if not found:
        return []
    return [f"{len(found)} old file(s) of upgraded items were no longer on the array (Sonarr/Radarr removed them) "
            f"and their cached copy is the only one left: it goes back to the array at the old path (copied, "
            f"verified), never deleted; remove them there if you do not want them: {_names(found)}"]


def with_discards(plan: Plan, stale: Sequence[CacheEntry]) -> Plan:
    """``plan`` with a ``stale`` restore of each old cached copy first (before the new file's copy)."""
    if not stale:
        return plan
    drops = tuple(Action(ActionKind.RESTORE, e.array_path, e.cache_path, e.size, e.reason, STALE_WHY, e.item_key,
                         e.title, e.users, library=e.library, stale=True) for e in stale)
    return replace(plan, actions=(*drops, *plan.actions))


def notes(found: SameName) -> list[str]:
    """The cycle's problem lines about same-name upgrades."""
    out = []
    if found.stale:
        out.append(f"{len(found.stale)} cached file(s) were replaced on the array by a newer file under the same "
                   f"name (a Sonarr/Radarr upgrade): the old cached copy goes, the new file is cached: "
                   f"{_names(found.stale)}")
    if found.playing:
        out.append(f"{len(found.playing)} cached file(s) were replaced on the array by a newer file under the same "
                   f"name, but someone is playing them: the old cached copy goes once nobody does: "
                   f"{_names(found.playing)}")
    fine = [e for e in found.replaced if e not in found.older_on_array]
    if fine:
        out.append(f"{len(fine)} cached file(s) were replaced on the cache by a new file under the same name (a "
                   f"Sonarr/Radarr upgrade); now tracked as found on the cache: {_names(fine)}")
    for e in found.older_on_array:
        out.append(f"{e.title or e.cache_path}: the cache holds a new file under the same name (a Sonarr/Radarr "
                   f"upgrade) while the array keeps the older version at {e.array_path}; Cacherr never overwrites a "
                   "file it did not create: remove the older array file, or the give-back ends as a conflict")
    if found.unclear:
        out.append(f"{len(found.unclear)} cached file(s) have a new size in Plex under the same name (a Sonarr/Radarr "
                   f"upgrade?): {_names(found.unclear)}; left as they are: compare the cache and array copies")
    return out


def _names(entries: Sequence[CacheEntry]) -> str:
    return ", ".join(e.title or e.cache_path for e in entries[:5]) + (" ..." if len(entries) > 5 else "")
