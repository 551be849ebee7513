"""Step implementations shared by caching and restoring. Each one first looks at the disk, so it can be
run again after a crash (recovery calls the same functions): it finishes what is half done and never
repeats a destructive action on the wrong file.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from typing import Any

from cacherr.fileops.context import Ctx, Outcome, ProgressFn
from cacherr.fileops.copy import CopyFailed, CopyOptions, copy_verified, hash_file
from cacherr.fileops.dirfd import BeneathDir, open_folder_of
from cacherr.fileops.fsutil import (
    FileStamp,
    is_regular,
    lstat_or_none,
    remove_empty_parents,
    same_content,
    unlink_durable,
)
from cacherr.fileops.gentle import copy_priority
from cacherr.fileops.journal import OpRow, Status, Step


def planned_stamp(op: OpRow) -> FileStamp:
    """The source version recorded at PLANNED (only the fields the copy compares)."""
    return FileStamp(op.src_dev or 0, op.src_ino or 0, op.size, op.src_mtime_ns or 0, op.src_ctime_ns or 0,
                     op.src_nlink or 1, 0, 0, 0, 0)


def copy_to_temp(ctx: Ctx, op: OpRow, dst_root: str, *, strict_owner: bool, on_progress: ProgressFn | None,
                 next_step: Step = Step.COMMITTING, durable: bool = True) -> OpRow | Outcome:
    """Open (and make) the destination folder beneath its root, copy into the temp file there; journal
    ``next_step`` when verified (``durable=False``: only in memory, for copy mode, whose DONE row carries
    the copy's values and whose recovery adopts a committed identical copy, see ``recover_one``).
    The PLANNED row already names the temp file and recovery treats PLANNED
    and COPYING alike (remove the temp, roll back), so no separate COPYING step is journaled.
    On failure the temp is already gone and the op is FAILED (or ROLLED_BACK if the source moved)."""
    ctx.hit("before:copying")
    ticket = None
    folder: BeneathDir | None = None
    try:
        ticket = ctx.space.reserve(os.path.dirname(op.dst_path), op.size, to_cache=op.kind == "cache",
                                   cacherr_usage=ctx.cacherr_usage() if op.kind == "cache" else 0,
                                   tmp_path=op.tmp_path)
        folder = BeneathDir.open(dst_root, op.dst_path, create=ctx.config.folders, src_path=op.src_path)
        with copy_priority(ctx.config.io_priority):
            result = copy_verified(op.src_path, op.tmp_path, _options(ctx, strict_owner),
                                   expect=planned_stamp(op), on_bytes=ctx.reporter(op, on_progress),
                                   faults=ctx.faults, folder=folder)
    except CopyFailed as exc:
        status = Status.ROLLED_BACK if exc.reason.rolls_back else Status.FAILED
        return ctx.finish(op, status, str(exc))
    except OSError as exc:
        return ctx.finish(op, Status.FAILED, f"{exc.strerror or exc}: {exc.filename or op.dst_path}")
    except Exception as exc:  # noqa: BLE001  InsufficientSpace, UnsafePath: reported, the cycle goes on
        return ctx.finish(op, Status.FAILED, str(exc))
    finally:
        if ticket is not None:
            ctx.space.release(ticket, op.size)
        if folder is not None:
            folder.close()
    ctx.hit("after:copying")
    values: dict[str, Any] = {"tmp_ino": result.tmp_ino, "src_hash": result.src_hash, "dst_hash": result.dst_hash,
              "bytes_done": result.size}
    if not durable:
        ctx.hit(f"before:{next_step.value}")
        return dataclasses.replace(op, step=next_step.value, **values)
    return ctx.advance(op, next_step, **values)


def _options(ctx: Ctx, strict_owner: bool) -> CopyOptions:
    rate = ctx.config.bandwidth
    chunk = min(ctx.config.chunk, max(rate // 8, 1 << 20)) if rate else ctx.config.chunk
    return CopyOptions(hash_verify=ctx.config.hash_verify, strict_owner=strict_owner, chunk=chunk,
                       report_every=ctx.config.report_every, bandwidth=rate)


def resolve_commit(ctx: Ctx, op: OpRow, root: str | None) -> OpRow | Outcome:
    """Make sure the verified temp is in place under the final name. Handles every crash point:
    already renamed (the final name holds our inode), still to rename, or someone else's file there.
    Every look and the rename go through the destination folder opened beneath ``root``."""
    try:
        folder = open_folder_of(op.dst_path, root)
    except FileNotFoundError:
        return ctx.finish(op, Status.ROLLED_BACK, "the destination folder and the verified temp file are gone; "
                          "nothing was committed")
    with folder:
        return _resolve_in(ctx, op, folder)


def commit_in(ctx: Ctx, op: OpRow, folder: BeneathDir) -> OpRow | Outcome:
    """``resolve_commit`` in a folder a group already opened; the group fsyncs the folder once afterwards."""
    return _resolve_in(ctx, op, folder, fsync=False)


def _resolve_in(ctx: Ctx, op: OpRow, folder: BeneathDir, fsync: bool = True) -> OpRow | Outcome:
    """``fsync=False``: the caller fsyncs ``folder`` once for a whole group, before anything is recorded."""
    name, tmp_name = os.path.basename(op.dst_path), os.path.basename(op.tmp_path)
    final, tmp = folder.lstat(name), folder.lstat(tmp_name)
    if is_regular(final) and final is not None and final.st_ino == op.tmp_ino:
        if fsync:
            folder.fsync()
        return op
    if not (is_regular(tmp) and tmp is not None and tmp.st_ino == op.tmp_ino):
        return ctx.finish(op, Status.ROLLED_BACK, "the verified temp file is gone; nothing was committed")
    if tmp.st_size != op.size or (op.boot_id != ctx.journal.current_boot_id and not _recheck(op)):
        _drop_temp(op)
        return ctx.finish(op, Status.ROLLED_BACK, "the temp file did not survive the restart intact; discarded")
    if final is None:
        try:
            folder.rename_noreplace(tmp_name, name)
        except FileExistsError:
            return _conflict_at_commit(ctx, op)
        if fsync:
            folder.fsync()
        ctx.hit("after:commit")
        return op
    return _conflict_at_commit(ctx, op)


def _recheck(op: OpRow) -> bool:
    """After a reboot, the temp must still hash to what was verified (when a hash was recorded)."""
    return op.dst_hash is None or hash_file(op.tmp_path) == op.dst_hash


def _conflict_at_commit(ctx: Ctx, op: OpRow) -> OpRow | Outcome:
    """The final name appeared meanwhile (an import, the mover, a user). Never overwrite it: when it is
    identical to our copy, adopt it; otherwise keep it, drop our temp copy, and report."""
    if same_content(op.tmp_path, op.dst_path):
        final = os.lstat(op.dst_path)
        _drop_temp(op)
        return ctx.journal.advance(op, Step.COMMITTING, tmp_ino=final.st_ino)
    _drop_temp(op)
    return ctx.finish(op, Status.CONFLICT, f"{op.dst_path} already exists with different content; it was "
                      "left untouched and the source kept")


def _drop_temp(op: OpRow) -> None:
    st = lstat_or_none(op.tmp_path)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        unlink_durable(op.tmp_path)


def destination_intact(op: OpRow, path: str) -> bool:
    """The committed copy is still our inode with the full size (checked before removing the other copy)."""
    st = lstat_or_none(path)
    return is_regular(st) and st is not None and st.st_ino == op.tmp_ino and st.st_size == op.size


def remove_source(ctx: Ctx, op: OpRow, target: str, root: str, *, strict: bool,
                  beneath: str | None = None, fsync: bool = True) -> Outcome | None:
    """Remove ``target`` (the source copy) when it is still the version we copied; None when done.
    ``strict`` compares ctime too (False for a file our own rename moved, which updates its ctime).
    The check and the unlink go through the folder opened beneath ``beneath`` (default ``root``);
    empty folders up to ``root`` go afterwards. ``fsync=False`` (a sidecar of a group): the folder is
    fsynced by the group's last removal in it, before the DONE row."""
    anchor = beneath if beneath is not None else root
    try:
        folder = open_folder_of(target, anchor if _below(target, anchor) else None)
    except FileNotFoundError:
        return None  # its folder is gone, so is the file (e.g. removed before a crash, then its folders)
    with folder:
        stopped = _remove_in(ctx, op, target, folder, strict, fsync)
    if stopped is not None:
        return stopped
    if ctx.config.remove_empty_folders:
        remove_empty_parents(target, root)
    return None


def _below(path: str, root: str | None) -> bool:
    return root is not None and os.path.dirname(path).startswith(os.path.normpath(root).rstrip("/") + "/")


def _remove_in(ctx: Ctx, op: OpRow, target: str, folder: BeneathDir, strict: bool,
               fsync: bool = True) -> Outcome | None:
    name = os.path.basename(target)
    st = folder.lstat(name)
    if st is None:
        return None
    now = FileStamp.of(st)
    same = op.matches(now) if strict else (now.dev, now.ino, now.size, now.mtime_ns) == (
        op.src_dev, op.src_ino, op.size, op.src_mtime_ns)
    if not stat.S_ISREG(st.st_mode) or not same:
        return ctx.finish(op, Status.CONFLICT, f"{target} changed after it was copied; both copies kept")
    if now.nlink > 1:
        return ctx.finish(op, Status.CONFLICT, f"{target} gained a hard link; both copies kept")
    if ctx.writers(target):
        return ctx.finish(op, Status.CONFLICT, f"{target} is open for writing; both copies kept")
    ctx.hit("before:unlink")
    folder.unlink(name)
    ctx.hit("after:unlink")
    if fsync:
        folder.fsync()
    return None


def abandon(ctx: Ctx, op: OpRow, exc: BaseException) -> Outcome:
    """A step failed with an OS error (EIO, EACCES, EPERM, an unsupported swap...): end the operation
    without deleting anything that may be the only copy. Only our own temp file goes, and only while it
    is a redundant copy (not yet committed); the op is FAILED with both copies kept."""
    op = ctx.journal.get(op.id)
    if op.status != Status.ACTIVE.value:
        return Outcome(Status(op.status), op.message, 0, op.id)
    filename = getattr(exc, "filename", None)
    reason = f"{getattr(exc, 'strerror', None) or exc}" + (f": {filename}" if filename else "")
    if op.step in (Step.PLANNED, Step.COPYING, Step.COMMITTING) and not destination_intact(op, op.dst_path):
        tmp = lstat_or_none(op.tmp_path)
        if tmp is not None and stat.S_ISREG(tmp.st_mode):
            unlink_durable(op.tmp_path)
        return ctx.finish(op, Status.FAILED, f"{reason}; nothing was changed")
    return ctx.finish(op, Status.FAILED, f"{reason}; stopped at step {op.step} with every copy kept "
                      "(the files are safe; see docs/safety.md)")
