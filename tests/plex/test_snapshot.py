"""PlexMediaServer.snapshot() against the emulator: On Deck, next episodes, users, skip lists,
watchlists, Trakt picks, watched state, sessions and path mapping."""

from __future__ import annotations

from cacherr.demo.plex_emulator import PlexEmulator, Show, World
from cacherr.domain.media import Reason, Snapshot, Want
from cacherr.domain.paths import PathMapper, PathMapping
from cacherr.ports import TraktPick
from tests.plex.conftest import NOW, MakeServer

DAY = 86_400


def show(world: World, title: str) -> Show:
    return next(s for s in world.shows() if s.title == title)


def wants(snap: Snapshot, user: str | None = None, reason: Reason | None = None) -> list[tuple[str, Reason, int]]:
    """(display title, reason, rank) of the wants, optionally for one user / reason."""
    return [(snap.items[w.item_key].display_title, w.reason, w.rank) for w in snap.wants
            if (user is None or w.user == user) and (reason is None or w.reason is reason)]


def titles(snap: Snapshot, user: str, reason: Reason) -> list[str]:
    return [t for t, _, _ in wants(snap, user, reason)]


def test_owner_and_users_on_deck(make_server: MakeServer) -> None:
    snap = make_server().snapshot()
    assert snap.users == ("owner", "alice", "bob", "kid")
    assert titles(snap, "owner", Reason.ON_DECK) == ["Example Show S02E01 Episode 1"]
    assert titles(snap, "alice", Reason.IN_PROGRESS) == ["Amélie (2001)"]
    assert titles(snap, "bob", Reason.ON_DECK) == ["Long Show S01E02 Episode 2"]
    assert wants(snap, "kid") == []
    deck = next(w for w in snap.wants if w.user == "alice")
    assert deck.since is not None and deck.since.timestamp() == NOW - 3600
    assert snap.problems == ()


def test_next_episodes_in_order_with_ranks(make_server: MakeServer) -> None:
    snap = make_server(number_episodes=3).snapshot()
    assert wants(snap, "bob", Reason.NEXT_EPISODE) == [
        ("Long Show S01E03 Episode 3", Reason.NEXT_EPISODE, 0),
        ("Long Show S01E04 Episode 4", Reason.NEXT_EPISODE, 1),
        ("Long Show S01E05 Episode 5", Reason.NEXT_EPISODE, 2),
    ]


def test_next_episodes_cross_season_boundary_and_skip_specials(world: World, make_server: MakeServer) -> None:
    example = show(world, "Example Show")
    world.mark_unwatched("owner", example.episode(1, 3))  # On Deck: S01E03
    snap = make_server(number_episodes=4).snapshot()
    assert titles(snap, "owner", Reason.ON_DECK) == ["Example Show S01E03 Episode 3"]
    nxt = titles(snap, "owner", Reason.NEXT_EPISODE)
    assert nxt == ["Example Show S02E01 Episode 1", "Example Show S02E02 Episode 2", "Example Show S02E03 Episode 3"]
    assert all("S00" not in t for t in nxt)


def test_next_episodes_skip_missing_files(world: World, make_server: MakeServer) -> None:
    gappy = show(world, "Gappy Show")
    world.mark_watched("kid", gappy.episode(1, 1), at=NOW - 60)
    snap = make_server(number_episodes=2).snapshot()
    assert titles(snap, "kid", Reason.ON_DECK) == ["Gappy Show S01E02 Episode 2"]
    assert titles(snap, "kid", Reason.NEXT_EPISODE) == ["Gappy Show S01E04 Episode 4", "Gappy Show S01E05 Episode 5"]


def test_days_to_monitor_drops_old_on_deck(world: World, make_server: MakeServer) -> None:
    long_show = show(world, "Long Show")
    world.mark_watched("bob", long_show.episode(1, 1), at=NOW - 40 * DAY)
    snap = make_server(days_to_monitor=30).snapshot()
    assert wants(snap, "bob") == []
    assert titles(make_server(days_to_monitor=41).snapshot(), "bob", Reason.ON_DECK) == ["Long Show S01E02 Episode 2"]


def test_skip_lists(emu: PlexEmulator, make_server: MakeServer) -> None:
    snap = make_server(skip_ondeck_users=frozenset({"BOB"}), skip_watchlist_users=frozenset({"alice"})).snapshot()
    assert wants(snap, "bob") == []
    assert titles(snap, "alice", Reason.WATCHLIST) == []
    assert titles(snap, "alice", Reason.IN_PROGRESS) == ["Amélie (2001)"]
    assert emu.count("/library/onDeck", user="bob") == 0
    assert emu.count("discover/watchlist", user="alice") == 0
    assert "bob" in snap.users  # skipped lists, but still a user (watched state)


def test_users_toggle_off_stays_on_the_owner(emu: PlexEmulator, make_server: MakeServer) -> None:
    snap = make_server(users_toggle=False).snapshot()
    assert snap.users == ("owner",)
    assert {w.user for w in snap.wants} == {"owner"}
    assert emu.count("plex.tv/api/users") == 0 and emu.count("/", user="alice") == 0


def test_watchlists_matched_by_guid(world: World, make_server: MakeServer) -> None:
    world.add_to_watchlist("alice", show(world, "Long Show"))
    world.mark_watched("alice", show(world, "Long Show").episode(1, 1))
    snap = make_server(watchlist_episodes=2).snapshot()
    assert titles(snap, "owner", Reason.WATCHLIST) == ["Inception (2010)"]
    assert titles(snap, "alice", Reason.WATCHLIST) == ["The Matrix (1999)", "Long Show S01E02 Episode 2",
                                                       "Long Show S01E03 Episode 3"]
    assert snap.not_in_library == ("Not Here (2024) [watchlist owner]",)


def test_watchlist_toggle_off(emu: PlexEmulator, make_server: MakeServer) -> None:
    snap = make_server(watchlist_toggle=False).snapshot()
    assert wants(snap, reason=Reason.WATCHLIST) == []
    assert emu.count("discover/watchlist") == 0 and emu.count("/library/sections/{id}/all") == 0


def test_trakt_picks_matched_by_external_ids(make_server: MakeServer) -> None:
    picks = [TraktPick("movie", "Heat", 1995, {"imdb": "tt0113277", "tmdb": "949"}, rank=2),
             TraktPick("show", "Long Show", 2010, {"tvdb": "80379"}, rank=0, list_name="popular"),
             TraktPick("show", "Heat", 1995, {"imdb": "tt0113277"}, rank=5),  # a movie's id, but a show pick
             TraktPick("movie", "Nowhere", 2020, {"imdb": "tt0000001"}, rank=1)]
    snap = make_server(trakt_episodes=2, watchlist_toggle=False).snapshot(trakt=picks)
    assert [(t, r) for t, _, r in wants(snap, "trakt", Reason.TRAKT)] == [
        ("Heat (1995)", 2), ("Long Show S01E01 Episode 1", 0), ("Long Show S01E02 Episode 2", 0)]
    assert snap.not_in_library == ("Heat (1995) [trakt trending]", "Nowhere (2020) [trakt trending]")


def test_watched_by_for_tracked_and_wanted_items(world: World, make_server: MakeServer) -> None:
    heat = next(m for m in world.movies() if m.title == "Heat")
    world.mark_watched("owner", heat)
    world.mark_watched("bob", heat)
    first = show(world, "Example Show").episode(1, 1)
    snap = make_server().snapshot(tracked_keys=[str(heat.rating_key), str(first.rating_key), "999999"])
    assert snap.watched_by[str(heat.rating_key)] == frozenset({"owner", "bob"})
    assert snap.watched_by[str(first.rating_key)] == frozenset({"owner"})
    assert str(heat.rating_key) in snap.items and "999999" not in snap.items
    matrix = next(m for m in world.movies() if m.title == "The Matrix")
    assert str(matrix.rating_key) not in snap.watched_by  # wanted by alice, watched by nobody


def test_sessions_and_their_items(world: World, make_server: MakeServer) -> None:
    heat = next(m for m in world.movies() if m.title == "Heat")
    world.start_session("bob", heat, player="TV", state="paused")
    snap = make_server().snapshot()
    assert [(s.user, s.item_key, s.player, s.state) for s in snap.sessions] == [
        ("bob", str(heat.rating_key), "TV", "paused")]
    assert snap.sessions[0].plex_path == "/data/movies/Heat (1995)/Heat (1995).mkv"
    assert snap.items[str(heat.rating_key)].title == "Heat"


def test_files_mapped_with_sidecars(world: World, make_server: MakeServer) -> None:
    snap = make_server().snapshot()
    amelie = next(i for i in snap.items.values() if i.title == "Amélie")
    (f,) = amelie.files
    assert f.array_path == "/mnt/user0/movies/Amélie (2001)/Amélie (2001).mkv"
    assert f.cache_path == "/mnt/cache/movies/Amélie (2001)/Amélie (2001).mkv"
    assert f.mapping == "movies" and f.size == 4000 * 1024 * 1024
    model = next(m for m in world.movies() if m.title == "Amélie")
    assert f.sidecars == tuple(s.path.replace("/data/movies", "/mnt/user0/movies")
                               for s in model.parts[0].subtitles)
    assert "imdb://tt0211915" in amelie.guids


def test_unmapped_paths_are_reported_not_guessed(make_server: MakeServer) -> None:
    tv_only = PathMapper([PathMapping("tv", "/data/tv", "/mnt/user0/tv", "/mnt/cache/tv")])
    snap = make_server(mapper=tv_only).snapshot()
    amelie = next(i for i in snap.items.values() if i.title == "Amélie")
    assert amelie.files == ()
    assert any("Amélie (2001).mkv" in p and "outside every path mapping" in p for p in snap.problems)
    episode = next(i for i in snap.items.values() if i.show_title == "Example Show")
    assert episode.files[0].array_path.startswith("/mnt/user0/tv/Example Show (2019)/Season 02/")


def test_wants_only_reference_known_items(make_server: MakeServer) -> None:
    snap = make_server().snapshot(tracked_keys=["1", "abc"])
    assert all(w.item_key in snap.items for w in snap.wants)
    assert isinstance(snap.wants[0], Want)
