"""Which array disk holds a file, so a cycle wakes each disk once: copies are ordered by disk, and the
cycle records the disks it woke.

Unraid's user shares answer the ``system.LOCATION`` extended attribute with the disk (``disk3``), on
``/mnt/user0`` as on ``/mnt/user``; mergerfs answers ``user.mergerfs.basepath`` with the branch
(``/mnt/disk3``). Elsewhere (a plain disk, a second filesystem standing in for one) the file's device
number tells disks apart. Called only for files about to be copied, so it wakes nothing that the copy
would not wake anyway.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cacherr.domain.cache import Action

_ATTRS = ("system.LOCATION", "user.mergerfs.basepath")


def disk_of(path: str) -> str:
    """A name for the disk that holds ``path`` ("" when it cannot be told, e.g. the file is gone)."""
    for attr in _ATTRS:
        try:
            value = os.getxattr(path, attr).rstrip(b"\0").decode("utf-8", "replace").strip()
        except OSError:
            continue
        if value:
            return value
    try:
        return f"device {os.stat(path).st_dev}"
    except OSError:
        return ""


def order_by_disk(actions: Sequence[Action]) -> list[tuple[Action, str]]:
    """The actions with the disk of their array file, grouped by disk (first-seen disk first), each group
    in the planner's order: one disk's copies run together, so it spins up once per cycle."""
    tagged = [(a, disk_of(a.array_path)) for a in actions]
    first_seen: dict[str, int] = {}
    for i, (_, disk) in enumerate(tagged):
        first_seen.setdefault(disk, i)
    return sorted(tagged, key=lambda t: first_seen[t[1]])
