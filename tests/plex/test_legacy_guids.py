"""Issue 13.6: libraries on the legacy agents (com.plexapp.agents.imdb://tt...?lang=en, thetvdb, themoviedb,
hama, xbmcnfo) have no Guid children; watchlists and Trakt picks must still find their titles.
The real plexapi against the emulator over HTTP, plus a table of every guid form."""

from __future__ import annotations

import pytest

from cacherr.adapters.plex_guids import canonical, canonical_all
from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.domain.media import Reason
from cacherr.ports import TraktPick
from tests.plex.conftest import MakeServer
from tests.plex.test_snapshot import titles, wants


@pytest.mark.parametrize(("guid", "ids"), [
    ("com.plexapp.agents.imdb://tt0111161?lang=en", ("imdb://tt0111161",)),
    ("com.plexapp.agents.imdb://tt0111161", ("imdb://tt0111161",)),
    ("com.plexapp.agents.themoviedb://278?lang=en", ("tmdb://278",)),
    ("com.plexapp.agents.themoviedb://1399?lang=de", ("tmdb://1399",)),  # TMDb TV agent: a show
    ("com.plexapp.agents.thetvdb://81189?lang=en", ("tvdb://81189",)),
    ("com.plexapp.agents.thetvdb://81189/1/1?lang=en", ()),  # an episode: not the show's id
    ("com.plexapp.agents.thetvdb://81189/1?lang=en", ()),    # a season
    ("com.plexapp.agents.thetvdbdvdorder://81189?lang=en", ("tvdb://81189",)),
    ("com.plexapp.agents.hama://tvdb-81189?lang=en", ("tvdb://81189",)),
    ("com.plexapp.agents.hama://tvdb3-81189?lang=en", ("tvdb://81189",)),
    ("com.plexapp.agents.hama://anidb-69?lang=en", ("anidb://69",)),
    ("com.plexapp.agents.hama://tmdb-278?lang=en", ("tmdb://278",)),
    ("com.plexapp.agents.hama://imdb-tt0111161?lang=en", ("imdb://tt0111161",)),
    ("com.plexapp.agents.hama://tvdb-81189/1/3?lang=en", ()),
    ("com.plexapp.agents.xbmcnfo://tt0111161?lang=xn", ("imdb://tt0111161",)),
    ("com.plexapp.agents.xbmcnfo://278?lang=xn", ("tmdb://278",)),
    ("com.plexapp.agents.xbmcnfotv://81189?lang=xn", ("tvdb://81189",)),
    ("com.plexapp.agents.none://a1b2c3?lang=xn", ()),
    ("local://12345", ()),
    ("plex://movie/5d7768ba96b655001fdc0408", ()),
    ("imdb://tt0111161", ()),  # already canonical: only itself
    ("imdb://TT0111161", ("imdb://tt0111161",)),
    ("tmdb://0278", ("tmdb://278",)),
    ("com.plexapp.agents.imdb://not-an-id?lang=en", ()),
])
def test_every_guid_form_reduces_to_its_ids(guid: str, ids: tuple[str, ...]) -> None:
    assert canonical(guid) == (guid, *ids)


def test_canonical_all_keeps_order_without_duplicates() -> None:
    assert canonical_all(["plex://movie/x", "imdb://tt1", None, "com.plexapp.agents.imdb://tt1?lang=en"]) == (
        "plex://movie/x", "imdb://tt1", "com.plexapp.agents.imdb://tt1?lang=en")
    assert canonical("") == ()


@pytest.fixture
def legacy(world: World) -> World:
    """A second, older library on the legacy agents, next to the modern one of the sample world."""
    old_movies = world.add_section("Old Movies", "movie", "/data/movies/old")
    old_tv = world.add_section("Old TV", "show", "/data/tv/old")
    world.add_movie(old_movies, "The Shawshank Redemption", 1994, imdb="tt0111161", tmdb="278", legacy=True)
    world.add_movie(old_movies, "Only TMDb", 2001, tmdb="4242", legacy=True)
    world.add_show(old_tv, "The Office", 2005, tvdb="73244", imdb="tt0386676", episodes=3, legacy=True)
    return world


def test_legacy_library_items_carry_canonical_ids(legacy: World, make_server: MakeServer) -> None:
    shawshank = next(m for m in legacy.movies() if m.title == "The Shawshank Redemption")
    assert shawshank.guid == "com.plexapp.agents.imdb://tt0111161?lang=en" and shawshank.guids == []
    item = make_server().snapshot(tracked_keys=[str(shawshank.rating_key)]).items[str(shawshank.rating_key)]
    assert item.guids == ("com.plexapp.agents.imdb://tt0111161?lang=en", "imdb://tt0111161")


def test_trakt_picks_match_legacy_guids(legacy: World, make_server: MakeServer) -> None:
    picks = [TraktPick("movie", "The Shawshank Redemption", 1994, {"imdb": "tt0111161"}, rank=0),
             TraktPick("movie", "Only TMDb", 2001, {"tmdb": "4242"}, rank=1),
             TraktPick("show", "The Office", 2005, {"tvdb": "73244"}, rank=2)]
    snap = make_server(trakt_episodes=1, watchlist_toggle=False).snapshot(trakt=picks)
    assert [t for t, _, _ in wants(snap, "trakt", Reason.TRAKT)] == [
        "The Shawshank Redemption (1994)", "Only TMDb (2001)", "The Office S01E01 Episode 1"]
    assert snap.not_in_library == ()


def test_watchlist_matches_a_legacy_library(legacy: World, emu: PlexEmulator, make_server: MakeServer) -> None:
    shawshank = next(m for m in legacy.movies() if m.title == "The Shawshank Redemption")
    office = next(s for s in legacy.shows() if s.title == "The Office")
    legacy.add_to_watchlist("bob", shawshank)
    legacy.add_to_watchlist("bob", office)
    snap = make_server(watchlist_episodes=1).snapshot()
    assert titles(snap, "bob", Reason.WATCHLIST) == ["The Shawshank Redemption (1994)",
                                                     "The Office S01E01 Episode 1"]
    assert not any("[watchlist bob]" in t for t in snap.not_in_library)
    # Only entries not matched by their plex:// guid are looked up, one request each.
    assert emu.count("metadata/library/metadata/{hex}") == 2 + sum(
        1 for t in snap.not_in_library if "[watchlist" in t)
