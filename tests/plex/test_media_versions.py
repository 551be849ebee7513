"""Issue 13.4 through the real plexapi: the emulator serves several <Media> versions with stacked parts,
the adapter keeps them as MediaItem.versions, and the plan caches one version with all of its parts."""

from __future__ import annotations

from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.domain.cache import CacheState
from cacherr.domain.media import Reason
from cacherr.domain.versions import VersionRule
from cacherr.planning import Policy, build_plan
from tests.plex.conftest import MakeServer

MB = 1024 * 1024
GB = 1024 * MB


def test_versions_and_stacked_parts_reach_the_plan(world: World, emu: PlexEmulator, make_server: MakeServer) -> None:
    movies = next(s for s in world.sections if s.title == "Movies")
    big = world.add_movie(movies, "Two Cuts", 2004, size=int(10.6 * GB), versions=[("720", 2, int(5.65 * GB))])
    big.parts[0].resolution = "4k"
    big.parts[0].version = 0
    world.add_to_watchlist("owner", big)
    snap = make_server(watchlist_toggle=True).snapshot()
    item = snap.items[str(big.rating_key)]
    assert [(v.name, len(v.files)) for v in item.versions] == [("4K", 1), ("720p", 2)]
    assert [v.height for v in item.versions] == [2160, 720]
    assert len(item.files) == 3 and item.size > 21 * GB  # every file is still known

    want = next(w for w in snap.wants if w.item_key == item.key)
    assert want.reason is Reason.WATCHLIST
    state = CacheState((), 1000 * GB, 900 * GB)
    plan = build_plan(snap, state, Policy(), snap.taken_at)
    mine = [a for a in plan.to_cache if a.item_key == item.key]
    assert [a.cache_path.rsplit("/", 1)[-1] for a in mine] == ["Two Cuts (2004).mkv"]
    assert sum(a.size for a in mine) == int(10.6 * GB)
    assert "version 4K of 2" in mine[0].why

    small = build_plan(snap, state, Policy(versions=VersionRule.parse("720p")), snap.taken_at)
    parts = [a.cache_path.rsplit("/", 1)[-1] for a in small.to_cache if a.item_key == item.key]
    assert parts == ["Two Cuts (2004) - 720 - pt1.mkv", "Two Cuts (2004) - 720 - pt2.mkv"]


def test_stacked_parts_are_one_media(world: World, emu: PlexEmulator, session: object) -> None:
    movies = next(s for s in world.sections if s.title == "Movies")
    stacked = world.add_movie(movies, "Stacked", 1984, versions=[("1080", 2, GB)], files=0)
    body = emu.session().get(f"{emu.url}/library/metadata/{stacked.rating_key}",
                             headers={"X-Plex-Token": "owner-token"}).text
    assert body.count("<Media ") == 1 and body.count("<Part ") == 2


def test_same_title_in_two_libraries_is_wanted_in_both(world: World, make_server: MakeServer) -> None:
    """Issue 13.9: the watchlist matched the first library only; now every copy is wanted and the plan
    keeps the one MEDIA_VERSION prefers."""
    movies = next(s for s in world.sections if s.title == "Movies")
    uhd_section = world.add_section("Movies 4K", "movie", "/data/movies/4k")
    hd = world.add_movie(movies, "Dune", 2021, imdb="tt1160419", size=GB)
    uhd = world.add_movie(uhd_section, "Dune", 2021, imdb="tt1160419", size=3 * GB)
    uhd.parts[0].resolution = "4k"
    world.add_to_watchlist("bob", hd)
    snap = make_server().snapshot()
    keys = {w.item_key for w in snap.wants if w.user == "bob" and w.reason is Reason.WATCHLIST}
    assert {str(hd.rating_key), str(uhd.rating_key)} <= keys
    state = CacheState((), 1000 * GB, 900 * GB)
    plan = build_plan(snap, state, Policy(), snap.taken_at)
    dune = [a.item_key for a in plan.to_cache if a.title.startswith("Dune")]
    assert dune == [str(uhd.rating_key)]
    plan = build_plan(snap, state, Policy(versions=VersionRule.parse("1080p")), snap.taken_at)
    assert [a.item_key for a in plan.to_cache if a.title.startswith("Dune")] == [str(hd.rating_key)]
