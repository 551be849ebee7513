"""Low-level disk helpers: stat stamps, temp names, no-clobber rename, atomic swap, durable folders.

Rules (RELIABILITY_NOTES §4): every predicate uses ``lstat`` (never follows a symlink); commits use
``renameat2(RENAME_NOREPLACE)`` (or link+unlink) so an existing file is never overwritten; every
rename or unlink is followed by an fsync of the folder so it survives a power cut.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cacherr.fileops.libc import LIBC

NAME_MAX = 255
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_libc = LIBC
_libc_renameat2 = getattr(_libc, "renameat2", None)


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What identifies one version of a file: used to tell "unchanged" from "changed or replaced"."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int
    nlink: int
    mode: int
    uid: int
    gid: int
    atime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink,
                   stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_atime_ns)

    def same_version(self, other: FileStamp) -> bool:
        """Same inode and no write since (size, mtime and ctime equal)."""
        return (self.dev, self.ino, self.size, self.mtime_ns, self.ctime_ns) == (
            other.dev, other.ino, other.size, other.mtime_ns, other.ctime_ns)


def lstat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def is_regular(st: os.stat_result | None) -> bool:
    return st is not None and stat.S_ISREG(st.st_mode)


def is_symlink(st: os.stat_result | None) -> bool:
    return st is not None and stat.S_ISLNK(st.st_mode)


def temp_name(final_path: str, op_id: int, suffix: str = "partial") -> str:
    """``<dir>/.<name>.cacherr-<op_id>.<suffix>``, shortened (name part only) to fit NAME_MAX bytes."""
    folder, name = os.path.split(final_path)
    tail = f".cacherr-{op_id}.{suffix}".encode()
    raw = os.fsencode(name)
    room = NAME_MAX - 1 - len(tail)
    if len(raw) > room:
        raw = raw[:room]
        # Do not cut a UTF-8 sequence in half: drop trailing continuation/lead bytes.
        while raw and raw[-1] & 0xC0 == 0x80:
            raw = raw[:-1]
        if raw and raw[-1] & 0xC0 == 0xC0:
            raw = raw[:-1]
    return os.path.join(folder, os.fsdecode(b"." + raw + tail))


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def renameat2(src_dir_fd: int, src: str, dst_dir_fd: int, dst: str, flags: int) -> None:
    """``renameat2(2)``: names relative to folder descriptors (``AT_FDCWD`` for plain paths)."""
    if _libc_renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available in this C library")
    rc = _libc_renameat2(src_dir_fd, os.fsencode(src), dst_dir_fd, os.fsencode(dst), flags)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), src, None, dst)


def _renameat2(src: str, dst: str, flags: int) -> None:
    renameat2(_AT_FDCWD, src, _AT_FDCWD, dst, flags)


def rename_noreplace(src: str, dst: str) -> None:
    """Rename ``src`` to ``dst``; raise FileExistsError (never overwrite) when ``dst`` exists."""
    try:
        _renameat2(src, dst, RENAME_NOREPLACE)
        return
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    # Filesystem without RENAME_NOREPLACE: link() refuses an existing name just the same.
    os.link(src, dst, follow_symlinks=False)
    os.unlink(src)


def unlink_durable(path: str) -> bool:
    """Remove one file (never a folder) and fsync its folder; False when it was already gone."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    fsync_dir_if_there(os.path.dirname(path))
    return True


def fsync_dir_if_there(path: str) -> None:
    """fsync a folder that a parallel operation may just have removed (emptied by two moves at once;
    its removal was made durable by whoever removed it)."""
    with contextlib.suppress(FileNotFoundError):
        fsync_dir(path)


@dataclass(frozen=True, slots=True)
class FolderPolicy:
    """How new folders are made: mirror the counterpart folder, else PUID:PGID and 0777 & ~UMASK."""

    uid: int = 99
    gid: int = 100
    umask: int = 0o000

    @property
    def mode(self) -> int:
        return 0o777 & ~self.umask


def remove_empty_parents(path: str, root: str) -> list[str]:
    """rmdir the folders above ``path`` that are empty, up to (not including) ``root``.
    ``rmdir`` itself refuses a folder that holds anything, so nothing but empty folders can go."""
    removed = []
    root = os.path.normpath(root)
    d = os.path.dirname(path)
    while len(d) > len(root) and d.startswith(root + "/"):
        try:
            os.rmdir(d)
        except OSError:
            break
        removed.append(d)
        fsync_dir_if_there(os.path.dirname(d))
        d = os.path.dirname(d)
    return removed


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def same_content(a: str, b: str, chunk: int = 1 << 20) -> bool:
    """Byte-compare two regular files (used for conflicts, never on the hot path)."""
    sa, sb = os.lstat(a), os.lstat(b)
    if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)) or sa.st_size != sb.st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(chunk), fb.read(chunk)
            if x != y:
                return False
            if not x:
                return True
