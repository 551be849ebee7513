"""Read-back verification that overlaps the copy: a second thread hashes the destination one segment
behind the writer, after flushing that segment to the device and dropping it from the page cache, so
it reads what the disk holds (not what the page cache holds) while the copy still reads the source.

On a cache NVMe this hides the read-back almost entirely; on any disk it also bounds dirty memory
(each segment is written out as soon as it is complete). On tmpfs the flush is a no-op and the read
comes from memory. The final segment is read after the caller's fsync, in ``result()``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading

import xxhash

from cacherr.fileops.libc import LIBC

_SYNC_FILE_RANGE = 1 | 2 | 4  # WAIT_BEFORE | WRITE | WAIT_AFTER
_libc = LIBC
_sync_file_range = getattr(_libc, "sync_file_range", None)
if _sync_file_range is not None:
    _sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]


def flush_range(fd: int, offset: int, length: int) -> None:
    """Write a range out to the device and drop its cached pages (best effort where unsupported)."""
    if _sync_file_range is not None and _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE) != 0:
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ESPIPE):
            raise OSError(err, os.strerror(err))
    os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


class ReadBack:
    """Hash of the destination file as read back from the device, computed alongside the copy."""

    def __init__(self, fd: int, segment: int = 64 << 20, buffer: int = 1 << 20) -> None:
        self._fd, self._segment, self._buffer = fd, max(segment, buffer), buffer
        self._hasher = xxhash.xxh3_128()
        self._pos = self._written = 0
        self._closed = self._aborted = False
        self._error: OSError | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="cacherr-readback", daemon=True)
        self._thread.start()

    def written(self, total: int) -> None:
        """The writer has written ``total`` bytes so far."""
        with self._cond:
            self._written = total
            if total - self._pos >= self._segment:
                self._cond.notify()

    def result(self) -> str:
        """Call after the file is complete and fsynced: hashes the tail and returns the hex digest."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._hasher.hexdigest()

    def abort(self) -> None:
        with self._cond:
            self._aborted = self._closed = True
            self._cond.notify()
        self._thread.join()

    def _next_end(self) -> int | None:
        with self._cond:
            while not self._closed and self._written - self._pos < self._segment:
                self._cond.wait()
            if self._aborted:
                return None
            if self._closed:
                return self._written if self._written > self._pos else None
            return self._pos + (self._written - self._pos) // self._segment * self._segment

    def _run(self) -> None:
        buf = bytearray(self._buffer)
        view = memoryview(buf)
        try:
            while (end := self._next_end()) is not None:
                self._hash_range(self._pos, end, view)
                with self._cond:
                    self._pos = end
        except OSError as exc:
            self._error = exc

    def _hash_range(self, start: int, end: int, view: memoryview) -> None:
        flush_range(self._fd, start, end - start)
        offset = start
        while offset < end:
            n = os.preadv(self._fd, [view[: min(len(view), end - offset)]], offset)
            if n == 0:
                raise OSError(errno.EIO, "the destination is shorter than what was written")
            self._hasher.update(view[:n])
            offset += n
