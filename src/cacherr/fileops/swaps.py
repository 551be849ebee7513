"""Symlink mode's two atomic swaps, done relative to the array folder opened beneath its root (so a
folder swapped for a symlink mid-operation can never lead a swap outside the media roots).

- ``swap_in_symlink``: a symlink to the cache copy is made under the swap name, then exchanged with
  the original, which sits under the swap name until it is removed. The array path is never missing.
- ``swap_back``: the verified real file (temp name) is exchanged with the symlink, then the symlink
  is dropped. Either name holds something complete at every instant.
"""

from __future__ import annotations

import contextlib
import os

from cacherr.fileops.context import Ctx, Outcome
from cacherr.fileops.dirfd import BeneathDir, open_folder_of
from cacherr.fileops.fsutil import is_regular, is_symlink
from cacherr.fileops.journal import OpRow, Status


def _points_at_cache(folder: BeneathDir, name: str, op: OpRow) -> bool:
    return is_symlink(folder.lstat(name)) and os.readlink(name, dir_fd=folder.fd) == op.cache_path


def swap_in_symlink(ctx: Ctx, op: OpRow, root: str | None) -> Outcome | None:
    with open_folder_of(op.array_path, root) as folder:
        return _swap_in(ctx, op, folder)


def _swap_in(ctx: Ctx, op: OpRow, folder: BeneathDir) -> Outcome | None:
    name, swap_name = os.path.basename(op.array_path), os.path.basename(op.swap_path)
    if _points_at_cache(folder, name, op):
        folder.fsync()
        return None
    here, swap = folder.lstat(name), folder.lstat(swap_name)
    if not (is_regular(here) and here is not None and (here.st_ino, here.st_size) == (op.src_ino, op.size)):
        return ctx.finish(op, Status.CONFLICT, f"{op.array_path} changed before the symlink swap; the cache "
                          "copy and the array file were both kept")
    if swap is not None:
        if not is_symlink(swap):
            return ctx.finish(op, Status.CONFLICT, f"{op.swap_path} is in the way; nothing swapped")
        folder.unlink(swap_name)
    os.symlink(op.cache_path, swap_name, dir_fd=folder.fd)
    with contextlib.suppress(PermissionError):
        os.chown(swap_name, here.st_uid, here.st_gid, dir_fd=folder.fd, follow_symlinks=False)
    ctx.hit("after:symlink")
    folder.exchange(swap_name, name)
    folder.fsync()
    ctx.hit("after:exchange")
    return None


def swap_back(ctx: Ctx, op: OpRow, root: str | None) -> Outcome | None:
    with open_folder_of(op.array_path, root) as folder:
        return _swap_out(ctx, op, folder)


def _swap_out(ctx: Ctx, op: OpRow, folder: BeneathDir) -> Outcome | None:
    name, tmp_name = os.path.basename(op.array_path), os.path.basename(op.tmp_path)
    here, tmp = folder.lstat(name), folder.lstat(tmp_name)
    if is_regular(here) and here is not None and here.st_ino == op.tmp_ino:
        if is_symlink(tmp):
            folder.unlink(tmp_name)
            folder.fsync()
        return None
    ours = is_regular(tmp) and tmp is not None and tmp.st_ino == op.tmp_ino
    if ours and here is None:
        folder.rename_noreplace(tmp_name, name)
        folder.fsync()
        return None
    if ours and _points_at_cache(folder, name, op):
        folder.exchange(tmp_name, name)
        folder.fsync()
        ctx.hit("after:exchange")
        if is_symlink(folder.lstat(tmp_name)):
            folder.unlink(tmp_name)
            folder.fsync()
        return None
    return ctx.finish(op, Status.CONFLICT, f"{op.array_path} is no longer the symlink Cacherr made; the cache "
                      "copy was kept")
