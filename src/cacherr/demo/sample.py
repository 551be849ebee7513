"""The demo's curated world and its storyline: a household whose members keep watching.

``demo_world()`` builds the Plex emulator's world: four users, two libraries, watch histories, On Deck
items, watchlists, and titles that also appear on the Trakt emulator's lists. ``media_files()`` gives
the files to lay out on the sandbox array (relative path -> size), the same paths Plex reports under
``/data``. ``Storyline`` makes time pass: each ``tick()`` one thing happens (somebody starts an episode,
finishes it, adds a film to a watchlist...), so cycles keep caching new media and giving finished
media back.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cacherr.demo.plex_emulator.model import MB, Episode, Movie, PlaySession, Show, User, World

PLEX_ROOT = "/data"
MOVIES = f"{PLEX_ROOT}/movies"
TV = f"{PLEX_ROOT}/tv"
DAY = 86_400


@dataclass(frozen=True)
class Sizes:
    """File sizes in bytes; ``scale`` shrinks everything (the tests use small files)."""

    movie: int
    episode: int

    @classmethod
    def scaled(cls, scale: float = 1.0) -> Sizes:
        return cls(movie=max(1, int(24 * MB * scale)), episode=max(1, int(6 * MB * scale)))


def demo_world(*, scale: float = 1.0, clock: Callable[[], float] = time.time) -> World:
    """The demo household.

    - ``owner`` (you) finished Example Show season 1 and is on S02E01; watchlist: Inception, and a film
      the library lacks.
    - ``alice`` (home user) is 20 minutes into Amélie; watchlist: The Matrix.
    - ``bob`` (a friend the server is shared with) watched the first two episodes of Long Show.
    - ``kid`` (home user) watched the first episode of Cartoon Time.
    Trakt's trending lists (the Trakt emulator) name Amélie, Dune, The Matrix and Example Show.
    """
    size = Sizes.scaled(scale)
    w = World(name="Cacherr Demo", clock=clock)
    now = w.now()
    alice = w.add_user("alice", kind="home")
    bob = w.add_user("bob", kind="shared")
    kid = w.add_user("kid", kind="home")
    movies = w.add_section("Movies", "movie", MOVIES)
    tv = w.add_section("TV Shows", "show", TV)
    amelie = w.add_movie(movies, "Amélie", 2001, imdb="tt0211915", tmdb="194", subtitles=("en", "fr"),
                         size=size.movie)
    matrix = w.add_movie(movies, "The Matrix", 1999, imdb="tt0133093", tmdb="603", size=size.movie)
    inception = w.add_movie(movies, "Inception", 2010, imdb="tt1375666", tmdb="27205", size=size.movie)
    w.add_movie(movies, "Dune", 2021, imdb="tt1160419", tmdb="438631", subtitles=("en",), size=size.movie)
    w.add_movie(movies, "Heat", 1995, imdb="tt0113277", tmdb="949", size=size.movie)
    w.add_movie(movies, "Arrival", 2016, imdb="tt2543164", tmdb="329865", size=size.movie)
    w.add_movie(movies, "Spirited Away", 2001, imdb="tt0245429", tmdb="129", size=size.movie)
    example = w.add_show(tv, "Example Show", 2019, seasons={1: 4, 2: 4}, tvdb="121361", tmdb="1399",
                         imdb="tt0944947", subtitles=("en",), size=size.episode)
    long_show = w.add_show(tv, "Long Show", 2010, seasons=3, episodes=6, tvdb="80379", tmdb="1418",
                           size=size.episode)
    cartoon = w.add_show(tv, "Cartoon Time", 2022, seasons=2, episodes=6, tvdb="400001", size=size.episode)
    for n in range(1, 5):
        w.mark_watched(w.owner, example.episode(1, n), at=now - 2 * DAY + n)
    w.set_progress(alice, amelie, 1_200_000, at=now - 3600)
    for n in (1, 2):
        w.mark_watched(bob, long_show.episode(1, n), at=now - DAY + n)
    w.mark_watched(kid, cartoon.episode(1, 1), at=now - 5 * 3600)
    w.add_to_watchlist(w.owner, inception)
    w.add_to_watchlist(w.owner, "Not In The Library", kind="movie", year=2025)
    w.add_to_watchlist(alice, matrix)
    return w


def media_files(world: World, plex_root: str = PLEX_ROOT) -> dict[str, int]:
    """Every video and subtitle file of ``world`` as (path relative to ``plex_root``) -> size in bytes."""
    files: dict[str, int] = {}
    prefix = plex_root.rstrip("/") + "/"
    with world.lock:
        for item in world.items.values():
            if not isinstance(item, Movie | Episode):
                continue
            for part in item.parts:
                files[part.file.removeprefix(prefix)] = part.size
                for sub in part.subtitles:
                    files[sub.path.removeprefix(prefix)] = 2048
    return files


def next_unwatched(world: World, user: User, show: Show) -> Episode | None:
    for ep in show.episodes():
        if ep.index > 0 and world.state(user, ep.rating_key).view_count == 0:
            return ep
    return None


class Storyline:
    """What the household does as time passes. Each ``tick()`` makes one thing happen and says what.

    Users take turns: a user starts the next episode of their show (a playback session: real-time
    caching of the following episodes), and on their next turn finishes it (watched: once nobody else
    wants it, it goes back to the array). Now and then someone finishes a film or changes a watchlist.
    When a user's show is over, they start it again from the first episode.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        shows = {s.title: s for s in world.shows()}
        movies = {m.title: m for m in world.movies()}
        self.habits: list[tuple[str, Show]] = [("owner", shows["Example Show"]), ("bob", shows["Long Show"]),
                                               ("kid", shows["Cartoon Time"])]
        self.playing: dict[str, PlaySession] = {}
        self.extras: Iterator[Callable[[], str]] = itertools.cycle([
            lambda: self._finish_movie("alice", movies["Amélie"]),
            lambda: self._watchlist("alice", movies["Heat"]),
            lambda: self._finish_movie("alice", movies["The Matrix"]),
            lambda: self._watchlist("owner", movies["Arrival"]),
            lambda: self._finish_movie("owner", movies["Inception"]),
            lambda: self._restart_movie("alice", movies["Amélie"]),
        ])
        self._turns = itertools.cycle([*range(len(self.habits)), -1])

    def tick(self) -> str:
        turn = next(self._turns)
        if turn < 0:
            return next(self.extras)()
        name, show = self.habits[turn]
        return self._advance(name, show)

    def _advance(self, name: str, show: Show) -> str:
        w = self.world
        user = w.user(name)
        session = self.playing.pop(name, None)
        if session is not None:
            w.stop_session(session)
            w.mark_watched(user, session.item)
            return f"{name} finished {_label(session.item)}"
        episode = next_unwatched(w, user, show)
        if episode is None:
            w.mark_unwatched(user, show)
            return f"{name} starts {show.title} again from the beginning"
        self.playing[name] = w.start_session(user, episode, player=f"{name.title()}'s TV")
        return f"{name} started {_label(episode)}"

    def _finish_movie(self, name: str, movie: Movie) -> str:
        w = self.world
        user = w.user(name)
        if w.state(user, movie.rating_key).view_count:
            return f"{name} is browsing the library"
        w.mark_watched(user, movie)
        w.remove_from_watchlist(user, movie.guid)
        return f"{name} finished {movie.title}"

    def _restart_movie(self, name: str, movie: Movie) -> str:
        w = self.world
        user = w.user(name)
        w.mark_unwatched(user, movie)
        w.set_progress(user, movie, 600_000)
        return f"{name} started {movie.title} again (10 minutes in)"

    def _watchlist(self, name: str, movie: Movie) -> str:
        w = self.world
        user = w.user(name)
        with w.lock:
            listed = any(e.guid == movie.guid for e in w.watchlists[user.id])
        if listed:
            w.remove_from_watchlist(user, movie.guid)
            return f"{name} removed {movie.title} from their watchlist"
        w.add_to_watchlist(user, movie)
        return f"{name} added {movie.title} to their watchlist"


def _label(item: Movie | Episode) -> str:
    if isinstance(item, Episode) and item.show is not None:
        return f"{item.show.title} S{item.season_index:02d}E{item.index:02d}"
    return item.title
