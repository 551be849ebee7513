"""Folders opened once, checked, and used by descriptor: what was checked is what is written.

A path check (``islink``) and a later write by path are two moments: a folder swapped for a symlink in
between leads the write anywhere. Here every folder below a root is opened one component at a time with
``O_NOFOLLOW | O_DIRECTORY`` (a symlink fails with ``ELOOP``/``ENOTDIR``: refused), and every later step
(create, rename, unlink, stat, fsync) runs relative to the folder's descriptor. A folder renamed away
after it was opened keeps receiving the write: it is still the real folder that was checked, never a
symlink's target.

    with BeneathDir.open(root, "/root/Movies/Heat/Heat.mkv", create=policy, src_path=...) as d:
        fd = d.create_excl(".Heat.mkv.cacherr-7.partial")
        d.rename_noreplace(tmp_name, "Heat.mkv"); d.fsync()
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from types import TracebackType

from cacherr.domain.errors import UnsafePath
from cacherr.fileops.fsutil import RENAME_EXCHANGE, FolderPolicy, lstat_or_none, renameat2

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_child(parent_fd: int, name: str, shown: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePath(f"folder {shown} is a symlink or not a folder; Cacherr does not follow "
                             "symlinked folders") from None
        raise


def _components(root: str, folder: str) -> list[str]:
    root, folder = os.path.normpath(root), os.path.normpath(folder)
    if folder == root:
        return []
    if not folder.startswith(root.rstrip("/") + "/"):
        raise UnsafePath(f"{folder} is not below {root}; nothing was touched")
    parts = folder[len(root.rstrip("/")) + 1:].split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"{folder}: a path with '.' or '..' components is refused")
    return parts


class BeneathDir:
    """An open folder below a root, reached without following any symlink below the root."""

    def __init__(self, fd: int, path: str, created: list[str]) -> None:
        self.fd, self.path, self.created = fd, path, created

    @classmethod
    def open(cls, root: str, file_path: str, *, create: FolderPolicy | None = None,
             src_path: str = "") -> BeneathDir:
        """Open the folder of ``file_path`` (below ``root``). With ``create``, missing folders are made
        (each with the owner and mode of the folder at the same place above ``src_path``, else the
        policy's) and each creation made durable in its parent."""
        folder = os.path.dirname(file_path)
        parts = _components(root, folder)
        try:
            fd = os.open(os.path.normpath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "destination root folder does not exist (is the drive "
                                    "mounted?)", root) from None
        created: list[str] = []
        here, counterpart = os.path.normpath(root), _counterpart_base(src_path, len(parts))
        try:
            for i, name in enumerate(parts):
                here = os.path.join(here, name)
                twin = os.path.join(counterpart, *parts[: i + 1]) if counterpart else ""
                fd = cls._step(fd, name, here, create, twin, created)
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, folder, created)

    @staticmethod
    def _step(fd: int, name: str, shown: str, create: FolderPolicy | None, twin: str, created: list[str]) -> int:
        """Open (or make) ``name`` in ``fd``; closes ``fd`` only on success (the caller closes it on error)."""
        try:
            child = _open_child(fd, name, shown)
        except FileNotFoundError:
            if create is None:
                raise
            child = _make_child(fd, name, shown, create, twin, created)
        os.close(fd)
        return child

    # --- operations relative to the folder --------------------------------------------------------
    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def create_excl(self, name: str) -> int:
        return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                       dir_fd=self.fd)

    def unlink(self, name: str) -> bool:
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            return False
        return True

    def rename_noreplace(self, src: str, dst: str) -> None:
        """Rename within this folder; FileExistsError (never overwrite) when ``dst`` exists."""
        try:
            renameat2(self.fd, src, self.fd, dst, 1)
            return
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
        os.link(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)
        os.unlink(src, dir_fd=self.fd)

    def exchange(self, a: str, b: str) -> None:
        renameat2(self.fd, a, self.fd, b, RENAME_EXCHANGE)

    def fsync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> BeneathDir:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _counterpart_base(src_path: str, depth: int) -> str:
    """The folder above ``src_path`` that corresponds to the root (``depth`` folders up)."""
    if not src_path:
        return ""
    base = os.path.dirname(src_path)
    for _ in range(depth):
        base = os.path.dirname(base)
    return base


def _make_child(parent_fd: int, name: str, shown: str, policy: FolderPolicy, twin: str,
                created: list[str]) -> int:
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        made = True
    except FileExistsError:
        made = False  # a parallel operation made it first (and sets its owner and mode)
    child = _open_child(parent_fd, name, shown)
    if not made:
        return child
    created.append(shown)
    cst = lstat_or_none(twin) if twin else None
    if cst is not None and stat.S_ISDIR(cst.st_mode):
        uid, gid, mode = cst.st_uid, cst.st_gid, stat.S_IMODE(cst.st_mode)
    else:
        uid, gid, mode = policy.uid, policy.gid, policy.mode
    with contextlib.suppress(PermissionError):
        os.fchown(child, uid, gid)
    os.fchmod(child, mode)  # after chown (chown may clear bits), explicitly: umask never decides
    os.fsync(parent_fd)
    return child


def open_folder_of(path: str, root: str | None) -> BeneathDir:
    """The folder of ``path`` opened beneath ``root``; without a root (the roots changed since the
    operation was journaled), only the last component is opened without following a symlink."""
    if root is not None:
        return BeneathDir.open(root, path)
    folder = os.path.dirname(path)
    return BeneathDir(_open_child_abs(folder), folder, [])


def _open_child_abs(folder: str) -> int:
    parent, name = os.path.split(folder)
    pfd = os.open(parent or "/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _open_child(pfd, name, folder)
    finally:
        os.close(pfd)
