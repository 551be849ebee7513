"""Ready-made worlds: ``sample_world()`` for tests and the demo, ``generate_world()`` for scale."""

from __future__ import annotations

import random
import time

from cacherr.demo.plex_emulator.model import MB, World

DAY = 86_400


def sample_world(*, now: float | None = None) -> World:
    """A small household, the same every time.

    Users: ``owner`` (token ``owner-token``), ``alice`` (home), ``bob`` (shared friend), ``kid`` (home).
    Libraries: "Movies" at /data/movies, "TV Shows" at /data/tv.
    State: owner finished Example Show season 1 (On Deck: S02E01); alice is 10 minutes into Amélie and
    has The Matrix on her watchlist; bob watched Long Show S01E01 (On Deck: S01E02); kid watched nothing.
    Owner's watchlist: Inception (in the library) and "Not Here" (not in the library).
    """
    w = World(clock=(lambda: now) if now is not None else time.time)
    t = w.now()
    alice = w.add_user("alice", kind="home")
    bob = w.add_user("bob", kind="shared")
    w.add_user("kid", kind="home")
    movies = w.add_section("Movies", "movie", "/data/movies")
    tv = w.add_section("TV Shows", "show", "/data/tv")
    amelie = w.add_movie(movies, "Amélie", 2001, imdb="tt0211915", tmdb="194", subtitles=("en", "fr"))
    matrix = w.add_movie(movies, "The Matrix", 1999, imdb="tt0133093", tmdb="603")
    inception = w.add_movie(movies, "Inception", 2010, imdb="tt1375666", tmdb="27205")
    w.add_movie(movies, "Heat", 1995, imdb="tt0113277", tmdb="949", size=8000 * MB)
    example = w.add_show(tv, "Example Show", 2019, seasons={1: 3, 2: 3}, specials=1, tvdb="121361",
                         tmdb="1399", imdb="tt0944947", subtitles=("en",))
    long_show = w.add_show(tv, "Long Show", 2010, seasons=3, episodes=10, tvdb="80379", tmdb="1418")
    w.add_show(tv, "Gappy Show", 2021, seasons=1, episodes=6, missing=[(1, 3)], tvdb="371980", tmdb="95557")
    for n in (1, 2, 3):
        w.mark_watched(w.owner, example.episode(1, n), at=t - DAY + n)
    w.set_progress(alice, amelie, 600_000, at=t - 3600)
    w.mark_watched(bob, long_show.episode(1, 1), at=t - 2 * DAY)
    w.add_to_watchlist(w.owner, inception)
    w.add_to_watchlist(w.owner, "Not Here", kind="movie", year=2024)
    w.add_to_watchlist(alice, matrix)
    return w


def generate_world(*, users: int = 50, shows: int = 2000, episodes: int = 100_000, movies: int = 2000,
                   ondeck_per_user: int = 3, watchlist_per_user: int = 2, seed: int = 1,
                   now: float | None = None) -> World:
    """A large world: ``users`` accounts (owner included; a third home users, the rest shared),
    ``shows`` shows holding ``episodes`` episodes in seasons of 10, ``movies`` movies. Each user is
    midway through ``ondeck_per_user`` shows and has ``watchlist_per_user`` movies on the watchlist.
    Deterministic for a seed; builds 100,000 episodes in a few seconds."""
    rng = random.Random(seed)
    w = World(clock=(lambda: now) if now is not None else time.time)
    t = w.now()
    people = [w.owner] + [w.add_user(f"user{n:03d}", kind="home" if n % 3 == 0 else "shared")
                          for n in range(1, users)]
    msec = w.add_section("Movies", "movie", "/data/movies")
    tsec = w.add_section("TV Shows", "show", "/data/tv")
    film = [w.add_movie(msec, f"Movie {n:05d}", 1950 + n % 75, imdb=f"tt{9_000_000 + n}", tmdb=str(500_000 + n),
                        size=rng.randint(2000, 9000) * MB) for n in range(movies)]
    per_show = max(1, episodes // max(1, shows))
    series = []
    for n in range(shows):
        seasons = max(1, per_show // 10)
        counts = dict.fromkeys(range(1, seasons + 1), 10)
        counts[seasons] = per_show - 10 * (seasons - 1)
        series.append(w.add_show(tsec, f"Show {n:05d}", 1990 + n % 35, seasons=counts, tvdb=str(300_000 + n),
                                 tmdb=str(100_000 + n), size=rng.randint(300, 2500) * MB))
    for person in people:
        for show in rng.sample(series, min(ondeck_per_user, len(series))):
            eps = show.episodes()
            upto = rng.randrange(0, max(1, len(eps) - 1))
            for i, ep in enumerate(eps[: upto + 1]):
                w.mark_watched(person, ep, at=t - rng.randint(1, 30) * DAY + i)
        for movie in rng.sample(film, min(watchlist_per_user, len(film))):
            w.add_to_watchlist(person, movie)
    return w
