"""The Unraid Mover Tuning exclude list: the absolute cache paths of every cached file, one per line.

Mover Tuning embeds each line in double quotes and runs it through bash ``eval``, so a ``$``,
backtick, ``"`` or ``\\`` in a line would be interpreted by the shell (ca.mover.tuning PR #152). Such
characters, and line breaks, are written as ``?``: ``find -path`` reads ``?`` as "any one character",
so the line still matches the real file. Lines the user wrote above the marker are kept as they are.
The file is replaced atomically (temp file, fsync, rename, fsync the folder): a reader sees the old
list or the new one, never half of one. Never called in dry-run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cacherr.domain.cache import CacheEntry
from cacherr.fileops.fsutil import fsync_dir
from cacherr.fileops.sidecars import find_sidecars

MARKER = "# ---- Cacherr: lines below this marker are written by Cacherr; add your own lines above it ----"
SHELL_HAZARDS = frozenset('$`"\\\n\r')


@dataclass(frozen=True, slots=True)
class ExcludeResult:
    path: str
    paths_written: int
    user_lines_kept: int
    changed: bool


def safe_line(path: str) -> str:
    """``path`` with every shell-hazard character replaced by ``?`` (still matches via find -path)."""
    return "".join("?" if ch in SHELL_HAZARDS else ch for ch in path)


def read_user_lines(text: str) -> list[str]:
    """The user's own lines: everything above the marker (or the whole file when there is none)."""
    lines = text.splitlines()
    if MARKER in lines:
        lines = lines[: lines.index(MARKER)]
    return lines


def render(user_lines: Iterable[str], cache_paths: Iterable[str]) -> str:
    ours = sorted({safe_line(p) for p in cache_paths if p})
    return "\n".join([*user_lines, MARKER, *ours]) + "\n"


def write_exclude_file(path: str, cache_paths: Iterable[str]) -> ExcludeResult:
    """Rewrite the managed part of the exclude list at ``path`` to exactly ``cache_paths``."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            old = fh.read()
    except FileNotFoundError:
        old = ""
    user = read_user_lines(old)
    paths = list(cache_paths)
    new = render(user, paths)
    if new != old:
        _atomic_write(path, new)
    return ExcludeResult(path, len({safe_line(p) for p in paths if p}), len(user), new != old)


def belongs_to_cacherr(entry: CacheEntry) -> bool:
    """A file Cacherr holds on the cache on purpose. A fresh download found there (pre-existing) that nobody
    has wanted and nobody pinned still belongs to the mover, so it is not excluded from it."""
    return not entry.pre_existing or entry.pinned or entry.last_wanted_at is not None


def cached_paths(entries: Iterable[CacheEntry]) -> list[str]:
    """Every cache path to exclude: each media file Cacherr holds, plus its subtitles found on the cache."""
    out: list[str] = []
    for entry in entries:
        if not belongs_to_cacherr(entry):
            continue
        out.append(entry.cache_path)
        out.extend(find_sidecars(entry.cache_path, artwork=True))  # artwork next to a cached video stays with it
    return out


def sync_exclude_file(path: str, entries: Iterable[CacheEntry]) -> ExcludeResult | None:
    """The call a cycle makes after every non-dry-run cycle. ``path`` empty: no exclude list kept."""
    if not path:
        return None
    return write_exclude_file(path, cached_paths(entries))


def _atomic_write(path: str, text: str) -> None:
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.cacherr-{os.getpid()}.tmp")
    mode = 0o666
    with contextlib.suppress(FileNotFoundError):
        mode = os.stat(path).st_mode & 0o777
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
