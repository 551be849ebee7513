"""Checks before anything is written: the roots are physical paths, the file is where it should be
and stable, there is room within the budget, and nobody is writing to it.

Reads only; nothing here mutates a disk.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass

from cacherr.domain.errors import CacherrError, InsufficientSpace, UnsafePath
from cacherr.domain.paths import UNRAID_UNION
from cacherr.domain.space import check_room, on_disk
from cacherr.fileops.fsutil import FileStamp
from cacherr.fileops.protocols import SizeLimitLike


def real_path(path: str) -> str:
    """Normalise a real (Linux) path: ``//``, ``.`` and ``..`` collapse; a backslash is a name character
    here (unlike ``domain.paths.normalise``, which reads it as a Windows separator)."""
    return os.path.normpath(path) if path else path


def within(path: str, root: str) -> bool:
    p, r = real_path(path), real_path(root)
    return p == r or p.startswith(r.rstrip("/") + "/")


def mount_fstype(path: str) -> str:
    """Filesystem type of the mount holding ``path`` (longest mount-point prefix in mountinfo)."""
    real = os.path.realpath(path)
    best, fstype = "", ""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                point = left.split()[4].replace("\\040", " ")
                if within(real, point) and len(point) >= len(best):
                    best, fstype = point, right.split()[0]
    except OSError:
        return ""
    return fstype


def refuse_union_roots(roots: tuple[tuple[str, str], ...]) -> None:
    """Raise ``UnsafePath`` when a configured root is a union view such as Unraid's /mnt/user: copying
    through it can read and truncate the same file. Caught two ways: by name (/mnt/user), and by a probe
    (a file made in the cache root that shows up under the array root means the array root shows the
    cache: a union, or the same folder). /mnt/user0, /mnt/diskN and a mergerfs of array disks only
    pass the probe."""
    for array_root, cache_root in roots:
        for label, root in (("array", array_root), ("cache", cache_root)):
            if within(root, UNRAID_UNION):
                raise UnsafePath(_union_message(label, root, "the union view /mnt/user"))
        if _shows_cache(array_root, cache_root):
            raise UnsafePath(_union_message("array", array_root, f"a union view that shows the cache {cache_root} "
                                            f"({mount_fstype(array_root) or 'same folder'})"))


def _union_message(label: str, root: str, what: str) -> str:
    return (f"the {label} path {root} is {what}: Cacherr never moves files through a union, because a copy "
            "from /mnt/user/x to /mnt/cache/x can read and truncate the same file. Use the array-only path "
            "/mnt/user0/<share> (or /mnt/diskN/<share>) for REAL_SOURCE, and the pool path /mnt/cache/<share> "
            "for CACHE_DESTINATION")


def _shows_cache(array_root: str, cache_root: str) -> bool:
    if not (os.path.isdir(array_root) and os.path.isdir(cache_root)):
        return False
    if os.path.samefile(array_root, cache_root):
        return True
    name = f".cacherr-probe-{uuid.uuid4().hex}"
    probe = os.path.join(cache_root, name)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return False  # a read-only cache cannot be probed; every copy to it will fail anyway
    os.close(fd)
    try:
        return os.path.lexists(os.path.join(array_root, name))
    finally:
        os.unlink(probe)


@dataclass(frozen=True, slots=True)
class Located:
    array_root: str
    cache_root: str
    relative: str


def locate(roots: tuple[tuple[str, str], ...], array_path: str, cache_path: str) -> Located:
    """Find the mapping an action belongs to; both paths must be the same relative path below it."""
    a, c = real_path(array_path), real_path(cache_path)
    for path in (a, c):
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            raise UnsafePath(f"{path.encode('utf-8', 'backslashreplace').decode()}: the name is not valid "
                             "UTF-8; rename the file (Plex cannot match it either)") from None
    for array_root, cache_root in roots:
        if within(a, array_root) and a != real_path(array_root):
            rel = a[len(real_path(array_root)):].lstrip("/")
            if real_path(os.path.join(cache_root, rel)) == c and ".." not in rel.split("/"):
                _check_no_symlinked_folders(array_root, a)
                _check_no_symlinked_folders(cache_root, c)
                return Located(array_root, cache_root, rel)
    raise UnsafePath(f"{array_path!r} -> {cache_path!r} is not the same file below one configured "
                     "pair of array and cache roots; nothing was touched")


def _check_no_symlinked_folders(root: str, path: str) -> None:
    """A folder below a root that is a symlink could lead a write anywhere: refuse."""
    d = os.path.dirname(path)
    while len(d) > len(root):
        if os.path.islink(d):
            raise UnsafePath(f"folder {d} is a symlink; Cacherr does not follow symlinked folders")
        d = os.path.dirname(d)


def wait_stable(path: str, stamp: FileStamp, settle: float, recent: float) -> FileStamp:
    """A file written to in the last ``recent`` seconds must not change during ``settle`` seconds."""
    if settle <= 0 or time.time() - stamp.mtime_ns / 1e9 > recent:
        return stamp
    time.sleep(settle)
    again = FileStamp.of(os.lstat(path))
    if not stamp.same_version(again):
        raise FileChangedError(f"{path} is still being written to; it will be tried again next cycle")
    return again


class FileChangedError(CacherrError):
    """The source is still being written to: skipped for this cycle."""


@dataclass(slots=True)
class _Reservation:
    dev: int
    need: int  # free space the copy takes when complete (domain.space.on_disk)
    size: int  # bytes it adds to what Cacherr holds (CACHE_LIMIT)
    tmp_path: str | None


class SpaceGuard:
    """Free-space and budget checks with reservations, so parallel copies cannot overbook a disk. The
    rule and the block rounding are ``domain.space``'s, the same the planner applies. A running copy is
    reserved for what it has still to write (its temp file's allocated blocks already show in the free
    space), so its bytes are never counted twice."""

    def __init__(self, cache_limit: SizeLimitLike | None, min_free: SizeLimitLike | None) -> None:
        self.cache_limit = cache_limit
        self.min_free = min_free
        self._reserved: dict[int, _Reservation] = {}
        self._next = 0
        self._lock = threading.Lock()

    def reserve(self, folder: str, size: int, *, to_cache: bool, cacherr_usage: int,
                tmp_path: str | None = None) -> int:
        """Reserve room for a ``size``-byte file in ``folder``; returns a ticket for ``release``."""
        probe = _existing(folder)
        st = os.statvfs(probe)
        total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
        dev = os.stat(probe).st_dev
        need = on_disk(size, st.f_frsize)
        with self._lock:
            mine = [r for r in self._reserved.values() if r.dev == dev]
            verdict = check_room(
                free=free, reserved=sum(_still_to_write(r) for r in mine), need=need,
                keep_free=self._resolve(self.min_free, total) if to_cache else 0,
                limit=self.cache_limit.resolve(total) if to_cache and self.cache_limit is not None else None,
                held=cacherr_usage + sum(r.size for r in mine), size=size)
            if not verdict.fits:
                where = "" if verdict.why.startswith("CACHE_LIMIT") else f"not enough free space on {folder}: "
                raise InsufficientSpace(where + verdict.why)
            self._next += 1
            self._reserved[self._next] = _Reservation(dev, need, size, tmp_path)
            return self._next

    def release(self, ticket: int, size: int = 0) -> None:  # noqa: ARG002  callers pass it; the ticket knows its size
        with self._lock:
            self._reserved.pop(ticket, None)

    @staticmethod
    def _resolve(limit: SizeLimitLike | None, total: int) -> int:
        if limit is None:
            return 0
        return limit.resolve(total) or 0


def _still_to_write(r: _Reservation) -> int:
    """What a running copy has not yet taken from the free space: its need minus its temp file's blocks."""
    if r.tmp_path is None:
        return r.need
    try:
        allocated = os.lstat(r.tmp_path).st_blocks * 512
    except OSError:
        allocated = 0
    return max(r.need - allocated, 0)


def _existing(path: str) -> str:
    while not os.path.exists(path) and path not in ("", "/"):
        path = os.path.dirname(path)
    return path or "/"
