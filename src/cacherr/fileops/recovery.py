"""Start-up recovery: finish or roll back every operation the journal shows unfinished, then remove the
temp files Cacherr left behind (only names recorded in the journal, only files or symlinks).

- PLANNED or COPYING: nothing is committed; the temp (if any) is deleted and the op rolled back. The
  source was never touched.
- COMMITTING and later: a verified temp or a committed copy exists, so the op is carried forward with
  the same step functions normal execution uses (each re-reads the disk first).

Running it again, or after it was itself killed, converges to the same state.
"""

from __future__ import annotations

import stat

from cacherr.domain.errors import CacherrError, UnsafePath
from cacherr.fileops.context import Ctx, Outcome
from cacherr.fileops.flows import continue_cache, continue_restore
from cacherr.fileops.fsutil import lstat_or_none, unlink_durable
from cacherr.fileops.journal import OpRow, Status, Step
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
        _remove_ours(op.tmp_path)
        return ctx.finish(op, Status.ROLLED_BACK, "interrupted before the copy was complete; the source is "
                          "untouched and the temp file removed")
    loc = _locate(ctx, op)
    if op.kind == "cache":
        return continue_cache(ctx, op, loc)
    return continue_restore(ctx, op, loc)


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
