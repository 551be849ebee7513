"""A stale cache copy (a Sonarr/Radarr upgrade under the same name): the array now holds a newer file at the
path whose old version Cacherr cached. The restore of such an entry (``Action.stale``) drops the cache copy
instead of reporting a conflict, but only when the disk says so at that moment, never on the plan's word:

- the cache copy is still the version the restore recorded at ``planned`` (``remove_source`` checks inode,
  size, mtime and ctime right before the unlink), so a file someone else wrote there is never removed;
- the array file is a regular file with one name, newer (mtime) than the cache copy, not modified in the
  last ``recent_seconds`` (a copy still landing) and not open for writing;
- at ``removing_source`` the array file is still that inode, still newer: recovery after a crash re-checks
  the same, and anything else ends as a conflict with both files kept.

The old version is then gone: Sonarr/Radarr replaced it on purpose, the array's newer file is the item's media,
and the cache copy is a copy Cacherr made (the service plans this only for its own copies, see
``services.upgrades``).
"""

from __future__ import annotations

import os
import stat
import time

from cacherr.fileops.context import Ctx
from cacherr.fileops.fsutil import lstat_or_none
from cacherr.fileops.journal import OpRow


def is_stale(op: OpRow) -> bool:
    return bool(op.action_data.get("stale"))


def why_not_newer(ctx: Ctx, op: OpRow, array: os.stat_result) -> str | None:
    """None when the array file may replace the cache copy; else why not (the restore ends as a conflict)."""
    cached = lstat_or_none(op.cache_path)
    if cached is None:
        return "the cache copy vanished"
    if not stat.S_ISREG(array.st_mode) or array.st_nlink > 1 or array.st_size <= 0:
        return f"{op.array_path} is not a plain file with one name"
    if array.st_mtime_ns <= cached.st_mtime_ns:
        return f"{op.array_path} is not newer than the cache copy"
    if ctx.config.recent_seconds > 0 and time.time() - array.st_mtime_ns / 1e9 < ctx.config.recent_seconds:
        return f"{op.array_path} was modified moments ago (still being written?); tried again next cycle"
    if ctx.writers(op.array_path):
        return f"{op.array_path} is open for writing; tried again next cycle"
    return None


def newer_intact(op: OpRow) -> bool:
    """At ``removing_source``: the array file is still the newer inode seen at the start."""
    st = lstat_or_none(op.array_path)
    return (st is not None and stat.S_ISREG(st.st_mode) and st.st_ino == op.tmp_ino and st.st_size > 0
            and op.src_mtime_ns is not None and st.st_mtime_ns > op.src_mtime_ns)
