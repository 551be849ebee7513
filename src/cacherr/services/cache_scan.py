"""What is on the cache right now: the size of the cache filesystem(s), and media files Cacherr did not
put there (a fresh download that landed on the cache), adopted as pre-existing entries.

Read-only, through a ``DiskProbe`` (``adapters.local_disk.LocalDisk`` is the real one).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cacherr.domain.cache import CacheEntry, CacheMode, CacheState
from cacherr.domain.media import MediaItem, Reason
from cacherr.domain.paths import PathMapper, normalise
from cacherr.ports import DiskProbe, MediaServer

log = logging.getLogger(__name__)

def cache_roots(mapper: PathMapper) -> list[str]:
    return sorted({normalise(m.cache_path) for m in mapper.mappings})


def cache_state(disk: DiskProbe, mapper: PathMapper, entries: Sequence[CacheEntry]) -> CacheState:
    """The cache as the planner sees it: entries, space and the block size, measured the engine's way."""
    roots = cache_roots(mapper)
    total, free = disk.usage(roots)
    return CacheState(tuple(entries), total, free, disk.block_size(roots), tuple(roots))


@dataclass(frozen=True, slots=True)
class Adoption:
    entries: tuple[CacheEntry, ...]  # new pre-existing entries
    unknown: tuple[str, ...]  # cache files Plex does not know (left alone)
    items: dict[str, MediaItem] = field(default_factory=dict)  # cache path -> the Plex item of each entry


def find_unregistered(disk: DiskProbe, mapper: PathMapper, known: Collection[str]) -> dict[str, tuple[str, int]]:
    """Plex path -> (cache path, size) for video files on the cache that the registry does not list."""
    out: dict[str, tuple[str, int]] = {}
    for root in cache_roots(mapper):
        for path, size in disk.media_files(root):
            path = normalise(path)
            if path in known:
                continue
            mapped = mapper.counterpart(path)
            if mapped is None:
                continue
            mapping = next(m for m in mapper.mappings if m.name == mapped.mapping)
            out[mapping.to_plex(mapped.relative)] = (path, size)
    return out


def adopt(server: MediaServer, disk: DiskProbe, mapper: PathMapper, known: Collection[str],
          now: datetime, *, skip: Collection[str] = ()) -> Adoption:
    """Cache files not in the registry that Plex knows become pre-existing entries (not saved here).
    ``skip``: cache paths Plex did not know recently; not asked about again (it costs a library listing)."""
    found = {plex: hit for plex, hit in find_unregistered(disk, mapper, known).items() if hit[0] not in skip}
    if not found:
        return Adoption((), ())
    items = server.items_for_paths(list(found))
    entries = []
    found_items: dict[str, MediaItem] = {}
    for plex_path, (cache_path, size) in sorted(found.items()):
        item = items.get(plex_path)
        if item is None:
            continue
        found_items[cache_path] = item
        mapped = mapper.counterpart(cache_path)
        assert mapped is not None  # find_unregistered kept only mapped paths
        mode = CacheMode.COPY if disk.exists(mapped.array_path) else CacheMode.MOVE
        entries.append(CacheEntry(cache_path, mapped.array_path, size, mode, now, item.key, item.display_title,
                                  item.library, Reason.PRE_EXISTING, frozenset(), False, True, None))
    unknown = tuple(sorted(p for plex, (p, _) in found.items() if plex not in items))
    if unknown:
        log.info("%d file(s) on the cache are unknown to Plex and left alone", len(unknown))
    return Adoption(tuple(entries), unknown, found_items)


def moved_back(entries: Sequence[CacheEntry], disk: DiskProbe) -> list[CacheEntry]:
    """Registry entries whose cache copy is gone while a real file sits at the array path: Unraid's
    mover (past Mover Tuning's threshold) or the user moved it back behind Cacherr's back. Their rows
    are stale: kept, the planner would count them as cached and never cache the file again. Nothing on
    disk is touched. An entry with no file on either side is not listed (a pool or disk that is not
    mounted looks like that; its row stays and a give-back reports it)."""
    return [e for e in entries
            if not disk.exists(e.cache_path) and disk.is_file(e.array_path)]

