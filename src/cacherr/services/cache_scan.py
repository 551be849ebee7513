"""What is on the cache right now: the size of the cache filesystem(s), and media files Cacherr did not
put there (a fresh download that landed on the cache), adopted as pre-existing entries.

Read-only. ``LocalDisk`` is the real probe; tests may pass any ``DiskProbe``.
"""

from __future__ import annotations

import logging
import os
import posixpath
import stat
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cacherr.domain.cache import CacheEntry, CacheMode, CacheState
from cacherr.domain.media import Reason
from cacherr.domain.paths import PathMapper, normalise
from cacherr.domain.space import DEFAULT_BLOCK
from cacherr.ports import MediaServer

log = logging.getLogger(__name__)
VIDEO_EXTENSIONS = frozenset({".mkv", ".mp4", ".m4v", ".avi", ".mov", ".ts", ".m2ts", ".wmv", ".webm",
                              ".mpg", ".mpeg", ".flv", ".iso", ".vob", ".divx", ".ogm"})


class DiskProbe(Protocol):
    def usage(self, roots: Sequence[str]) -> tuple[int, int]:
        """(total bytes, free bytes) of the filesystems holding ``roots``, each filesystem counted once."""
        ...

    def block_size(self, roots: Sequence[str]) -> int:
        """The largest allocation unit of the filesystems holding ``roots`` (what a file is rounded up to)."""
        ...

    def media_files(self, root: str) -> Iterator[tuple[str, int]]:
        """(absolute path, size) of every video file below ``root``; hidden and temporary files skipped,
        and hard-linked ones (left to Unraid's mover, which keeps a link set together)."""
        ...

    def exists(self, path: str) -> bool: ...

    def is_file(self, path: str) -> bool:
        """``path`` is a regular file itself (a symlink is not followed)."""
        ...


class LocalDisk:
    """``DiskProbe`` over the real filesystem (statvfs, scandir). Never writes."""

    def usage(self, roots: Sequence[str]) -> tuple[int, int]:
        seen: set[int] = set()
        total = free = 0
        for root in roots:
            probe = _existing(root)
            try:
                dev, st = os.stat(probe).st_dev, os.statvfs(probe)
            except OSError:
                continue
            if dev in seen:
                continue
            seen.add(dev)
            total += st.f_blocks * st.f_frsize
            free += st.f_bavail * st.f_frsize
        return total, free

    def block_size(self, roots: Sequence[str]) -> int:
        sizes = []
        for root in roots:
            try:
                sizes.append(os.statvfs(_existing(root)).f_frsize)
            except OSError:
                continue
        return max(sizes, default=DEFAULT_BLOCK)

    def media_files(self, root: str) -> Iterator[tuple[str, int]]:
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    found = list(it)
            except OSError:
                continue
            for entry in found:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and _is_video(entry.name):
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if st.st_nlink > 1:
                        continue  # hard-linked (a seeding torrent's import): the mover moves link sets whole
                    yield entry.path, st.st_size

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def is_file(self, path: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(path).st_mode)
        except OSError:
            return False


def _existing(path: str) -> str:
    probe = path or "/"
    while not os.path.exists(probe) and posixpath.dirname(probe) != probe:
        probe = posixpath.dirname(probe)
    return probe


def _is_video(name: str) -> bool:
    return posixpath.splitext(name)[1].lower() in VIDEO_EXTENSIONS


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
    for plex_path, (cache_path, size) in sorted(found.items()):
        item = items.get(plex_path)
        if item is None:
            continue
        mapped = mapper.counterpart(cache_path)
        assert mapped is not None  # find_unregistered kept only mapped paths
        mode = CacheMode.COPY if disk.exists(mapped.array_path) else CacheMode.MOVE
        entries.append(CacheEntry(cache_path, mapped.array_path, size, mode, now, item.key, item.display_title,
                                  item.library, Reason.PRE_EXISTING, frozenset(), False, True, None))
    unknown = tuple(sorted(p for plex, (p, _) in found.items() if plex not in items))
    if unknown:
        log.info("%d file(s) on the cache are unknown to Plex and left alone", len(unknown))
    return Adoption(tuple(entries), unknown)


def moved_back(entries: Sequence[CacheEntry], disk: DiskProbe) -> list[CacheEntry]:
    """Registry entries whose cache copy is gone while a real file sits at the array path: Unraid's
    mover (past Mover Tuning's threshold) or the user moved it back behind Cacherr's back. Their rows
    are stale: kept, the planner would count them as cached and never cache the file again. Nothing on
    disk is touched. An entry with no file on either side is not listed (a pool or disk that is not
    mounted looks like that; its row stays and a give-back reports it)."""
    return [e for e in entries
            if not disk.exists(e.cache_path) and disk.is_file(e.array_path)]

