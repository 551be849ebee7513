"""The emulator's in-memory media model: users, libraries, items, files and per-user view state.

Plain dataclasses, independent of HTTP. Build a world in a few lines::

    world = World()                                   # has an owner "owner" (token "owner-token")
    alice = world.add_user("alice", kind="home")      # token "alice-token"
    movies = world.add_section("Movies", "movie", "/data/movies")
    tv = world.add_section("TV Shows", "show", "/data/tv")
    amelie = world.add_movie(movies, "Amélie", 2001, imdb="tt0211915", tmdb="194", subtitles=("en",))
    show = world.add_show(tv, "Example Show", 2019, seasons={1: 3, 2: 3}, specials=1, tvdb="121361")
    world.mark_watched(alice, show.episode(1, 1))     # alice's On Deck is now S01E02

Mutations (``state.py``) make "time pass" for demos and cycle tests. Every method is thread-safe:
the HTTP server reads the world under ``world.lock``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cacherr.demo.plex_emulator.entities import (
    MB,
    AnyItem,
    Episode,
    HistoryEntry,
    Item,
    Movie,
    Part,
    Playable,
    PlaySession,
    Season,
    Section,
    SectionKind,
    Show,
    Subtitle,
    User,
    UserKind,
    ViewState,
    WatchlistEntry,
    ext_guids,
    legacy_guid,
    plex_guid,
    safe_name,
)

__all__ = [
    "MB", "AnyItem", "Episode", "HistoryEntry", "Item", "Movie", "Part", "PlaySession", "Playable", "Season",
    "Section", "SectionKind", "Show", "Subtitle", "User", "UserKind", "ViewState", "WatchlistEntry", "World",
    "plex_guid",
]


class World:
    """The whole emulated Plex: server identity, users, libraries, view state, sessions, watchlists."""

    def __init__(self, *, owner: str = "owner", owner_token: str = "owner-token",  # noqa: S107
                 machine_id: str = "fakeplexmachineid0000000000000000000000001", name: str = "Cacherr Emulator",
                 clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.machine_id = machine_id
        self.name = name
        self.version = "1.41.3.9314-a0bfb8370"
        self.clock = clock
        self.users: dict[int, User] = {}
        self.by_token: dict[str, User] = {}
        self.sections: list[Section] = []
        self.items: dict[int, AnyItem] = {}
        self.views: dict[int, dict[int, ViewState]] = {}
        self.sessions: list[PlaySession] = []
        self.history: list[HistoryEntry] = []
        self.watchlists: dict[int, list[WatchlistEntry]] = {}
        self.collections: list[Any] = []  # plex_emulator.collections.Collection (see add_collection there)
        self._ids = 1000
        self.friends_rss_id = "friends-feed"  # discover.provider.plex.tv/rss/<id>: friends' watchlists
        self.email_as_username = False  # myPlexUsername is the owner's email, as on many real servers
        self.owner = self._add_user(User(1, owner, owner_token, "owner", f"{owner}@example.invalid"))

    # --- ids and lookups ---------------------------------------------------------------------
    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def now(self) -> int:
        return int(self.clock())

    def user(self, who: User | str | int) -> User:
        """A user by object, name or id."""
        if isinstance(who, User):
            return who
        for u in self.users.values():
            if who in (u.name, u.id):
                return u
        raise KeyError(f"no user {who!r}")

    def item(self, key: int | str | AnyItem) -> AnyItem:
        if isinstance(key, Movie | Show | Season | Episode):
            return key
        return self.items[int(key)]

    def state(self, user: User, rating_key: int) -> ViewState:
        """The user's view state of one item (a fresh, unsaved one when the user never touched it)."""
        return self.views.get(user.id, {}).get(rating_key) or ViewState()

    def movies(self) -> Iterable[Movie]:
        return (i for i in self.items.values() if isinstance(i, Movie))

    def shows(self) -> Iterable[Show]:
        return (i for i in self.items.values() if isinstance(i, Show))

    def section(self, key: int | str) -> Section:
        for s in self.sections:
            if str(s.key) == str(key) or s.title == key:
                return s
        raise KeyError(f"no section {key!r}")

    # --- building ----------------------------------------------------------------------------
    def _add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.by_token[user.token] = user
        self.views.setdefault(user.id, {})
        self.watchlists.setdefault(user.id, [])
        return user

    def add_user(self, name: str, *, kind: UserKind = "shared", token: str | None = None, pin: str | None = None,
                 shared_token: bool = True, token_valid: bool = True) -> User:
        """A home or shared (friend) user. Token defaults to ``{name}-token``."""
        with self.lock:
            uid = 100 + len(self.users)
            while uid in self.users:
                uid += 1
            return self._add_user(User(uid, name, token or f"{name}-token", kind, f"{name}@example.invalid",
                                       pin, shared_token, token_valid))

    def add_section(self, title: str, kind: SectionKind, location: str) -> Section:
        with self.lock:
            key = len(self.sections) + 1
            sec = Section(key, title, kind, location.rstrip("/"), f"{key:08d}-0000-0000-0000-000000000000")
            self.sections.append(sec)
            return sec

    def _subs(self, stem: str, langs: Iterable[str]) -> list[Subtitle]:
        return [Subtitle(self.next_id(), tag, f"{stem}.{tag}.srt") for tag in langs]

    def add_movie(self, section: Section, title: str, year: int | None = None, *, size: int = 4000 * MB,
                  imdb: str | None = None, tmdb: str | None = None, subtitles: Iterable[str] = (),
                  file: str | None = None, files: int = 1, guid: str | None = None, legacy: bool = False,
                  versions: Iterable[tuple[str, int, int]] = ()) -> Movie:
        """A movie with ``files`` parts (0 = metadata only, no file) and external subtitle files.
        ``versions``: more Media versions, each (resolution, stacked parts, bytes per part)."""
        with self.lock:
            rk = self.next_id()
            name = safe_name(f"{title} ({year})" if year else title)
            stem = f"{section.location}/{name}/{name}"
            parts = []
            for n in range(files):
                path = file if file and n == 0 else (f"{stem}.mkv" if n == 0 else f"{stem} - part{n + 1}.mkv")
                subs = self._subs(path.rsplit(".", 1)[0], subtitles) if n == 0 else []
                parts.append(Part(self.next_id(), path, size, subtitles=subs))
            movie = Movie(rk, title, section, guid or plex_guid("movie", rk, title), ext_guids(imdb, tmdb, None),
                          year, self.now(), parts)
            for v, (resolution, count, each) in enumerate(versions, start=1):
                for n in range(count):
                    tail = f" - {resolution}" + (f" - pt{n + 1}" if count > 1 else "")
                    parts.append(Part(self.next_id(), f"{stem}{tail}.mkv", each, version=v, resolution=resolution))
            if legacy:
                _make_legacy(movie, imdb, tmdb, None)
            self.items[rk] = movie
            return movie

    def add_show(self, section: Section, title: str, year: int | None = None, *,
                 seasons: Mapping[int, int] | int = 1, episodes: int = 10, specials: int = 0,
                 missing: Iterable[tuple[int, int]] = (), size: int = 1000 * MB, imdb: str | None = None,
                 tmdb: str | None = None, tvdb: str | None = None, subtitles: Iterable[str] = (),
                 guid: str | None = None, legacy: bool = False) -> Show:
        """A show. ``seasons`` is ``{season: episode_count}`` or a count of seasons with ``episodes`` each;
        ``specials`` adds a season 0; ``missing`` lists (season, episode) that have no file."""
        plan = dict(seasons) if isinstance(seasons, Mapping) else dict.fromkeys(range(1, seasons + 1), episodes)
        if specials:
            plan[0] = specials
        gone = set(missing)
        langs = tuple(subtitles)
        with self.lock:
            rk = self.next_id()
            show = Show(rk, title, section, guid or plex_guid("show", rk, title), ext_guids(imdb, tmdb, tvdb),
                        year, self.now())
            self.items[rk] = show
            folder = f"{section.location}/{safe_name(f'{title} ({year})' if year else title)}"
            for snum in sorted(plan):
                self._add_season(show, folder, snum, plan[snum], gone, size, langs)
            if legacy:
                _make_legacy(show, imdb, tmdb, tvdb)
                for season in show.seasons:
                    for ep in season.episodes:
                        ep.guid = legacy_guid(imdb, tmdb, tvdb, f"/{season.index}/{ep.index}")
            return show

    def _add_season(self, show: Show, folder: str, snum: int, count: int, gone: set[tuple[int, int]],
                    size: int, langs: tuple[str, ...]) -> Season:
        srk = self.next_id()
        stitle = "Specials" if snum == 0 else f"Season {snum}"
        season = Season(srk, stitle, show.section, plex_guid("season", srk), [], show.year, show.added_at,
                        show=show, index=snum)
        self.items[srk] = season
        show.seasons.append(season)
        sdir = f"{folder}/{'Specials' if snum == 0 else f'Season {snum:02d}'}"
        base = folder.rsplit("/", 1)[-1]
        for enum in range(1, count + 1):
            erk = self.next_id()
            parts: list[Part] = []
            if (snum, enum) not in gone:
                stem = f"{sdir}/{base} - S{snum:02d}E{enum:02d}"
                parts.append(Part(self.next_id(), f"{stem}.mkv", size, subtitles=self._subs(stem, langs)))
            ep = Episode(erk, f"Episode {enum}", show.section, plex_guid("episode", erk), [], show.year,
                         show.added_at, show=show, season=season, index=enum, parts=parts)
            self.items[erk] = ep
            season.episodes.append(ep)
        return season

    def add_to_watchlist(self, who: User | str, what: Movie | Show | str, *, kind: str = "movie",
                         year: int | None = None, guid: str | None = None) -> WatchlistEntry:
        """Add a library item, or a title the library lacks (pass a string title and ``kind``)."""
        with self.lock:
            user = self.user(who)
            if isinstance(what, str):
                entry = WatchlistEntry(guid or plex_guid(kind, self.next_id(), what), what, kind, year,
                                       None, self.now())
            else:
                entry = WatchlistEntry(what.online_guid or what.guid, what.title, what.type, what.year, what,
                                       self.now())
            self.watchlists[user.id].append(entry)
            return entry

    def remove_from_watchlist(self, who: User | str, guid: str) -> None:
        with self.lock:
            user = self.user(who)
            self.watchlists[user.id] = [e for e in self.watchlists[user.id] if e.guid != guid]

    # --- mutations (see state.py) ------------------------------------------------------------
    def mark_watched(self, who: User | str, what: AnyItem | int, *, at: int | None = None) -> None:
        from cacherr.demo.plex_emulator import state

        state.mark_watched(self, who, what, at=at)

    def mark_unwatched(self, who: User | str, what: AnyItem | int) -> None:
        from cacherr.demo.plex_emulator import state

        state.mark_unwatched(self, who, what)

    def set_progress(self, who: User | str, what: Playable | int, offset_ms: int, *, at: int | None = None) -> None:
        from cacherr.demo.plex_emulator import state

        state.set_progress(self, who, what, offset_ms, at=at)

    def start_session(self, who: User | str, what: Playable | int, *, player: str = "Chrome",
                      state: str = "playing", offset_ms: int = 0, live: bool = False,
                      transcode: bool = False) -> PlaySession:
        from cacherr.demo.plex_emulator import state as st

        return st.start_session(self, who, what, player=player, state=state, offset_ms=offset_ms, live=live,
                                transcode=transcode)

    def stop_session(self, session: PlaySession | None = None, *, who: User | str | None = None) -> None:
        from cacherr.demo.plex_emulator import state

        state.stop_session(self, session, who=who)


def _make_legacy(item: Movie | Show, imdb: str | None, tmdb: str | None, tvdb: str | None) -> None:
    """The library sees ``item`` through a legacy agent; plex.tv keeps its plex:// guid and ids."""
    item.online_guid, item.online_guids = item.guid, item.guids
    item.guid, item.guids = legacy_guid(imdb, tmdb, tvdb), []
