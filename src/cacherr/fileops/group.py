"""A video and its sidecars (subtitles; artwork and NFO with CACHE_ARTWORK) cached as ONE journalled group.

The group has one row per file in ``file_ops`` (the sidecars' ``parent_id`` is the video's row), so
recovery finishes or rolls back each file with the same per-file steps as a lone file; but every journal
write of the group covers all its files in one transaction:

    begin_group   PLANNED for every file                                  (1 transaction)
    copy          every temp file copied, fsynced, verified: video first  (no journal write)
    COMMITTING    for every verified file                                 (1 transaction)
    renames       video first, then the sidecars; one fsync per folder    (no journal write)
    record        copy: DONE; move: REMOVING_SOURCE; symlink: SWAPPING,
                  and the video's registry row                            (1 transaction)
    [move]        the sources unlinked; one fsync per folder, then DONE   (1 transaction)
    [symlink]     the video's swap and removal as a lone file's; its copied sidecars are DONE already

A lone video (no sidecars) takes the lone-file path (``flows.start_cache``), which journals no COMMITTING
row in copy mode. A group does, so that a crash in the middle of its renames (some files renamed, some
not) is carried forward file by file: every row is at COMMITTING, and ``resolve_commit`` sees for each
file whether its rename happened. Crash analysis: docs/safety.md, "A video and its sidecars".
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

from cacherr.domain.cache import CacheMode
from cacherr.domain.errors import CacherrError
from cacherr.fileops.context import Ctx, Outcome, ProgressFn, entry_for
from cacherr.fileops.dirfd import BeneathDir, open_folder_of
from cacherr.fileops.flows import continue_cache
from cacherr.fileops.fsutil import (
    FileStamp,
    fsync_dir_if_there,
    is_regular,
    lstat_or_none,
    same_content,
    unlink_durable,
)
from cacherr.fileops.journal import OpChange, OpRow, OpSpec, RecordEntry, Status, Step
from cacherr.fileops.preflight import Located, locate
from cacherr.fileops.steps import abandon, commit_in, copy_to_temp, destination_intact, remove_source

VIDEO_GONE = "its video was not cached; this file stays where it is"


class _Group:
    """The live rows of one group (video first) and how each finished file ended."""

    def __init__(self, ctx: Ctx, ops: list[OpRow]) -> None:
        self.ctx = ctx
        self.live = list(ops)
        self.video_id = ops[0].id
        self.ended: dict[int, Outcome] = {}

    @property
    def video_live(self) -> bool:
        return any(op.id == self.video_id for op in self.live)

    def end(self, op: OpRow, outcome: Outcome) -> None:
        self.ended[op.id] = outcome
        self.live = [o for o in self.live if o.id != op.id]

    def abort_sidecars(self, why: str = VIDEO_GONE) -> None:
        """The video ended before its commit: drop the sidecars' temps and end them (one transaction)."""
        for op in self.live:
            _drop_our_temp(op)
        changes = [self.ctx.journal.finish_change(op, Status.ROLLED_BACK, why) for op in self.live]
        if changes:
            self.ctx.journal.update_group(changes)
        for op in list(self.live):
            self.end(op, Outcome(Status.ROLLED_BACK, why, 0, op.id))

    def replace(self, rows: list[OpRow]) -> None:
        by_id = {r.id: r for r in rows}
        self.live = [by_id.get(o.id, o) for o in self.live]


def run_cache_group(ctx: Ctx, ops: list[OpRow], loc: Located, on_progress: ProgressFn | None) -> list[Outcome]:
    """``start_cache_group``; an OS error on the way (EIO, EACCES...) ends every file still active the way
    ``abandon`` ends a lone file: only redundant temps go, every other copy is kept."""
    try:
        return start_cache_group(ctx, ops, loc, on_progress)
    except OSError as exc:
        return [abandon(ctx, op, exc) for op in ops]


def start_cache_group(ctx: Ctx, ops: list[OpRow], loc: Located, on_progress: ProgressFn | None) -> list[Outcome]:
    """Cache ``ops`` (the video, then its sidecars, all at PLANNED) as one group; one outcome per op."""
    g = _Group(ctx, ops)
    _copy_all(g, loc, on_progress)
    if g.live:
        g.replace(ctx.journal.update_group([ctx.journal.step_change(op, Step.COMMITTING, **_copy_values(op))
                                            for op in g.live]))
        ctx.hit("group:committing")
        _commit_all(g, loc)
    if g.live:
        _record_all(g)
    if g.live:
        _finish_rest(g, loc)
    return [g.ended[op.id] for op in ops]


def _copy_values(op: OpRow) -> dict[str, Any]:
    return {"tmp_ino": op.tmp_ino, "src_hash": op.src_hash, "dst_hash": op.dst_hash, "bytes_done": op.bytes_done}


def _copy_all(g: _Group, loc: Located, on_progress: ProgressFn | None) -> None:
    """Every temp file, the video first; a file already on the cache and identical is adopted as is."""
    _each_live(g, lambda op: _copy_one(g.ctx, op, loc, on_progress if op.id == g.video_id else None))


def _each_live(g: _Group, step: Callable[[OpRow], OpRow | Outcome]) -> None:
    """``step`` on every live operation, the video first; a video that ends (failed, conflict) ends its
    sidecars, and the rest are not tried."""
    for op in list(g.live):
        if op.id != g.video_id and not g.video_live:
            break
        res = step(op)
        if isinstance(res, Outcome):
            g.end(op, res)
            if op.id == g.video_id:
                g.abort_sidecars()
        else:
            g.replace([res])


def _copy_one(ctx: Ctx, op: OpRow, loc: Located, on_progress: ProgressFn | None) -> OpRow | Outcome:
    existing = lstat_or_none(op.dst_path)
    if existing is not None:
        if is_regular(existing) and same_content(op.src_path, op.dst_path):
            return _with(op, tmp_ino=existing.st_ino, bytes_done=op.size)
        return ctx.finish(op, Status.CONFLICT, f"{op.dst_path} already exists on the cache with different "
                          "content; both files left untouched")
    return copy_to_temp(ctx, op, loc.cache_root, strict_owner=op.mode != "copy", on_progress=on_progress,
                        durable=False)


def _with(op: OpRow, **values: Any) -> OpRow:
    return dataclasses.replace(op, **values)


def _commit_all(g: _Group, loc: Located) -> None:
    """Rename every verified temp into place (the video first), then fsync each folder once, before
    anything is recorded."""
    folders: dict[str, BeneathDir] = {}
    try:
        _each_live(g, lambda op: _commit_one(g.ctx, op, loc, folders))
        for folder in folders.values():
            folder.fsync()
    finally:
        for folder in folders.values():
            folder.close()
    g.ctx.hit("group:renamed")


def _commit_one(ctx: Ctx, op: OpRow, loc: Located, folders: dict[str, BeneathDir]) -> OpRow | Outcome:
    where = os.path.dirname(op.dst_path)
    if where not in folders:
        try:
            folders[where] = open_folder_of(op.dst_path, loc.cache_root)
        except FileNotFoundError:
            return ctx.finish(op, Status.ROLLED_BACK, "the destination folder and the verified temp file are "
                              "gone; nothing was committed")
    return commit_in(ctx, op, folders[where])


def _record_all(g: _Group) -> None:
    """One transaction: copy-mode files DONE, the others to their next step, the video's registry row."""
    changes: list[OpChange] = []
    for op in g.live:
        if op.mode == "copy":
            changes.append(g.ctx.journal.finish_change(op, Status.DONE))
        else:
            changes.append(g.ctx.journal.step_change(op, Step.SWAPPING if op.mode == "symlink"
                                                     else Step.REMOVING_SOURCE))
    if any(op.mode == "copy" for op in g.live):
        g.ctx.hit("before:done")
    rows = g.ctx.journal.update_group(changes, _record(g))
    g.ctx.hit("group:recorded")
    for row in rows:
        if row.status == Status.DONE.value:
            g.end(row, Outcome(Status.DONE, "", row.bytes_done, row.id))
    g.replace([r for r in rows if r.status == Status.ACTIVE.value])


def _record(g: _Group) -> RecordEntry | None:
    """The video's registry row, written with the group's step (none once the video has ended)."""
    video = next((op for op in g.live if op.id == g.video_id and op.role == "media"), None)
    return RecordEntry(entry_for(video)) if video is not None else None


def _finish_rest(g: _Group, loc: Located) -> None:
    """Symlink mode's video goes on as a lone file; moved files lose their array copy, then one DONE
    transaction after one fsync per array folder."""
    for op in [o for o in g.live if o.step == Step.SWAPPING]:
        g.end(op, continue_cache(g.ctx, op, loc))
    removed: list[OpRow] = []
    for op in list(g.live):
        stopped = _remove_one(g.ctx, op, loc)
        if stopped is not None:
            g.end(op, stopped)
        else:
            removed.append(op)
    for where in dict.fromkeys(os.path.dirname(op.src_path) for op in removed):
        fsync_dir_if_there(where)
    g.ctx.hit("group:removed")
    if removed:
        g.ctx.hit("before:done")
        for row in g.ctx.journal.update_group([g.ctx.journal.finish_change(op, Status.DONE) for op in removed]):
            g.end(row, Outcome(Status.DONE, "", row.bytes_done, row.id))


def _remove_one(ctx: Ctx, op: OpRow, loc: Located) -> Outcome | None:
    if not destination_intact(op, op.cache_path):
        return ctx.finish(op, Status.CONFLICT, f"the cache copy {op.cache_path} changed or vanished; the "
                          "array copy was kept")
    return remove_source(ctx, op, op.src_path, loc.array_root, strict=True, beneath=loc.array_root, fsync=False)


def _drop_our_temp(op: OpRow) -> None:
    st = lstat_or_none(op.tmp_path)
    if is_regular(st) and st is not None and (op.tmp_ino is None or st.st_ino == op.tmp_ino):
        unlink_durable(op.tmp_path)


def sidecar_specs(roots: tuple[tuple[str, str], ...], loc: Located, paths: list[str],
                  mode: CacheMode) -> tuple[list[OpSpec], list[tuple[str, CacheMode]]]:
    """The journal specs of the sidecars (array paths) that join their video's group, and the few that
    go apart as lone operations afterwards (a sidecar under another mapping, or one outside every mapping,
    which the lone path reports). A path that is not a regular file is left out, as before."""
    grouped: list[OpSpec] = []
    apart: list[tuple[str, CacheMode]] = []
    for path in paths:
        st = lstat_or_none(path)
        if not is_regular(st) or st is None:
            continue
        side_mode = CacheMode.COPY if st.st_nlink > 1 else mode
        other = os.path.join(loc.cache_root, path[len(loc.array_root):].lstrip("/"))
        try:
            sub = locate(roots, path, other)
        except CacherrError:
            sub = None
        if sub is None or (sub.array_root, sub.cache_root) != (loc.array_root, loc.cache_root):
            apart.append((path, side_mode))
            continue
        grouped.append(OpSpec("cache", side_mode.value, "sidecar", path, other, path, other, FileStamp.of(st), {}))
    return grouped, apart
