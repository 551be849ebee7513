"""The Unraid Mover Tuning exclude list: the absolute cache paths of every cached file, one per line.

How Mover Tuning reads a line (see docs/security.md): when the line's last component holds a ``*`` it is a
pattern, used as is; otherwise the line must name an existing file or folder literally (else it is dropped),
and then becomes a pattern too. Either way it is embedded in double quotes, run through bash ``eval`` and
handed to ``find -path`` (only ``[`` is escaped by recent versions). So:

- a path without any special character is written as it is (the literal check finds it);
- a path holding a pattern character (``[ ] * ?``) or a shell hazard (``$``, backtick, ``"``, ``\\``, line
  breaks) has each of them written as ``?`` (any one character) and gets a ``*`` at the end: the plugin
  then takes it as a pattern (no literal check that ``?`` would fail), and the pattern still matches the
  real file, whatever the plugin version does with ``[``.

Cacherr never rewrites a file it did not create (``check_target``): the target must be missing, empty,
or hold Cacherr's marker, be a regular file of at most ``MAX_BYTES``, and lie outside every media root.
Lines the user wrote above the marker are kept as they are. The file is replaced atomically (temp file,
fsync, rename, fsync the folder), created ``0666 & ~UMASK`` and never group- or world-writable.
Never called in dry-run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cacherr.domain.cache import CacheEntry
from cacherr.domain.errors import UnsafePath
from cacherr.domain.media import Reason
from cacherr.fileops.fsutil import fsync_dir
from cacherr.fileops.sidecars import find_sidecars

MARKER = "# ---- Cacherr: lines below this marker are written by Cacherr; add your own lines above it ----"
SHELL_HAZARDS = frozenset('$`"\\\n\r')
PATTERN_CHARS = frozenset("[]*?")
MAX_BYTES = 16 * 1024 * 1024  # a list of every cached file; anything larger is not ours
NEVER_WRITABLE = 0o022  # Mover Tuning runs as root: no one else may edit what it reads


@dataclass(frozen=True, slots=True)
class ExcludeResult:
    path: str
    paths_written: int
    user_lines_kept: int
    changed: bool


def safe_line(path: str) -> str:
    """``path`` as a line Mover Tuning matches to it: as is when it is plain; else every shell hazard and
    pattern character written as ``?``, and a final ``*`` so that the plugin reads it as a pattern."""
    special = SHELL_HAZARDS | PATTERN_CHARS
    if not any(ch in special for ch in path):
        return path
    return "".join("?" if ch in special else ch for ch in path) + "*"


def _inside(path: str, root: str) -> bool:
    root = os.path.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def check_target(path: str, media_roots: Sequence[str] = ()) -> list[str]:
    """Why ``path`` may not be used as the exclude list (empty: it may). Never follows a symlink, never
    opens the target (a FIFO would block)."""
    if not path:
        return []
    if not os.path.isabs(path):
        return ["expected an absolute path"]
    norm = os.path.normpath(path)
    for root in media_roots:
        if root and _inside(norm, root):
            return [f"is inside the media folder {root}: the exclude list must live outside the media (e.g. in "
                    "CONFIG_DIR as mover_exclude.txt)"]
    try:
        st = os.lstat(norm)
    except FileNotFoundError:
        return []  # created at the first cycle (a missing folder is reported then)
    except OSError as exc:
        return [f"cannot be checked ({exc.strerror})"]
    if not stat.S_ISREG(st.st_mode):
        kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        return [f"is {kind}: Cacherr only writes a regular file it created"]
    if st.st_size > MAX_BYTES:
        return [f"is {st.st_size} bytes, larger than an exclude list can be: not a file Cacherr created"]
    if st.st_size and not _has_marker(norm):
        return ["exists and is not a Cacherr exclude list (no Cacherr marker line): Cacherr never rewrites a "
                f"file it did not create. Add the line '{MARKER}' at its end, or choose a new file"]
    return []


def _has_marker(path: str) -> bool:
    try:
        return MARKER in read_capped(path).splitlines()
    except (OSError, UnsafePath):
        return False


def read_capped(path: str) -> str:
    """The text of the existing list ("" when missing), read without following a symlink and without
    blocking on a FIFO, at most ``MAX_BYTES``. Raises ``UnsafePath`` for anything but a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(f"MOVER_EXCLUDE_FILE={path} is a symlink: refused") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"MOVER_EXCLUDE_FILE={path} is not a regular file: refused")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > MAX_BYTES:
                raise UnsafePath(f"MOVER_EXCLUDE_FILE={path} is larger than {MAX_BYTES} bytes: not an exclude "
                                 "list Cacherr wrote; refused")
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", errors="surrogateescape")


def read_user_lines(text: str) -> list[str]:
    """The user's own lines: everything above the marker (or the whole file when there is none)."""
    lines = text.splitlines()
    if MARKER in lines:
        lines = lines[: lines.index(MARKER)]
    return lines


def render(user_lines: Iterable[str], cache_paths: Iterable[str]) -> str:
    ours = sorted({safe_line(p) for p in cache_paths if p})
    return "\n".join([*user_lines, MARKER, *ours]) + "\n"


def write_exclude_file(path: str, cache_paths: Iterable[str], *, umask: int = 0o022,
                       media_roots: Sequence[str] = ()) -> ExcludeResult:
    """Rewrite the managed part of the exclude list at ``path`` to exactly ``cache_paths``.

    Raises ``UnsafePath`` (nothing written) for a target Cacherr did not create (see ``check_target``)."""
    problems = check_target(path, media_roots)
    if problems:
        raise UnsafePath(f"MOVER_EXCLUDE_FILE={path} {problems[0]}")
    old = read_capped(path)
    if old.strip() and MARKER not in old.splitlines():  # replaced since the check: still never ours
        raise UnsafePath(f"MOVER_EXCLUDE_FILE={path} is not a Cacherr exclude list: refused")
    user = read_user_lines(old)
    paths = list(cache_paths)
    new = render(user, paths)
    if new != old:
        _atomic_write(path, new, umask)
    return ExcludeResult(path, len({safe_line(p) for p in paths if p}), len(user), new != old)


def belongs_to_cacherr(entry: CacheEntry) -> bool:
    """A file Cacherr holds on the cache on purpose. A fresh download found there (pre-existing) that nobody
    has wanted and nobody pinned still belongs to the mover, so it is not excluded from it; one adopted as a
    fresh download of a show being watched (FRESH_DOWNLOAD_DAYS) is kept from the mover."""
    return (not entry.pre_existing or entry.pinned or entry.last_wanted_at is not None
            or entry.reason is Reason.FRESH_DOWNLOAD)


def cached_paths(entries: Iterable[CacheEntry]) -> list[str]:
    """Every cache path to exclude: each media file Cacherr holds, plus its subtitles found on the cache."""
    out: list[str] = []
    for entry in entries:
        if not belongs_to_cacherr(entry):
            continue
        out.append(entry.cache_path)
        out.extend(find_sidecars(entry.cache_path, artwork=True))  # artwork next to a cached video stays with it
    return out


def sync_exclude_file(path: str, entries: Iterable[CacheEntry], *, umask: int = 0o022,
                      media_roots: Sequence[str] = ()) -> ExcludeResult | None:
    """The call a cycle makes after every non-dry-run cycle. ``path`` empty: no exclude list kept."""
    if not path:
        return None
    return write_exclude_file(path, cached_paths(entries), umask=umask, media_roots=media_roots)


def _atomic_write(path: str, text: str, umask: int = 0o022) -> None:
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.cacherr-{os.getpid()}.tmp")
    mode = 0o666 & ~umask
    with contextlib.suppress(FileNotFoundError):
        mode = os.lstat(path).st_mode & 0o777
    mode &= ~NEVER_WRITABLE
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            data = memoryview(text.encode("utf-8", errors="surrogateescape"))
            while data:
                data = data[os.write(fd, data):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
