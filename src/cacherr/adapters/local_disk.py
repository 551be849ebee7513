"""``DiskProbe`` over the real filesystem (statvfs, scandir): the one disk probe, used by the planner
(through the cycle service) and by the dashboard, so both report the same free space. Never writes."""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator, Sequence

from cacherr.domain.cache import FileInfo
from cacherr.domain.space import DEFAULT_BLOCK

VIDEO_EXTENSIONS = frozenset({".mkv", ".mp4", ".m4v", ".avi", ".mov", ".ts", ".m2ts", ".wmv", ".webm",
                              ".mpg", ".mpeg", ".flv", ".iso", ".vob", ".divx", ".ogm"})


def existing_parent(path: str) -> str:
    """``path`` itself when it exists, else its nearest existing parent (``/`` at worst)."""
    probe = path or "/"
    while not os.path.exists(probe) and posixpath.dirname(probe) != probe:
        probe = posixpath.dirname(probe)
    return probe


def is_video(name: str) -> bool:
    return posixpath.splitext(name)[1].lower() in VIDEO_EXTENSIONS


class LocalDisk:
    """``DiskProbe`` on the local filesystem."""

    def usage(self, roots: Sequence[str]) -> tuple[int, int]:
        seen: set[int] = set()
        total = free = 0
        for root in roots:
            probe = existing_parent(root)
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
                sizes.append(os.statvfs(existing_parent(root)).f_frsize)
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
                elif entry.is_file(follow_symlinks=False) and is_video(entry.name):
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if st.st_nlink > 1:
                        continue  # hard-linked (a seeding torrent's import): the mover moves link sets whole
                    yield entry.path, st.st_size

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def file_info(self, path: str) -> FileInfo | None:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return FileInfo(st.st_size, st.st_mtime_ns, stat.S_ISREG(st.st_mode), st.st_nlink)

    def is_file(self, path: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(path).st_mode)
        except OSError:
            return False
