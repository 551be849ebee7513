"""Start-up recovery: finish or roll back every operation the journal shows unfinished, then remove the
temp files Cacherr left behind (only names recorded in the journal, only files or symlinks).

- PLANNED or COPYING: nothing is committed; the temp (if any) is deleted and the op rolled back. The
  source was never touched. Copy mode writes no COMMITTING row, so there a cache file byte-identical
  to the recorded source is adopted (the rename happened, DONE did not).
- COMMITTING and later: a verified temp or a committed copy exists, so the op is carried forward with
  the same step functions normal execution uses (each re-reads the disk first).

Running it again, or after it was itself killed, converges to the same state.
"""

from __future__ import annotations

import stat

from cacherr.domain.errors import CacherrError, UnsafePath
from cacherr.fileops.context import Ctx, Outcome, entry_for
from cacherr.fileops.flows import continue_cache, continue_restore
from cacherr.fileops.fsutil import FileStamp, is_regular, lstat_or_none, same_content, unlink_durable
from cacherr.fileops.journal import OpRow, RecordEntry, Status, Step
from cacherr.fileops.preflight import Located, locate
from cacherr.fileops.steps import abandon


def recover(ctx: Ctx, swept_upto: int = 0) -> tuple[list[str], int]:
    """Finish or roll back every unfinished operation, then look for stray names of operations with an id of
    at least ``swept_upto``. Returns the notes and the new watermark: a steady-state cycle looks at no name of
    an operation already swept, so it touches no array disk (docs/safety.md, spin-down)."""
    notes = []
    for op in ctx.journal.active():
        ctx.hit("recover:op")
        try:
            outcome = recover_one(ctx, op)
        except (OSError, CacherrError) as exc:
            outcome = abandon(ctx, op, exc)
        notes.append(f"operation {op.id} ({op.kind} {op.array_path}, {op.mode}) interrupted at "
                     f"{op.step}: {outcome.status.value}{': ' + outcome.message if outcome.message else ''}")
    swept, upto = sweep_strays(ctx, swept_upto)
    notes.extend(swept)
    return notes, upto


def recover_one(ctx: Ctx, op: OpRow) -> Outcome:
    if op.step in (Step.PLANNED, Step.COPYING):
        adopted = _adopt_committed_copy(ctx, op)
        if adopted is not None:
            return adopted
        _remove_ours(op.tmp_path)
        return ctx.finish(op, Status.ROLLED_BACK, "interrupted before the copy was complete; the source is "
                          "untouched and the temp file removed")
    loc = _locate(ctx, op)
    if op.kind == "cache":
        return continue_cache(ctx, op, loc)
    return continue_restore(ctx, op, loc)


def _adopt_committed_copy(ctx: Ctx, op: OpRow) -> Outcome | None:
    """Copy mode journals no COMMITTING row: a crash between the rename and DONE leaves the verified copy
    under the media name with the op still PLANNED. When the cache file is byte-identical to the array
    file (still the version recorded at PLANNED), it is adopted and recorded, as an identical file found
    at commit time is; anything else is rolled back as before (a different file is never touched)."""
    if op.kind != "cache" or op.mode != "copy":
        return None
    dst, src = lstat_or_none(op.dst_path), lstat_or_none(op.src_path)
    if not (is_regular(dst) and is_regular(src) and dst is not None and src is not None):
        return None
    if not op.matches(FileStamp.of(src)) or dst.st_size != op.size or not same_content(op.src_path, op.dst_path):
        return None
    _remove_ours(op.tmp_path)
    record = RecordEntry(entry_for(op)) if op.role == "media" else None
    return ctx.finish(op, Status.DONE, "interrupted after the commit: the identical cache copy was adopted",
                      registry=record, tmp_ino=dst.st_ino, bytes_done=op.size)


def _locate(ctx: Ctx, op: OpRow) -> Located | None:
    try:
        return locate(ctx.config.roots, op.array_path, op.cache_path)
    except UnsafePath:
        return None  # roots changed since: finish anyway, but remove no folders


def _remove_ours(path: str) -> bool:
    """Delete a temp name recorded in the journal when it holds a file or a symlink (never a folder)."""
    st = lstat_or_none(path)
    if st is None or not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        return False
    return unlink_durable(path)


def sweep_strays(ctx: Ctx, from_id: int = 0) -> tuple[list[str], int]:
    """Temp names of finished operations that still exist (e.g. a crash inside a conflict path).
    A temp file is always a redundant copy, so it may go; a swap name goes only when it is a symlink
    (after a conflict it may hold the user's original file, which is reported, never deleted)."""
    active = {op.id for op in ctx.journal.active()}
    notes = []
    upto = from_id
    for op_id, tmp, swap in ctx.journal.temp_names():
        if op_id < from_id:
            continue
        if op_id in active:
            continue
        if not active or op_id < min(active):
            upto = max(upto, op_id + 1)
        if tmp and _remove_ours(tmp):
            notes.append(f"removed stray temp file {tmp} (operation {op_id})")
        swap_st = lstat_or_none(swap) if swap else None
        if swap_st is not None:
            if stat.S_ISLNK(swap_st.st_mode):
                unlink_durable(swap)
                notes.append(f"removed stray symlink {swap} (operation {op_id})")
            else:
                notes.append(f"kept {swap} (operation {op_id}): it holds a file Cacherr did not verify; "
                             "check it and remove it yourself")
    return notes, upto
