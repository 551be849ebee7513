"""What Plex knows, as plain frozen values: media items, their files, users' wishes, sessions.

The Plex adapter builds these at the boundary; nothing past it sees plexapi objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum


class MediaKind(StrEnum):
    MOVIE = "movie"
    EPISODE = "episode"


class Reason(IntEnum):
    """Why an item is wanted on the cache. Lower value = higher priority."""

    PINNED = 0
    PLAYING = 1
    IN_PROGRESS = 2
    ON_DECK = 3
    NEXT_EPISODE = 4
    WATCHLIST = 5
    TRAKT = 6
    PRE_EXISTING = 7
    FRESH_DOWNLOAD = 8  # found on the cache, just downloaded, of a show someone watches (FRESH_DOWNLOAD_DAYS)
    COLLECTION = 9  # the next film of a Plex collection someone is watching (CACHE_COLLECTION_NEXT)

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True, slots=True)
class MediaFile:
    """One media file of an item, with its paths on every side.

    ``plex_path`` is the path as Plex reports it; ``array_path`` and ``cache_path`` are the real
    paths Cacherr may touch, computed by the PathMapper. ``sidecars`` are external subtitle files
    (absolute array paths) that travel with the video.
    """

    plex_path: str
    array_path: str
    cache_path: str
    size: int
    mapping: str = "default"
    sidecars: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MediaVersion:
    """One Plex ``<Media>`` of an item: a version (4K, 1080p, a director's cut) with all of its parts
    (stacked parts: ``pt1``, ``pt2``). ``height`` is the video height in pixels (2160, 1080, 720)."""

    files: tuple[MediaFile, ...]
    height: int | None = None
    bitrate: int | None = None  # kbit/s
    label: str = ""  # Plex's videoResolution: 4k, 1080, 720, sd

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def name(self) -> str:
        if self.label.lower() == "4k" or (self.height or 0) >= 2000:
            return "4K"
        if self.label.isdigit():
            return f"{self.label}p"
        return self.label.upper() if self.label else (f"{self.height}p" if self.height else "unknown resolution")


@dataclass(frozen=True, slots=True)
class MediaItem:
    """A movie or an episode: the unit users want and watch."""

    key: str  # Plex ratingKey
    kind: MediaKind
    title: str
    library: str
    files: tuple[MediaFile, ...]
    show_key: str | None = None
    show_title: str | None = None
    season: int | None = None
    episode: int | None = None
    year: int | None = None
    guids: tuple[str, ...] = ()
    duration_ms: int | None = None
    # Every Plex <Media> (version) with its parts; ``files`` holds the files of all of them. Empty when
    # the source does not say. The planner caches one version: see domain.versions.
    versions: tuple[MediaVersion, ...] = ()
    added_at: datetime | None = None  # when Plex added it (addedAt): a fresh download is recent
    collections: tuple[str, ...] = ()  # titles of the Plex collections a movie is in

    @property
    def display_title(self) -> str:
        if self.kind is MediaKind.EPISODE and self.show_title:
            s = f"{self.season:02d}" if self.season is not None else "??"
            e = f"{self.episode:02d}" if self.episode is not None else "??"
            return f"{self.show_title} S{s}E{e} {self.title}"
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class Want:
    """One user's wish for one item, with the reason and the order within that reason."""

    item_key: str
    user: str
    reason: Reason
    rank: int = 0  # order within the reason (0 = first next episode, ...)
    since: datetime | None = None  # lastViewedAt for on-deck, watchlist addedAt, ...


@dataclass(frozen=True, slots=True)
class PlaySession:
    """Someone is playing a file right now."""

    user: str
    item_key: str
    plex_path: str
    player: str = ""
    state: str = "playing"


@dataclass(frozen=True, slots=True)
class Unread:
    """Something a snapshot could not read this cycle, and why.

    ``kind``: "user" (one user's On Deck, watchlist or watched state: ``name`` is the user), "show" (one
    show's episodes: ``key`` is the show's ratingKey, ``name`` its title, ``user`` whose listing it was),
    or "users" (plex.tv could not list the other users at all: every user recorded on the cache but
    missing from ``Snapshot.users`` counts as unread).
    """

    kind: str
    name: str
    why: str
    key: str = ""
    user: str = ""

    @property
    def sentence(self) -> str:
        if self.kind == "users":
            return f"incomplete snapshot: the other Plex users could not be listed ({self.why})"
        if self.kind == "show":
            return f"incomplete snapshot: the episodes of {self.name} could not be read ({self.why})"
        return f"incomplete snapshot: user {self.name} could not be read ({self.why})"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one cycle needs from Plex, frozen at ``taken_at``.

    ``items`` holds every item referenced by ``wants``, ``sessions`` or the tracked keys passed to
    ``MediaServer.snapshot``. ``watched_by`` maps an item key to the users who have watched it
    (for tracked and wanted items); ``interested`` maps an item key to the users who ever wanted it
    in this snapshot. ``problems`` are user-facing notes (a user skipped, a path outside every
    mapping, a watchlist entry not in the library).
    """

    taken_at: datetime
    users: tuple[str, ...]
    items: Mapping[str, MediaItem]
    wants: tuple[Want, ...] = ()
    watched_by: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sessions: tuple[PlaySession, ...] = ()
    problems: tuple[str, ...] = ()
    not_in_library: tuple[str, ...] = ()  # e.g. Trakt or watchlist titles that Plex does not have
    unread: tuple[Unread, ...] = ()  # what could not be read this cycle: the snapshot is incomplete

    @property
    def complete(self) -> bool:
        return not self.unread

    @property
    def unread_users(self) -> frozenset[str]:
        return frozenset(u.name for u in self.unread if u.kind == "user")

    @property
    def unread_shows(self) -> frozenset[str]:
        return frozenset(u.key for u in self.unread if u.kind == "show")

    @property
    def users_unlisted(self) -> bool:
        """plex.tv could not list the other users: only the owner (and whoever else was read) is known."""
        return any(u.kind == "users" for u in self.unread)
