"""Free-space accounting shared by the planner and the file engine, so a plan never holds a copy that
the engine then refuses for space.

What a copy to the cache takes from the free space of the cache filesystem:

- the file rounded up to whole blocks (a 1-byte file takes a 4 KiB block);
- one block for each folder the copy has to create;
- its subtitle sidecars, each rounded up the same way (the planner, which does not know their size,
  counts ``SIDECAR_ALLOWANCE`` for each one Plex reports).

A copy fits when ``free - reserved - need >= keep_free``, where ``reserved`` is what copies already
running still have to write and ``keep_free`` is MIN_FREE_SPACE. CACHE_LIMIT counts file sizes (what
Cacherr holds), not blocks. Pure arithmetic; the engine reads the numbers from the disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_BLOCK = 4096
SIDECAR_ALLOWANCE = 1024 * 1024  # what the planner counts for one subtitle file of unknown size


def on_disk(size: int, block: int = DEFAULT_BLOCK) -> int:
    """Bytes a file of ``size`` bytes occupies: whole blocks."""
    block = max(block, 1)
    return -(-max(size, 0) // block) * block


def copy_cost(size: int, *, block: int = DEFAULT_BLOCK, new_folders: int = 0,
              sidecars: Iterable[int] = ()) -> int:
    """Free space one copy to the cache takes: the file, the folders it creates, its sidecars."""
    return on_disk(size, block) + max(new_folders, 0) * max(block, 1) + sum(on_disk(s, block) for s in sidecars)


@dataclass(frozen=True, slots=True)
class SpaceVerdict:
    fits: bool
    available: int  # free - reserved - keep_free (may be negative)
    why: str = ""


def check_room(*, free: int, reserved: int, need: int, keep_free: int = 0, limit: int | None = None,
               held: int = 0, size: int = 0) -> SpaceVerdict:
    """Whether a copy needing ``need`` bytes of free space (and adding ``size`` bytes to the ``held``
    bytes Cacherr holds, against ``limit``) fits. The one rule both the planner and the engine apply."""
    available = free - reserved - keep_free
    if need > available:
        keep = f", keeping {keep_free} free (MIN_FREE_SPACE)" if keep_free else ""
        return SpaceVerdict(False, available, f"{free - reserved} bytes free, {need} needed{keep}")
    if limit is not None and held + size > limit:
        return SpaceVerdict(False, available, f"CACHE_LIMIT reached: Cacherr holds {held} bytes, {size} more "
                            f"would pass the limit of {limit}")
    return SpaceVerdict(True, available)


def new_folder_count(cache_path: str, root: str, existing: Iterable[str]) -> int:
    """Folders between ``root`` and ``cache_path`` that do not exist yet, given folders known to exist."""
    known = set(existing)
    rel = cache_path[len(root.rstrip("/")) + 1:] if cache_path.startswith(root.rstrip("/") + "/") else ""
    parts = rel.split("/")[:-1]
    count = 0
    for i in range(len(parts), 0, -1):
        if root.rstrip("/") + "/" + "/".join(parts[:i]) in known:
            break
        count += 1
    return count
