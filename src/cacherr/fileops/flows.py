"""The step sequences of one file: cache (array -> cache) and restore (cache -> array), in each mode.

Cache:   PLANNED -> COPYING -> COMMITTING -> [copy: DONE + record]
                                          -> [move: REMOVING_SOURCE (+ record) -> DONE]
                                          -> [symlink: SWAPPING (+ record) -> REMOVING_SOURCE -> DONE]
Restore: PLANNED -> (array copy identical: REMOVING_SOURCE)
                 -> (a stale copy, the array's file newer: REMOVING_SOURCE; fileops.stale)
                 -> (array path missing: COPYING -> COMMITTING -> REMOVING_SOURCE)
                 -> (array path is our symlink: COPYING -> SWAPPING -> REMOVING_SOURCE)
                 -> DONE + registry row removed, in the same transaction.

``start_*`` runs from PLANNED (normal execution). ``continue_*`` runs from COMMITTING onwards and is
what recovery calls after a crash: every step re-reads the disk first.
"""

from __future__ import annotations

import os

from cacherr.fileops.context import Ctx, Outcome, ProgressFn, entry_for
from cacherr.fileops.fsutil import (
    is_regular,
    is_symlink,
    lstat_or_none,
    same_content,
)
from cacherr.fileops.journal import ForgetEntry, OpRow, RecordEntry, Status, Step
from cacherr.fileops.preflight import Located
from cacherr.fileops.stale import is_stale, newer_intact, why_not_newer
from cacherr.fileops.steps import copy_to_temp, destination_intact, remove_source, resolve_commit
from cacherr.fileops.swaps import swap_back, swap_in_symlink

# --- cache ----------------------------------------------------------------------------------------

def start_cache(ctx: Ctx, op: OpRow, loc: Located, on_progress: ProgressFn | None) -> Outcome:
    existing = lstat_or_none(op.dst_path)
    if existing is not None:
        if is_regular(existing) and same_content(op.src_path, op.dst_path):
            op = ctx.advance(op, Step.COMMITTING, tmp_ino=existing.st_ino)
            return continue_cache(ctx, op, loc)
        return ctx.finish(op, Status.CONFLICT, f"{op.dst_path} already exists on the cache with different "
                          "content; both files left untouched")
    # Copy mode: no COMMITTING row; the DONE row (with the registry row) carries the copy's values. A
    # crash between the rename and DONE leaves a complete, identical copy that recovery adopts.
    res = copy_to_temp(ctx, op, loc.cache_root, strict_owner=op.mode != "copy", on_progress=on_progress,
                       durable=op.mode != "copy")
    if isinstance(res, Outcome):
        return res
    return continue_cache(ctx, res, loc)


def _record(op: OpRow) -> RecordEntry | None:
    """The registry row a finished cache of ``op`` writes with its journal step (media files only)."""
    return RecordEntry(entry_for(op)) if op.role == "media" else None


def continue_cache(ctx: Ctx, op: OpRow, loc: Located | None) -> Outcome:
    if op.step == Step.COMMITTING:
        res = resolve_commit(ctx, op, loc.cache_root if loc else None)
        if isinstance(res, Outcome):
            return res
        op = res
        if op.mode == "copy":
            return ctx.finish(op, Status.DONE, registry=_record(op), tmp_ino=op.tmp_ino, src_hash=op.src_hash,
                              dst_hash=op.dst_hash, bytes_done=op.bytes_done)
        nxt = Step.SWAPPING if op.mode == "symlink" else Step.REMOVING_SOURCE
        op = ctx.advance(op, nxt, registry=_record(op))
    if op.step == Step.SWAPPING:
        swapped = swap_in_symlink(ctx, op, loc.array_root if loc else None)
        if swapped is not None:
            return swapped
        op = ctx.advance(op, Step.REMOVING_SOURCE)
    if op.step == Step.REMOVING_SOURCE:
        if not destination_intact(op, op.cache_path):
            return ctx.finish(op, Status.CONFLICT, f"the cache copy {op.cache_path} changed or vanished; the "
                              "array copy was kept")
        symlink = op.mode == "symlink"
        target = op.swap_path if symlink else op.src_path
        root = loc.array_root if loc and not symlink else os.path.dirname(target)
        stopped = remove_source(ctx, op, target, root, strict=not symlink,
                                beneath=loc.array_root if loc else None)
        if stopped is not None:
            return stopped
        return ctx.finish(op, Status.DONE)
    return ctx.finish(op, Status.FAILED, f"unexpected journal step {op.step!r}")


# --- restore --------------------------------------------------------------------------------------

def _identical_on_array(ctx: Ctx, op: OpRow) -> bool:
    """The array copy is present and complete: same size and mtime (VERIFY=size) or same bytes (hash)."""
    a, c = os.lstat(op.array_path), os.lstat(op.cache_path)
    if a.st_size != c.st_size:
        return False
    if ctx.config.hash_verify:
        return same_content(op.array_path, op.cache_path)
    return a.st_mtime_ns == c.st_mtime_ns


def start_restore(ctx: Ctx, op: OpRow, loc: Located, on_progress: ProgressFn | None) -> Outcome:
    here = lstat_or_none(op.array_path)
    if here is None:
        res = copy_to_temp(ctx, op, loc.array_root, strict_owner=True, on_progress=on_progress)
    elif is_symlink(here):
        if os.readlink(op.array_path) != op.cache_path:
            return ctx.finish(op, Status.CONFLICT, f"{op.array_path} is a symlink that does not point at the "
                              "cache copy; nothing touched")
        res = copy_to_temp(ctx, op, loc.array_root, strict_owner=True, on_progress=on_progress,
                           next_step=Step.SWAPPING)
    elif is_regular(here) and _identical_on_array(ctx, op):
        res = ctx.advance(op, Step.REMOVING_SOURCE, tmp_ino=here.st_ino)
    elif is_stale(op):  # a same-name upgrade: the array holds a newer file (fileops.stale)
        why = why_not_newer(ctx, op, here)
        if why is not None:
            return ctx.finish(op, Status.CONFLICT, f"{why}; both kept (the cache copy is an older version)")
        res = ctx.advance(op, Step.REMOVING_SOURCE, tmp_ino=here.st_ino)
    else:
        return ctx.finish(op, Status.CONFLICT, f"{op.array_path} differs from the cache copy; both kept "
                          "(compare them and remove the one you do not want)")
    if isinstance(res, Outcome):
        return res
    return continue_restore(ctx, res, loc)


def continue_restore(ctx: Ctx, op: OpRow, loc: Located | None) -> Outcome:
    if op.step == Step.COMMITTING:
        res = resolve_commit(ctx, op, loc.array_root if loc else None)
        if isinstance(res, Outcome):
            return res
        op = ctx.advance(res, Step.REMOVING_SOURCE)
    if op.step == Step.SWAPPING:
        swapped = swap_back(ctx, op, loc.array_root if loc else None)
        if swapped is not None:
            return swapped
        op = ctx.advance(op, Step.REMOVING_SOURCE)
    if op.step == Step.REMOVING_SOURCE:
        intact = newer_intact(op) if is_stale(op) else destination_intact(op, op.array_path)
        if not intact:
            return ctx.finish(op, Status.CONFLICT, f"the array copy {op.array_path} is not the verified one; "
                              "the cache copy was kept")
        root = loc.cache_root if loc else os.path.dirname(op.cache_path)
        stopped = remove_source(ctx, op, op.cache_path, root, strict=True,
                                beneath=loc.cache_root if loc else None)
        if stopped is not None:
            return stopped
        return ctx.finish(op, Status.DONE, registry=_forget(op))
    return ctx.finish(op, Status.FAILED, f"unexpected journal step {op.step!r}")


def _forget(op: OpRow) -> ForgetEntry | None:
    """The registry row a finished restore of ``op`` deletes with its DONE row (media files only)."""
    return ForgetEntry(op.cache_path) if op.role == "media" else None
