"""The verified copy primitive: source -> a new temp file, durable and checked, metadata preserved.

- Without a hash (VERIFY=size) the bytes move in the kernel: ``copy_file_range`` where the two files
  share a filesystem type that allows it, else ``sendfile``.
- With VERIFY=hash: a 1 MiB read/write loop hashing the source stream with xxh3_128 as it goes (no
  extra pass), then the destination is dropped from the page cache and read back and hashed.
- Always: the source is re-checked after the copy (same inode, size, mtime, ctime, and the path
  still names it): a source that changed or vanished mid-copy discards the temp. Owner, mode and
  times are set, then the temp is fsynced once (an fsync error makes the temp garbage: never
  retried) and verified. Any failure removes the temp file, which this function created with
  O_EXCL, so it can only ever remove its own file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass

import xxhash

from cacherr.domain.errors import CacherrError
from cacherr.domain.fates import CopyFailure
from cacherr.fileops.dirfd import BeneathDir
from cacherr.fileops.faults import NO_FAULTS, Faults
from cacherr.fileops.fsutil import FileStamp
from cacherr.fileops.readback import ReadBack

HASH_BUFFER = 1 << 20
KERNEL_CHUNK = 64 << 20
XATTR_PREFIXES = ("user.", "system.posix_acl_access", "system.posix_acl_default")
ByteCallback = Callable[[int], None]


class CopyFailed(CacherrError):
    """A copy did not produce a verified temp file, for ``reason``. The temp file is already removed."""

    def __init__(self, reason: CopyFailure, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.errno = errno_


@dataclass(frozen=True, slots=True)
class CopyResult:
    stamp: FileStamp  # the source as copied (S1)
    size: int
    tmp_ino: int
    src_hash: str | None
    dst_hash: str | None


@dataclass(frozen=True, slots=True)
class CopyOptions:
    hash_verify: bool = False
    strict_owner: bool = True  # a chown refused fails the copy (ops that delete the source need it)
    chunk: int = KERNEL_CHUNK
    report_every: int = 8 << 20
    bandwidth: int = 0  # bytes per second, 0 = as fast as the disks go (COPY_BANDWIDTH_LIMIT)


class _Pacer:
    """Sleeps so that ``done`` bytes take at least ``done / rate`` seconds (no-op without a rate)."""

    def __init__(self, rate: int) -> None:
        self.rate, self.started = rate, time.monotonic()

    def pace(self, done: int) -> None:
        if self.rate > 0:
            ahead = done / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)


def copy_verified(src: str, tmp: str, opts: CopyOptions, *, expect: FileStamp | None = None,
                  on_bytes: ByteCallback | None = None, faults: Faults = NO_FAULTS,
                  folder: BeneathDir | None = None) -> CopyResult:
    """Copy ``src`` to the new file ``tmp`` (which must not exist). With ``folder``, ``tmp`` is created
    and (on failure) removed by name relative to that open folder, never through a path. See the module
    docstring."""
    try:
        src_fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise CopyFailed(CopyFailure.SOURCE_GONE, f"source vanished before the copy: {src}") from None
    except OSError as exc:
        raise _classify(exc, src, "open the source") from None
    try:
        st = os.fstat(src_fd)
        s1 = FileStamp.of(st)
        if not stat.S_ISREG(st.st_mode):
            raise CopyFailed(CopyFailure.NOT_REGULAR, f"not a regular file: {src}")
        if expect is not None and not expect.same_version(s1):
            raise CopyFailed(CopyFailure.SOURCE_CHANGED, f"source changed since it was checked: {src}")
        return _copy_to_new(src, src_fd, s1, tmp, opts, on_bytes, faults, folder)
    finally:
        os.close(src_fd)


def _create(tmp: str, folder: BeneathDir | None) -> int:
    if folder is not None:
        return folder.create_excl(os.path.basename(tmp))
    return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


def _copy_to_new(src: str, src_fd: int, s1: FileStamp, tmp: str, opts: CopyOptions,
                 on_bytes: ByteCallback | None, faults: Faults, folder: BeneathDir | None) -> CopyResult:
    try:
        dst_fd = _create(tmp, folder)
    except OSError as exc:
        raise _classify(exc, tmp, "create the temp file") from None
    os.posix_fadvise(src_fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)  # larger readahead, as cp does
    readback = ReadBack(dst_fd, opts.chunk) if opts.hash_verify else None
    try:
        try:
            src_hash = _transfer(src_fd, dst_fd, s1.size, opts, on_bytes, faults, readback)
            _check_source_unchanged(src, src_fd, s1)
            _apply_metadata(src_fd, dst_fd, s1, opts.strict_owner)
            faults.hit("copy:fsync")
            os.fsync(dst_fd)  # one flush: data and metadata together, before the verify reads back
            dst_hash = _verify(dst_fd, s1.size, src_hash, tmp, readback)
            tmp_ino = os.fstat(dst_fd).st_ino
        finally:
            if readback is not None:
                readback.abort()
            os.close(dst_fd)
    except Exception as exc:
        _discard(tmp, folder)
        if isinstance(exc, CopyFailed):
            raise
        if isinstance(exc, OSError):
            raise _classify(exc, tmp, "copy") from None
        raise
    return CopyResult(s1, s1.size, tmp_ino, src_hash, dst_hash)


def _transfer(src_fd: int, dst_fd: int, size: int, opts: CopyOptions, on_bytes: ByteCallback | None,
              faults: Faults, readback: ReadBack | None) -> str | None:
    if readback is not None:
        return _hashing_loop(src_fd, dst_fd, opts, on_bytes, faults, readback)
    _kernel_copy(src_fd, dst_fd, size, opts, on_bytes, faults)
    return None


def _kernel_copy(src_fd: int, dst_fd: int, size: int, opts: CopyOptions, on_bytes: ByteCallback | None,
                 faults: Faults) -> None:
    done, use_cfr = 0, True
    pacer = _Pacer(opts.bandwidth)
    while True:
        faults.hit("copy:chunk")
        pacer.pace(done)
        want = max(opts.chunk, 1)
        n = 0
        if use_cfr:
            try:
                n = os.copy_file_range(src_fd, dst_fd, want)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF):
                    raise
                use_cfr = False
        if not use_cfr:
            n = os.sendfile(dst_fd, src_fd, None, want)
        if n == 0:
            break
        done += n
        if on_bytes is not None:
            on_bytes(done)
    if done != size and on_bytes is not None:
        on_bytes(done)


def _hashing_loop(src_fd: int, dst_fd: int, opts: CopyOptions, on_bytes: ByteCallback | None,
                  faults: Faults, readback: ReadBack) -> str:
    hasher = xxhash.xxh3_128()
    buf = bytearray(HASH_BUFFER)
    view = memoryview(buf)
    done, reported = 0, 0
    pacer = _Pacer(opts.bandwidth)
    faults.hit("copy:chunk")
    while True:
        pacer.pace(done)
        n = os.readv(src_fd, [buf])
        if n == 0:
            break
        chunk = view[:n]
        hasher.update(chunk)
        written = 0
        while written < n:
            written += os.write(dst_fd, chunk[written:])
        done += n
        readback.written(done)
        if done - reported >= opts.report_every:
            if on_bytes is not None:
                on_bytes(done)
            reported = done
            faults.hit("copy:chunk")
    if on_bytes is not None:
        on_bytes(done)
    return hasher.hexdigest()


def _check_source_unchanged(src: str, src_fd: int, s1: FileStamp) -> None:
    try:
        now = FileStamp.of(os.lstat(src))
    except FileNotFoundError:
        raise CopyFailed(CopyFailure.SOURCE_GONE, f"source vanished during the copy: {src}") from None
    if (now.dev, now.ino) != (s1.dev, s1.ino):
        raise CopyFailed(CopyFailure.SOURCE_CHANGED, f"source was replaced during the copy: {src}")
    if not s1.same_version(FileStamp.of(os.fstat(src_fd))):
        raise CopyFailed(CopyFailure.SOURCE_CHANGED, f"source changed during the copy (written to): {src}")


def _verify(dst_fd: int, size: int, src_hash: str | None, tmp: str, readback: ReadBack | None) -> str | None:
    got = os.fstat(dst_fd).st_size
    if got != size:
        raise CopyFailed(CopyFailure.VERIFY_FAILED, f"copy has {got} bytes, source has {size}: {tmp}")
    if src_hash is None or readback is None:
        return None
    dst_hash = readback.result()
    if dst_hash != src_hash:
        raise CopyFailed(CopyFailure.VERIFY_FAILED, f"copy's content hash differs from the source's: {tmp}")
    return dst_hash


def hash_fd(fd: int) -> str:
    """xxh3_128 of a whole file read from the device (its cached pages are dropped first)."""
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    hasher = xxhash.xxh3_128()
    buf = bytearray(HASH_BUFFER)
    view = memoryview(buf)
    offset = 0
    while True:
        n = os.preadv(fd, [buf], offset)
        if n == 0:
            return hasher.hexdigest()
        hasher.update(view[:n])
        offset += n


def hash_file(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        return hash_fd(fd)
    finally:
        os.close(fd)


def _apply_metadata(src_fd: int, fd: int, s1: FileStamp, strict_owner: bool) -> None:
    """Owner, then extended attributes and ACLs, then mode (chown may clear bits), times last."""
    try:
        os.fchown(fd, s1.uid, s1.gid)
    except PermissionError:
        if strict_owner:
            raise CopyFailed(CopyFailure.PERMISSION, f"cannot give the copy its owner {s1.uid}:{s1.gid} (run as root "
                             "or with PUID matching the files), so the source is kept") from None
    _copy_xattrs(src_fd, fd)
    os.fchmod(fd, s1.mode)
    os.utime(fd, ns=(s1.atime_ns, s1.mtime_ns))


def _copy_xattrs(src_fd: int, fd: int) -> None:
    """user.* and POSIX ACL attributes, where both filesystems support them (best effort)."""
    try:
        names = os.listxattr(src_fd)
    except OSError:
        return
    for name in names:
        if not name.startswith(XATTR_PREFIXES):
            continue
        try:
            os.setxattr(fd, name, os.getxattr(src_fd, name))
        except OSError as exc:
            if exc.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.ENOSPC, errno.E2BIG):
                raise


def _discard(tmp: str, folder: BeneathDir | None = None) -> None:
    if folder is not None:
        folder.unlink(os.path.basename(tmp))
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def _classify(exc: OSError, path: str, doing: str) -> CopyFailed:
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return CopyFailed(CopyFailure.NO_SPACE, f"disk full while trying to {doing}: {path}", code)
    if code in (errno.EACCES, errno.EPERM):
        return CopyFailed(CopyFailure.PERMISSION, f"permission denied while trying to {doing}: {path} (check the "
                          "owner and mode, e.g. run Unraid's New Permissions, or set PUID/PGID)", code)
    if code == errno.ENOENT:
        return CopyFailed(CopyFailure.SOURCE_GONE, f"file or folder vanished while trying to {doing}: {path}", code)
    return CopyFailed(CopyFailure.IO, f"I/O error ({os.strerror(code or 0)}) while trying to {doing}: {path}", code)
