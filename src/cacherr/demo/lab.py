"""An Unraid-like sandbox: an array disk, a cache pool and (optionally) the union view Plex reads.

    lab = make_lab(root, {"Movies/Heat (1995)/Heat (1995).mkv": 4 << 20})
    lab.array_root    # <root>/mnt/disk1/media   (what REAL_SOURCE points at)
    lab.cache_root    # <root>/mnt/cache/media   (CACHE_DESTINATION)
    lab.union_root    # <root>/mnt/user/media    (PLEX_SOURCE; a mergerfs union, or None)
    lab.visible(rel)  # the path Plex would open: through the union, or the same rule emulated
    lab.close()       # unmounts what it mounted

Without root everything is plain folders (``cache_size=None, union=False``). As root, the cache can be
a small tmpfs (a second filesystem, so copies cross devices and a full disk is real) and the union a
mergerfs mount with the cache branch first, as Unraid's /mnt/user shows the cache copy first.
Used by ``cacherr demo`` and by the file-engine and cycle tests.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

SHARE = "media"
BLOCK = 1 << 20


def write_media(path: Path, size: int, seed: int = 0) -> str:
    """A file of ``size`` deterministic, non-repeating bytes; returns its xxh3_128 hex digest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    block = bytearray(rng.randbytes(min(size, BLOCK)) or b"")
    hasher = xxhash.xxh3_128()
    with open(path, "wb") as fh:
        left, n = size, 0
        while left > 0:
            if len(block) >= 8:
                block[:8] = n.to_bytes(8, "little")  # every block differs: no accidental dedupe
            piece = bytes(block[: min(left, len(block))])
            fh.write(piece)
            hasher.update(piece)
            left -= len(piece)
            n += 1
    return hasher.hexdigest()


def file_hash(path: Path | str) -> str:
    hasher = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK):
            hasher.update(chunk)
    return hasher.hexdigest()


def mount_tmpfs(path: Path, size_bytes: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0777", "tmpfs", str(path)],
                   check=True, capture_output=True)


def mount_union(branches: list[Path], mountpoint: Path) -> None:
    """A mergerfs union over ``branches`` (first branch wins on reads, like Unraid's cache-first view)."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    spec = ":".join(str(b) for b in branches)
    subprocess.run(["mergerfs", "-o", "allow_other,cache.files=off,category.create=ff,func.getattr=ff",
                    spec, str(mountpoint)], check=True, capture_output=True)


def unmount(path: Path) -> None:
    """Unmount, lazily if busy; never raises (clean-up paths call it)."""
    for argv in (["umount", str(path)], ["umount", "-l", str(path)]):
        if subprocess.run(argv, capture_output=True).returncode == 0:
            return


def is_mounted(path: Path) -> bool:
    return os.path.ismount(path)


@dataclass
class Lab:
    root: Path
    array_root: Path
    cache_root: Path
    union_root: Path | None
    hashes: dict[str, str] = field(default_factory=dict)  # relative path -> xxh3 of the original
    mounts: list[Path] = field(default_factory=list)

    def array(self, rel: str) -> Path:
        return self.array_root / rel

    def cache(self, rel: str) -> Path:
        return self.cache_root / rel

    def visible(self, rel: str) -> Path:
        """What Plex opens for ``rel``: through the union when mounted, else cache first, then array."""
        if self.union_root is not None:
            return self.union_root / rel
        return self.cache(rel) if os.path.lexists(self.cache(rel)) else self.array(rel)

    def add(self, rel: str, size: int, seed: int | None = None) -> str:
        digest = write_media(self.array(rel), size, seed if seed is not None else len(self.hashes) + 1)
        self.hashes[rel] = digest
        return digest

    def close(self) -> None:
        for mount in reversed(self.mounts):
            unmount(mount)
        self.mounts.clear()


def make_lab(root: Path | str, files: Mapping[str, int], *, cache_size: int | None = None,
             union: bool = False) -> Lab:
    """Lay out ``<root>/mnt/{disk1,cache,user}/media`` and write ``files`` (relative path -> size) to
    the array. ``cache_size``: mount the cache as a tmpfs of that many bytes (root only). ``union``:
    mount a mergerfs union at ``mnt/user`` (root and mergerfs only)."""
    root = Path(root)
    mnt = root / "mnt"
    disk, cache, user = mnt / "disk1", mnt / "cache", mnt / "user"
    lab = Lab(root, disk / SHARE, cache / SHARE, None)
    try:
        disk.mkdir(parents=True, exist_ok=True)
        if cache_size is not None:
            mount_tmpfs(cache, cache_size)
            lab.mounts.append(cache)
        lab.array_root.mkdir(parents=True, exist_ok=True)
        lab.cache_root.mkdir(parents=True, exist_ok=True)
        for rel, size in files.items():
            lab.add(rel, size)
        if union:
            if shutil.which("mergerfs") is None:
                raise RuntimeError("mergerfs is not installed (apt-get install mergerfs)")
            mount_union([cache, disk], user)
            lab.mounts.append(user)
            lab.union_root = user / SHARE
    except BaseException:
        lab.close()
        raise
    return lab


@contextmanager
def lab_session(root: Path | str, files: Mapping[str, int], *, cache_size: int | None = None,
                union: bool = False) -> Iterator[Lab]:
    lab = make_lab(root, files, cache_size=cache_size, union=union)
    try:
        yield lab
    finally:
        lab.close()
