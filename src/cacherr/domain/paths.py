"""Pure path mapping: Plex's path -> relative media path -> array path and cache path.

Several mappings may be configured (one per library root). A Plex path outside every mapping is
reported with ``UnmappedPath``, never guessed. String operations only: no disk access here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cacherr.domain import winpath
from cacherr.domain.errors import UnmappedPath, UnsafePath

UNRAID_UNION = "/mnt/user"


def normalise(path: str) -> str:
    """Collapse ``//``, ``.`` and ``..`` and strip a trailing slash (``/`` stays ``/``)."""
    if not path:
        return path
    return posixpath.normpath(path).replace("//", "/")


def is_within(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` itself or lies below it (string-wise, after normalising). Two
    Windows paths (Plex on Windows) compare as Windows does: either separator, any case."""
    wp, wr = winpath.parse(path), winpath.parse(root)
    if wp is not None and wr is not None:
        return wp.within(wr)
    p, r = normalise(path), normalise(root)
    return p == r or p.startswith(r.rstrip("/") + "/")


def path_key(path: str) -> str:
    """A key equal for every spelling of the same Plex path: ``M:\\Movies\\x.mkv`` and ``m:/movies/x.mkv``
    alike; a POSIX path normalised, its case kept."""
    win = winpath.parse(path)
    if win is None:
        return normalise(path)
    return "/".join((win.anchor.casefold(), *win.folded))


def is_union_view(path: str) -> bool:
    """True for Unraid's FUSE union ``/mnt/user`` and anything below it (but not ``/mnt/user0``)."""
    return is_within(path, UNRAID_UNION)


@dataclass(frozen=True, slots=True)
class PathMapping:
    """One library root: how Plex sees it, where it really is on the array, and on the cache."""

    name: str
    plex_path: str
    array_path: str
    cache_path: str

    def __post_init__(self) -> None:
        if not self.plex_path.startswith("/") and winpath.parse(self.plex_path) is None:
            raise UnsafePath(f"path mapping {self.name!r}: plex_path={self.plex_path!r} must be an absolute "
                             "path (/data/movies, or Plex on Windows: M:\\Movies, \\\\tower\\media)")
        for label, value in (("array_path", self.array_path), ("cache_path", self.cache_path)):
            if not value.startswith("/"):
                raise UnsafePath(f"path mapping {self.name!r}: {label}={value!r} must be an absolute path")

    def relative(self, plex_path: str) -> str | None:
        """The media path below this mapping's Plex root ("" for the root itself), or None outside it."""
        root_win = winpath.parse(self.plex_path)
        if root_win is not None:
            win = winpath.parse(plex_path)
            return win.below(root_win) if win is not None and win.within(root_win) else None
        path, root = normalise(plex_path), normalise(self.plex_path)
        if not is_within(path, root):
            return None
        rel = path[len(root):].lstrip("/")
        return None if rel == ".." or rel.startswith("../") else rel

    def to_plex(self, relative: str) -> str:
        """The path Plex reports for the media path ``relative`` (backslashes for a Windows root)."""
        if winpath.parse(self.plex_path) is not None:
            return winpath.join(self.plex_path, relative)
        return posixpath.join(normalise(self.plex_path), relative)


@dataclass(frozen=True, slots=True)
class MappedPath:
    mapping: str
    relative: str
    array_path: str
    cache_path: str


class PathMapper:
    """Maps Plex paths to real paths through the longest matching mapping."""

    def __init__(self, mappings: Sequence[PathMapping]) -> None:
        if not mappings:
            raise UnsafePath("no path mapping is configured: set PLEX_SOURCE/REAL_SOURCE/CACHE_DESTINATION")
        # Longest Plex prefix first, so /data/tv beats /data.
        self._mappings = tuple(sorted(mappings, key=lambda m: len(normalise(m.plex_path)), reverse=True))

    @property
    def mappings(self) -> tuple[PathMapping, ...]:
        return self._mappings

    def map(self, plex_path: str) -> MappedPath:
        for m in self._mappings:
            rel = m.relative(plex_path)
            if rel is not None:
                if not rel:
                    break
                return MappedPath(
                    mapping=m.name,
                    relative=rel,
                    array_path=posixpath.join(normalise(m.array_path), rel),
                    cache_path=posixpath.join(normalise(m.cache_path), rel),
                )
        raise UnmappedPath(
            f"Plex path {plex_path!r} is outside every path mapping "
            f"({', '.join(m.plex_path for m in self._mappings)}); add a mapping in PATH_MAPPINGS"
        )

    def try_map(self, plex_path: str) -> MappedPath | None:
        try:
            return self.map(plex_path)
        except UnmappedPath:
            return None

    def roots(self) -> Iterable[str]:
        """Every real root Cacherr may touch (array and cache sides)."""
        for m in self._mappings:
            yield normalise(m.array_path)
            yield normalise(m.cache_path)

    def check_inside_roots(self, path: str) -> str:
        """Return the normalised path, or raise ``UnsafePath`` if it lies outside every media root."""
        p = normalise(path)
        if not p.startswith("/") or not any(is_within(p, r) for r in self.roots()):
            raise UnsafePath(f"{path!r} is outside the configured media roots")
        return p

    def counterpart(self, real_path: str) -> MappedPath | None:
        """Given a real array or cache path, return its mapping (both sides), or None."""
        p = normalise(real_path)
        for m in self._mappings:
            for root in (normalise(m.cache_path), normalise(m.array_path)):
                if is_within(p, root) and p != root:
                    rel = p[len(root):].lstrip("/")
                    return MappedPath(m.name, rel, posixpath.join(normalise(m.array_path), rel),
                                      posixpath.join(normalise(m.cache_path), rel))
        return None
