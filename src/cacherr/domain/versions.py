"""Which version of an item goes on the cache (``MEDIA_VERSION``).

An item Plex holds in several versions (a 4K and a 1080p file, a theatrical and an extended cut) is
cached as ONE version with all of its parts (stacked parts: ``pt1``, ``pt2``). The version most likely
to be played wins:

1. the version someone is playing right now;
2. else a version already complete on the cache (so a cycle never swaps one version for another; of
   several complete ones, the preferred);
3. else the ``MEDIA_VERSION`` preference:
   ``highest`` (the highest resolution, then bitrate), ``highest:1080p`` or just ``1080p`` (the highest
   at or below 1080p; when every version is above, the lowest), ``smallest`` (fewest bytes),
   ``largest``, or ``all`` (every version, as before).

A library's rule (``LIBRARY_RULES`` ``version``, ``skip_4k``) replaces ``MEDIA_VERSION`` for its items; with
``skip_4k`` a 4K version is never chosen, and an item whose versions are all 4K is not cached (said why).

Pure: string parsing and comparisons only.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from cacherr.domain.media import MediaFile, MediaItem, MediaVersion

_RES = {"4k": 2160, "uhd": 2160, "2160p": 2160, "1440p": 1440, "1080p": 1080, "fhd": 1080, "720p": 720,
        "hd": 720, "576p": 576, "480p": 480, "sd": 480}
_RULE = re.compile(r"^\s*(?:(highest|best)\s*(?::|\s|up to|<=)\s*)?(\d{3,4}p|4k|uhd|fhd|hd|sd)\s*$", re.IGNORECASE)
VERSION_HINT = ("expected highest, smallest, largest, all, a resolution limit like 1080p, or highest:1080p "
                "(the highest version at or below 1080p)")


@dataclass(frozen=True, slots=True)
class VersionRule:
    """``MEDIA_VERSION`` parsed: ``kind`` is highest, smallest, largest or all; ``max_height`` limits highest."""

    kind: str = "highest"
    max_height: int | None = None
    skip_4k: bool = False  # LIBRARY_RULES skip_4k: 4K versions are never cached
    setting: str = "MEDIA_VERSION"  # which setting this rule came from, for the why

    def for_library(self, library: str, version: str | None, skip_4k: bool) -> VersionRule:
        """This (global) rule as a library's rule overrides it."""
        if version is None and not skip_4k:
            return self
        base = VersionRule.parse(version) if version is not None else self
        return VersionRule(base.kind, base.max_height, skip_4k, f"LIBRARY_RULES[{library}]")

    @classmethod
    def parse(cls, text: str) -> VersionRule:
        value = (text or "").strip().lower()
        if value in ("", "highest", "best"):
            return cls()
        if value in ("smallest", "largest", "all"):
            return cls(value)
        m = _RULE.match(value)
        if m is None:
            raise ValueError(VERSION_HINT)
        res = m.group(2).lower()
        height = _RES.get(res) or int(res.rstrip("p"))
        return cls("highest", height)

    def __str__(self) -> str:
        if self.kind == "highest" and self.max_height:
            return f"highest:{self.max_height}p"
        return self.kind

    @property
    def label(self) -> str:
        """How the why names this rule: ``MEDIA_VERSION=1080p``, ``LIBRARY_RULES[Movies] version=smallest``."""
        text = f"{self.setting}={self}" if self.setting == "MEDIA_VERSION" else f"{self.setting} version={self}"
        return f"{text}, skip_4k" if self.skip_4k else text


@dataclass(frozen=True, slots=True)
class Choice:
    """The files to cache for an item, and (for an item with several versions) why this version."""

    files: tuple[MediaFile, ...]
    why: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def height(v: MediaVersion) -> int:
    if v.height:
        return v.height
    return _RES.get(v.label.lower(), 0) or _RES.get(f"{v.label.lower()}p", 0)


def is_4k(v: MediaVersion) -> bool:
    return height(v) >= 2000 or v.label.lower() == "4k"


def preferred(versions: tuple[MediaVersion, ...], rule: VersionRule) -> MediaVersion:
    if rule.skip_4k and any(not is_4k(v) for v in versions):
        versions = tuple(v for v in versions if not is_4k(v))

    def quality(v: MediaVersion) -> tuple[int, int, int]:
        return (height(v), v.bitrate or 0, v.size)

    if rule.kind == "smallest":
        return min(versions, key=lambda v: (v.size, -height(v)))
    if rule.kind == "largest":
        return max(versions, key=lambda v: (v.size, height(v)))
    if rule.max_height:
        within = [v for v in versions if height(v) <= rule.max_height]
        if within:
            return max(within, key=quality)
        return min(versions, key=lambda v: (height(v), v.size))
    return max(versions, key=quality)


def _describe(v: MediaVersion, n: int, because: str) -> str:
    parts = f", {len(v.files)} parts" if len(v.files) > 1 else ""
    return f"version {v.name}{parts} of {n} ({because})"


def choose(item: MediaItem, rule: VersionRule, *, playing: Collection[str] = (),
           cached: Collection[str] = ()) -> Choice:
    """The version of ``item`` to cache. ``playing``: Plex paths being played now; ``cached``: cache paths
    already on the cache. Versions keep Plex's order, so ties go to the one Plex lists first."""
    versions = item.versions
    files = item.files
    if rule.skip_4k and any(is_4k(v) for v in versions):
        versions = tuple(v for v in versions if not is_4k(v))
        if not versions:
            return Choice((), f"only in 4K, and {rule.setting} has skip_4k")
        files = tuple(f for v in versions for f in v.files)
    if len(versions) < 2 or rule.kind == "all":
        return Choice(files)
    n = len(versions)
    for v in versions:
        if any(f.plex_path in playing for f in v.files):
            return Choice(v.files, _describe(v, n, "being played"))
    complete = tuple(v for v in versions if all(f.cache_path in cached for f in v.files))
    if complete:  # several complete (cached before MEDIA_VERSION existed): the preferred of those
        kept = preferred(complete, rule)
        return Choice(kept.files, _describe(kept, n, "already on the cache"))
    best = preferred(versions, rule)
    return Choice(best.files, _describe(best, n, rule.label))
