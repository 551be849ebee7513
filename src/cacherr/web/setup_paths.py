"""Setup's path mappings: propose them from the folders Plex reports, and check them against what is mounted.

Plex's ``/data/movies`` is matched to ``<array root>/movies`` (or a longer tail of the path) when that
folder exists; the cache side gets the same tail under the cache root. A proposal is checked with one
real media file of the library: it must be found at the mapped array path. The union view /mnt/user is
refused with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath

UNION = "/mnt/user"
UNION_REASON = ("/mnt/user is Unraid's union view of cache and array: copying from /mnt/user/x to /mnt/cache/x "
                "can read and truncate the same file. Use the array-only path (/mnt/user0/<share> or "
                "/mnt/diskN/<share>) and the pool path (/mnt/cache/<share>).")


def union_reason(path: str) -> str | None:
    p = path.rstrip("/")
    return UNION_REASON if p == UNION or p.startswith(UNION + "/") else None


@dataclass(frozen=True)
class Proposal:
    name: str
    plex_path: str
    real_path: str
    cache_path: str
    sample_plex: str | None = None
    sample_real: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems


def _tails(plex_path: str) -> list[str]:
    parts = [p for p in PurePosixPath(plex_path.replace("\\", "/")).parts if p not in ("/", "")]
    return ["/".join(parts[-k:]) for k in range(1, len(parts) + 1)]


def propose(name: str, plex_path: str, array_root: str, cache_root: str, sample: str | None) -> Proposal:
    """The mapping for one library folder: the first tail of ``plex_path`` found under ``array_root``."""
    tails = _tails(plex_path) or [""]
    tail = next((t for t in tails if os.path.isdir(os.path.join(array_root, t))), tails[0])
    real = os.path.join(array_root, tail).rstrip("/")
    cache = os.path.join(cache_root, tail).rstrip("/")
    return check(Proposal(name, plex_path.rstrip("/"), real, cache, sample))


def check(p: Proposal) -> Proposal:
    """``p`` with its problems (empty: good) and where its sample file was looked for."""
    problems: list[str] = []
    for label, path in (("array folder", p.real_path), ("cache folder", p.cache_path)):
        reason = union_reason(path)
        if reason:
            problems.append(f"{label} {path}: {reason}")
        elif not path.startswith("/"):
            problems.append(f"{label} {path}: must be an absolute path")
    if os.path.normpath(p.real_path) == os.path.normpath(p.cache_path):
        problems.append("the array folder and the cache folder are the same: nothing could ever move")
    if not problems and not os.path.isdir(p.real_path):
        problems.append(f"array folder {p.real_path}: not found inside Cacherr's container; mount the share there")
    cache_parent = os.path.dirname(p.cache_path.rstrip("/")) or "/"
    if not problems and not os.path.isdir(p.cache_path) and not os.path.isdir(cache_parent):
        problems.append(f"cache folder {p.cache_path}: neither it nor its parent exists; mount the pool there")
    sample_real = _mapped(p.sample_plex, p.plex_path, p.real_path)
    if not problems and p.sample_plex and (sample_real is None or not os.path.isfile(sample_real)):
        problems.append(f"Plex's file {p.sample_plex} was not found at {sample_real or 'the array folder'}: "
                        "the array folder is not the same folder as Plex's")
    return Proposal(p.name, p.plex_path, p.real_path, p.cache_path, p.sample_plex, sample_real, tuple(problems))


def _mapped(plex_file: str | None, plex_root: str, real_root: str) -> str | None:
    if not plex_file:
        return None
    norm = plex_file.replace("\\", "/")
    root = plex_root.replace("\\", "/").rstrip("/")
    if norm != root and not norm.startswith(root + "/"):
        return None
    return real_root.rstrip("/") + norm[len(root):]
