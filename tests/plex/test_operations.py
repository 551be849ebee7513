"""The other MediaServer operations, the bootstrap wiring, recorded-style fixtures for odd cases,
and the request budget (requests grow with users and On Deck shows, not with the library)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from plexapi.server import PlexServer

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.plex import PlexMediaServer
from cacherr.bootstrap import build_container
from cacherr.demo.plex_emulator import PlexEmulator, World, generate_world
from cacherr.domain.media import MediaKind
from cacherr.domain.paths import PathMapper, PathMapping
from tests.plex.conftest import NOW, MakeServer

DATA = Path(__file__).parent / "data"


def test_next_episodes_across_seasons(world: World, make_server: MakeServer) -> None:
    example = next(s for s in world.shows() if s.title == "Example Show")
    nxt = make_server().next_episodes(str(example.episode(1, 2).rating_key), 3)
    assert [(i.season, i.episode) for i in nxt] == [(1, 3), (2, 1), (2, 2)]
    assert all(i.kind is MediaKind.EPISODE and i.files for i in nxt)
    assert nxt[0].files[0].sidecars  # detail view: external subtitles included


def test_next_episodes_of_a_movie_or_unknown_key(world: World, make_server: MakeServer) -> None:
    server = make_server()
    heat = next(m for m in world.movies() if m.title == "Heat")
    assert server.next_episodes(str(heat.rating_key), 3) == ()
    assert server.next_episodes("424242", 3) == ()
    assert server.next_episodes("not-a-key", 3) == ()


def test_sessions_operation(world: World, make_server: MakeServer) -> None:
    assert make_server().sessions() == ()
    heat = next(m for m in world.movies() if m.title == "Heat")
    world.start_session("alice", heat)
    (s,) = make_server().sessions()
    assert (s.user, s.item_key, s.state) == ("alice", str(heat.rating_key), "playing")
    world.stop_session(who="alice")
    assert make_server().sessions() == ()


def test_items_for_paths(world: World, make_server: MakeServer) -> None:
    heat = next(m for m in world.movies() if m.title == "Heat")
    ep = next(s for s in world.shows() if s.title == "Long Show").episode(2, 4)
    paths = [heat.parts[0].file, ep.parts[0].file, "/data/tv/Nope/Nope - S01E01.mkv", "/elsewhere/x.mkv"]
    found = make_server().items_for_paths(paths)
    assert set(found) == {heat.parts[0].file, ep.parts[0].file}
    assert found[ep.parts[0].file].display_title == "Long Show S02E04 Episode 4"
    assert make_server().items_for_paths([]) == {}


def test_container_builds_the_adapter(tmp_path: Path, emu: PlexEmulator, session: requests.Session,
                                      clean_env: dict[str, str]) -> None:
    env = {"PLEX_URL": emu.url, "PLEX_TOKEN": "owner-token", "PLEX_SOURCE": "/data", "REAL_SOURCE": "/mnt/user0",
           "CACHE_DESTINATION": "/mnt/cache", "SKIP_ONDECK_USERS": "bob", "NUMBER_EPISODES": "1"}
    container = build_container(tmp_path / "config", env, console_log=False, requests_session=session)
    try:
        server = container.media_server()
        assert isinstance(server, PlexMediaServer)
        snap = server.snapshot()
        assert "bob" in snap.users and not [w for w in snap.wants if w.user == "bob"]
        assert len([w for w in snap.wants if w.user == "owner" and w.reason.name == "NEXT_EPISODE"]) == 1
    finally:
        container.close()


def test_plex_tv_url_setting_routes_plex_tv(emu: PlexEmulator, mapper: PathMapper) -> None:
    server = PlexMediaServer(url=emu.url, token="owner-token", mapper=mapper, plex_tv_url=emu.url, timeout=5)
    snap = server.snapshot()
    assert snap.users == ("owner", "alice", "bob", "kid")


def test_legacy_agent_and_odd_items_convert(emu: PlexEmulator, session: requests.Session) -> None:
    emu.override("/library/onDeck", (DATA / "ondeck_legacy_agent.xml").read_bytes())
    plex = PlexServer(emu.url, "owner-token", session=session, timeout=5)
    mapper = PathMapper([PathMapping("all", "/data", "/mnt/user0", "/mnt/cache")])
    problems = cv.Problems()
    videos = [v for v in plex.library.onDeck() if cv.attr(v, "type") in ("movie", "episode")]
    emu.reset_counts()
    items = [cv.to_item(v, mapper, problems) for v in videos]
    assert emu.count() == 0  # conversion never triggers a reload request
    legacy, two_parts, hidden = items
    assert legacy.title == "Tom & Jérôme: Édition"
    assert legacy.guids == ("com.plexapp.agents.imdb://tt0100802?lang=en", "imdb://tt0100802")
    assert legacy.files[0].array_path == "/mnt/user0/movies/Tom & Jérôme (1990)/Tom & Jérôme (1990).avi"
    assert [f.size for f in two_parts.files] == [4_000_000_000, 3_000_000_000]
    assert (hidden.show_key, hidden.season, hidden.episode) == ("7100", 1, 1)
    assert list(problems) == []


def test_recorded_sessions_fixture(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.override("/status/sessions", (DATA / "sessions_mixed.xml").read_bytes())
    sessions = make_server().sessions()
    assert [(s.user, s.item_key, s.player, s.state) for s in sessions] == [
        ("bob", "8001", "Phone", "buffering"), ("alice", "8100", "", "playing")]
    assert sessions[0].plex_path == "/data/tv/Remote Show/Season 02/Remote Show - S02E05.mkv"


@pytest.mark.parametrize("shows", [40, 400])
def test_requests_do_not_grow_with_the_library(shows: int, mapper: PathMapper) -> None:
    world = generate_world(users=4, shows=shows, episodes=shows * 20, movies=shows, now=NOW)
    with PlexEmulator(world) as emu:
        server = PlexMediaServer(url=emu.url, token=world.owner.token, mapper=mapper, session=emu.session())
        snap = server.snapshot()
        counts = emu.counts()
    deck_shows = {(w.user, snap.items[w.item_key].show_key) for w in snap.wants if w.reason.name == "ON_DECK"}
    assert counts["/library/metadata/{key}/allLeaves"] == len(deck_shows)
    per_user = ["/", "/library/onDeck", "plex.tv/api/v2/user", "discover/watchlist", "metadata/",
                "/library/metadata/{keys}"]
    for endpoint in per_user:
        assert counts[endpoint] == 4, endpoint
    once = ["/status/sessions", "plex.tv/api/users", "plex.tv/api/servers/{mid}/shared_servers", "/library",
            "/library/sections"]
    assert [counts[e] for e in once] == [1] * len(once)
    assert counts["/library/sections/{id}/all"] == 2  # the guid map: one page per section
    assert sum(counts.values()) == 4 * len(per_user) + len(once) + 2 + len(deck_shows)
