"""Turn plexapi objects into frozen domain values (duck-typed: this module does not import plexapi).

Reading an attribute of a partial plexapi object that happens to be ``None`` or ``[]`` makes plexapi
fetch the item again over the network. ``quiet()`` switches that off per object, so converting a
list of 100 items costs no request at all.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cacherr.adapters.plex_guids import canonical_all
from cacherr.domain.media import MediaFile, MediaItem, MediaKind, MediaVersion, Unread
from cacherr.domain.paths import PathMapper
from cacherr.domain.runtime import episodes_for


class Problems:
    """User-facing notes, in order, without duplicates (thread-safe enough: dict insertion)."""

    def __init__(self) -> None:
        self._notes: dict[str, None] = {}
        self.unread: dict[tuple[str, str], Unread] = {}  # what could not be read, by (kind, key or name)

    def add(self, note: str) -> None:
        self._notes.setdefault(note, None)

    def unread_user(self, name: str, why: str) -> None:
        self.unread.setdefault(("user", name), Unread("user", name, why))

    def unread_show(self, key: str, title: str, why: str, user: str = "") -> None:
        self.unread.setdefault(("show", key), Unread("show", title, why, key, user))

    def unread_users(self, why: str) -> None:
        self.unread.setdefault(("users", ""), Unread("users", "", why))

    def __iter__(self) -> Any:
        return iter(self._notes)

    def __len__(self) -> int:
        return len(self._notes)


def quiet(obj: Any) -> Any:
    """Stop plexapi from reloading ``obj`` when a missing attribute is read; returns ``obj``."""
    if hasattr(obj, "_autoReload"):
        obj._autoReload = False
    return obj


def attr(obj: Any, name: str, default: Any = None) -> Any:
    value = getattr(quiet(obj), name, default)
    return default if value is None else value


def int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def guids_of(obj: Any) -> tuple[str, ...]:
    """The guid and every Guid child id, each followed by the canonical imdb://, tmdb:// or tvdb:// id
    it names (legacy agents' ``com.plexapp.agents.imdb://tt...?lang=en`` included; see plex_guids)."""
    out = [str(attr(obj, "guid"))] if attr(obj, "guid") else []
    out.extend(str(g.id) for g in attr(obj, "guids", []) if getattr(g, "id", None))
    return canonical_all(out)


def order(ep: Any) -> tuple[int, int]:
    """(season, episode) of a plexapi Episode; unknown numbers sort last."""
    season = int_or_none(attr(ep, "parentIndex"))
    index = int_or_none(attr(ep, "index"))
    return (9999 if season is None else season, 9999 if index is None else index)


def parts_of(video: Any) -> list[Any]:
    return [p for m in attr(video, "media", []) for p in (attr(m, "parts", []) or [])]


def timestamp(value: Any) -> datetime | None:
    """plexapi gives naive local datetimes for epoch attributes; return an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)  # a naive value is taken as local time, as plexapi made it
    return None


def sidecar_name(video_path: str, stream: Any) -> str:
    """Plex's naming of an external subtitle next to its video: ``stem.lang[.forced][.sdh].ext``.

    Plex does not send the subtitle's path; it only picks up sidecars named this way in the video's
    folder, so the name is derived from the stream's language, flags and format.
    """
    stem = posixpath.splitext(video_path)[0]
    lang = attr(stream, "languageTag") or attr(stream, "languageCode") or ""
    ext = attr(stream, "format") or attr(stream, "codec") or "srt"
    flags = [f for f, on in (("forced", attr(stream, "forced", False)), ("sdh", attr(stream, "hearingImpaired", False)))
             if on]
    return ".".join([stem, *([lang] if lang else []), *flags, ext])


def external_subtitles(part: Any) -> list[Any]:
    streams = part.subtitleStreams() if hasattr(part, "subtitleStreams") else []
    return [s for s in streams if attr(s, "key")]


def versions_of(video: Any, mapper: PathMapper, problems: Problems, title: str,
                all_files: tuple[MediaFile, ...]) -> tuple[MediaVersion, ...]:
    """Every ``<Media>`` of an item with its mapped files (stacked parts together); ``all_files`` are the
    files of every version (the only version's, for an item with one)."""
    media = list(attr(video, "media", []) or [])
    out = []
    for m in media:
        files = all_files if len(media) == 1 else files_of(m, mapper, problems, title,
                                                          parts=list(attr(m, "parts", []) or []))
        if files:
            out.append(MediaVersion(files, int_or_none(attr(m, "height")), int_or_none(attr(m, "bitrate")),
                                    str(attr(m, "videoResolution", "") or "")))
    return tuple(out)


def files_of(video: Any, mapper: PathMapper, problems: Problems, title: str,
             parts: list[Any] | None = None) -> tuple[MediaFile, ...]:
    """Every file of an item mapped to array/cache paths; unmapped paths become problems, never guesses."""
    out = []
    for part in parts_of(video) if parts is None else parts:
        plex_path = attr(part, "file")
        if not plex_path:
            continue
        if attr(part, "exists", True) is False or attr(part, "accessible", True) is False:
            problems.add(f"{title}: Plex reports the file {plex_path!r} as missing or unreadable (checkFiles); "
                         "not cached")
            continue
        mapped = mapper.try_map(plex_path)
        if mapped is None:
            problems.add(f"{title}: Plex path {plex_path!r} is outside every path mapping; add one in "
                         "PATH_MAPPINGS (file skipped)")
            continue
        sidecars = []
        for sub in external_subtitles(part):
            side = mapper.try_map(sidecar_name(plex_path, sub))
            if side is not None:
                sidecars.append(side.array_path)
        out.append(MediaFile(plex_path, mapped.array_path, mapped.cache_path, int(attr(part, "size", 0)),
                             mapped.mapping, tuple(dict.fromkeys(sidecars))))
    return tuple(out)


def to_item(video: Any, mapper: PathMapper, problems: Problems) -> MediaItem:
    """A plexapi Movie or Episode (list or detail view) as a frozen ``MediaItem``."""
    quiet(video)
    is_episode = attr(video, "type") == "episode"
    title = str(attr(video, "title", ""))
    season, episode = (int_or_none(attr(video, "parentIndex")), int_or_none(attr(video, "index")))
    show_title = attr(video, "grandparentTitle") if is_episode else None
    label = f"{show_title} S{season or 0:02d}E{episode or 0:02d}" if is_episode else title
    files = files_of(video, mapper, problems, label)
    return MediaItem(
        key=str(attr(video, "ratingKey")),
        kind=MediaKind.EPISODE if is_episode else MediaKind.MOVIE,
        title=title,
        library=str(attr(video, "librarySectionTitle", "")),
        files=files,
        show_key=str(attr(video, "grandparentRatingKey")) if is_episode else None,
        show_title=show_title,
        season=season if is_episode else None,
        episode=episode if is_episode else None,
        year=int_or_none(attr(video, "year")),
        guids=guids_of(video),
        duration_ms=int_or_none(attr(video, "duration")),
        versions=versions_of(video, mapper, problems, label, files),
        added_at=timestamp(attr(video, "addedAt")),
        collections=() if is_episode else tuple(str(attr(c, "tag")) for c in attr(video, "collections", []) or []
                                                if attr(c, "tag")),
    )


@dataclass(frozen=True, slots=True)
class Leaf:
    """One episode of an allLeaves listing, read straight from the XML (no plexapi object)."""

    key: str
    season: int
    index: int
    watched: bool
    has_file: bool
    duration: int | None = None  # ms, Plex's duration attribute

    @property
    def order(self) -> tuple[int, int]:
        return (self.season, self.index)


def leaf_of(el: ET.Element) -> Leaf:
    files = [p for p in el.iter("Part") if p.get("file") and p.get("exists") != "0"]
    season, index = int_or_none(el.get("parentIndex")), int_or_none(el.get("index"))
    return Leaf(str(el.get("ratingKey")), 9999 if season is None else season, 9999 if index is None else index,
                bool(int_or_none(el.get("viewCount")) or 0), bool(files), int_or_none(el.get("duration")))


def next_after(leaves: Iterable[Leaf], current: tuple[int, int], count: int, minutes: int = 0) -> list[Leaf]:
    """The ``count`` episodes with a file after ``current`` in (season, episode) order, or (``minutes``,
    EPISODES_AHEAD_MINUTES) as many as make up that runtime, whichever is more. After a regular episode,
    specials (season 0) are skipped; after a special, only the next specials follow (never S01E01: a
    special on deck says nothing about the regular seasons)."""
    if current[0] == 0:
        later = sorted((e for e in leaves if e.season == 0 and e.order > current and e.has_file),
                       key=lambda e: e.order)
    else:
        later = sorted((e for e in leaves if e.season > 0 and e.order > current and e.has_file),
                       key=lambda e: e.order)
    return later[:max(count, episodes_for((e.duration for e in later), minutes))]


def first_unwatched(leaves: Iterable[Leaf], count: int) -> list[Leaf]:
    """The first ``count`` unwatched regular episodes with a file (for watchlisted shows)."""
    eps = sorted((e for e in leaves if e.season > 0 and e.has_file and not e.watched), key=lambda e: e.order)
    return eps[:count]


def first_episodes(leaves: Iterable[Leaf], count: int) -> list[Leaf]:
    """The first ``count`` regular episodes with a file (for Trakt shows: nobody's state applies)."""
    return sorted((e for e in leaves if e.season > 0 and e.has_file), key=lambda e: e.order)[:count]
