"""The emulator's entities: users, libraries, items, files, view state, sessions, watchlist entries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

UserKind = Literal["owner", "home", "shared"]
SectionKind = Literal["movie", "show"]

MB = 1024 * 1024
_LANGS = {"en": ("English", "eng"), "fr": ("Français", "fra"), "de": ("Deutsch", "deu"),
          "es": ("Español", "spa"), "nl": ("Nederlands", "nld")}


@dataclass
class User:
    """A Plex account that can use the server. ``id`` 1 is the owner (as on a real PMS).

    ``shared_token``: the user appears in plex.tv's shared_servers with a server token.
    ``token_valid``: the PMS accepts the token (False simulates a revoked share).
    ``pin``: a home user protected by a PIN cannot be switched to without it.
    """

    id: int
    name: str
    token: str
    kind: UserKind = "shared"
    email: str = ""
    pin: str | None = None
    shared_token: bool = True
    token_valid: bool = True
    shared_sections: list[int] | None = None  # section keys shared with a friend (None: every library)

    @property
    def is_owner(self) -> bool:
        return self.kind == "owner"

    @property
    def uuid(self) -> str:
        return hashlib.md5(self.name.encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass
class Section:
    key: int
    title: str
    kind: SectionKind
    location: str
    uuid: str = ""


@dataclass
class Subtitle:
    """An external subtitle file next to the video (``path`` is for assertions; Plex does not send it)."""

    id: int
    tag: str  # BCP-47, e.g. "en"
    path: str
    codec: str = "srt"
    forced: bool = False
    sdh: bool = False

    @property
    def language(self) -> str:
        return _LANGS.get(self.tag, (self.tag, self.tag))[0]

    @property
    def code(self) -> str:
        return _LANGS.get(self.tag, (self.tag, self.tag))[1]


@dataclass
class Part:
    id: int
    file: str
    size: int
    container: str = "mkv"
    subtitles: list[Subtitle] = field(default_factory=list)
    exists: bool = True  # sent as Part@exists/accessible, only with checkFiles=1 (as a real PMS)
    # Parts with the same ``version`` are the stacked parts of one <Media> (one version of the item);
    # None: a Media of its own. ``resolution`` is Media@videoResolution (4k, 1080, 720, 480, sd).
    version: int | None = field(default=None, kw_only=True)
    resolution: str = field(default="1080", kw_only=True)


@dataclass
class Item:
    """Fields every library item has. ``guid`` is the plex:// guid; ``guids`` the imdb/tmdb/tvdb ones."""

    rating_key: int
    title: str
    section: Section
    guid: str
    guids: list[str] = field(default_factory=list)
    year: int | None = None
    added_at: int = 0
    updated_at: int = field(default=0, kw_only=True)  # Plex's updatedAt (0: as added_at); see library_changes
    # A library on a legacy agent: ``guid`` is e.g. com.plexapp.agents.imdb://tt0111161?lang=en and
    # ``guids`` is empty; plex.tv still knows the title by its plex:// guid and external ids.
    online_guid: str = field(default="", kw_only=True)
    online_guids: list[str] = field(default_factory=list, kw_only=True)

    @property
    def key(self) -> str:
        return f"/library/metadata/{self.rating_key}"

    @property
    def online_id(self) -> str:
        """The hex id plex.tv's discover/metadata providers use (the last part of the plex:// guid)."""
        return (self.online_guid or self.guid).rsplit("/", 1)[-1]


@dataclass
class Movie(Item):
    parts: list[Part] = field(default_factory=list)
    duration: int = 6_000_000
    type: str = "movie"


@dataclass
class Episode(Item):
    show: Show | None = None
    season: Season | None = None
    index: int = 0
    parts: list[Part] = field(default_factory=list)
    duration: int = 2_400_000
    type: str = "episode"

    @property
    def season_index(self) -> int:
        assert self.season is not None
        return self.season.index

    @property
    def order(self) -> tuple[int, int]:
        return (self.season_index, self.index)


@dataclass
class Season(Item):
    show: Show | None = None
    index: int = 0
    episodes: list[Episode] = field(default_factory=list)
    type: str = "season"


@dataclass
class Show(Item):
    seasons: list[Season] = field(default_factory=list)
    type: str = "show"

    def episodes(self) -> list[Episode]:
        """Every episode in season/episode order (specials, season 0, first: as Plex's allLeaves)."""
        return [e for s in sorted(self.seasons, key=lambda s: s.index) for e in s.episodes]

    def episode(self, season: int, index: int) -> Episode:
        for s in self.seasons:
            if s.index == season:
                for e in s.episodes:
                    if e.index == index:
                        return e
        raise KeyError(f"{self.title} has no S{season:02d}E{index:02d}")


AnyItem = Movie | Show | Season | Episode
Playable = Movie | Episode


@dataclass
class ViewState:
    view_count: int = 0
    view_offset: int = 0
    last_viewed_at: int | None = None


@dataclass
class PlaySession:
    session_key: int
    user: User
    item: Playable
    player: str = "Chrome"
    state: str = "playing"
    view_offset: int = 0
    live: bool = False  # a Live TV session: no <User>, key /livetv/sessions/..., Part without file
    transcode: bool = False  # a transcode session: Part decision="transcode" and no file attribute


@dataclass
class HistoryEntry:
    id: int
    user: User
    item: Playable
    viewed_at: int


@dataclass
class WatchlistEntry:
    """A watchlist entry: a library item, or (``item`` None) a title the library does not have."""

    guid: str
    title: str
    type: str  # "movie" or "show"
    year: int | None = None
    item: Movie | Show | None = None
    added_at: int = 0

    @property
    def online_id(self) -> str:
        return self.guid.rsplit("/", 1)[-1]


def plex_guid(kind: str, rating_key: int, salt: str = "") -> str:
    digest = hashlib.sha1(f"{kind}:{rating_key}:{salt}".encode(), usedforsecurity=False).hexdigest()
    return f"plex://{kind}/{digest[:24]}"


def legacy_guid(imdb: str | None, tmdb: str | None, tvdb: str | None, below: str = "") -> str:
    """The guid a legacy agent gives: imdb or themoviedb for movies, thetvdb for shows (and their
    episodes, ``below`` = "/season/episode")."""
    agent, value = (("thetvdb", tvdb) if tvdb else ("imdb", imdb) if imdb else ("themoviedb", tmdb))
    return f"com.plexapp.agents.{agent}://{value}{below}?lang=en"


def ext_guids(imdb: str | None, tmdb: str | None, tvdb: str | None) -> list[str]:
    return [f"{name}://{v}" for name, v in (("imdb", imdb), ("tmdb", tmdb), ("tvdb", tvdb)) if v]


def safe_name(title: str) -> str:
    return "".join(c for c in title if c not in '<>:"/\\|?*').strip()
