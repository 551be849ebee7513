"""The emulator as python-plexapi 4.18.3 sees it: every call the adapter (and the notes) rely on,
asserting parsed values, not only that nothing raised."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest
import requests
from plexapi.exceptions import BadRequest, Unauthorized
from plexapi.myplex import MyPlexAccount
from plexapi.server import PlexServer

from cacherr.demo.plex_emulator import PlexEmulator, World, generate_world


@pytest.fixture
def plex(emu: PlexEmulator, session: requests.Session) -> PlexServer:
    return PlexServer(emu.url, "owner-token", session=session, timeout=5)


def test_identity_and_wrong_token(emu: PlexEmulator, session: requests.Session, plex: PlexServer) -> None:
    assert plex.machineIdentifier == emu.world.machine_id
    assert plex.friendlyName == "Cacherr Emulator"
    with pytest.raises(Unauthorized):
        PlexServer(emu.url, "wrong-token", session=session, timeout=5)
    r = session.get(f"{emu.url}/identity")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert ET.fromstring(r.content).get("machineIdentifier") == emu.world.machine_id


def test_token_in_query_string_is_accepted(emu: PlexEmulator, session: requests.Session) -> None:
    assert session.get(f"{emu.url}/library/sections?X-Plex-Token=alice-token").status_code == 200
    assert session.get(f"{emu.url}/library/sections?X-Plex-Token=nope").status_code == 401


def test_sections_and_unicode(plex: PlexServer) -> None:
    sections = plex.library.sections()
    assert [(s.title, s.type) for s in sections] == [("Movies", "movie"), ("TV Shows", "show")]
    assert sections[0].locations == ["/data/movies"]
    titles = [m.title for m in sections[0].all()]
    assert "Amélie" in titles  # charset=utf-8: no mojibake


def test_on_deck_per_user(emu: PlexEmulator, session: requests.Session, plex: PlexServer) -> None:
    deck = plex.library.onDeck()
    assert [(e.grandparentTitle, e.parentIndex, e.index) for e in deck] == [("Example Show", 2, 1)]
    assert deck[0].lastViewedAt is not None
    assert deck[0].grandparentKey and deck[0].parentKey
    alice = PlexServer(emu.url, "alice-token", session=session, timeout=5)
    alice_deck = alice.library.onDeck()
    assert [(m.title, m.viewOffset) for m in alice_deck] == [("Amélie", 600_000)]
    assert plex.library.section("TV Shows").onDeck()[0].index == 1
    assert alice.library.section("TV Shows").onDeck() == []


def test_episodes_seasons_and_nested_on_deck(plex: PlexServer) -> None:
    ep = plex.library.onDeck()[0]
    show = ep.show()
    assert show.childCount == 3  # specials + 2 seasons
    assert [s.index for s in show.seasons()] == [0, 1, 2]
    assert [(e.parentIndex, e.index) for e in show.episodes()] == [(0, 1), (1, 1), (1, 2), (1, 3), (2, 1), (2, 2),
                                                                     (2, 3)]
    assert [e.index for e in ep.season().episodes()] == [1, 2, 3]
    assert show.onDeck().ratingKey == ep.ratingKey
    assert show.isPlayed is False and show.viewedLeafCount == 3


def test_detail_reload_has_external_subtitles(plex: PlexServer) -> None:
    movie = plex.library.section("Movies").get("Amélie")
    subs = movie.subtitleStreams()  # partial -> detail reload
    assert sorted(s.languageTag for s in subs) == ["en", "fr"]
    assert all(s.key.startswith("/library/streams/") for s in subs)
    assert movie.media[0].parts[0].file == "/data/movies/Amélie (2001)/Amélie (2001).mkv"


def test_comma_separated_metadata_keys(emu: PlexEmulator, plex: PlexServer) -> None:
    keys = [m.rating_key for m in emu.world.movies()]
    items = plex.fetchItems(keys)
    assert sorted(int(i.ratingKey) for i in items) == sorted(keys)


def test_paging_honours_start_size_and_total(emu: PlexEmulator, plex: PlexServer) -> None:
    tv = plex.library.section("TV Shows")
    emu.reset_counts()
    leaves = plex.fetchItems(f"/library/sections/{tv.key}/all?type=4", container_size=4)
    assert len(leaves) == 7 + 30 + 6
    assert emu.count("/library/sections/{id}/all") == 11  # ceil(43 / 4)
    assert len(plex.fetchItems(f"/library/sections/{tv.key}/all?type=4", maxresults=5)) == 5
    r = requests.get(f"{emu.url}/library/sections/{tv.key}/all?type=4&X-Plex-Container-Start=40"
                     "&X-Plex-Container-Size=10", headers={"X-Plex-Token": "owner-token"}, timeout=5)
    root = ET.fromstring(r.content)
    assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("3", "43", "40")
    assert r.headers["X-Plex-Container-Total-Size"] == "43"


def test_search_by_guid(plex: PlexServer) -> None:
    movies = plex.library.section("Movies")
    heat = movies.get("Heat")
    assert movies.getGuid(heat.guid).title == "Heat"
    assert {g.id for g in heat.guids} == {"imdb://tt0113277", "tmdb://949"}


def test_sessions_history_and_accounts(emu: PlexEmulator, plex: PlexServer) -> None:
    show = next(s for s in emu.world.shows() if s.title == "Long Show")
    emu.world.start_session("bob", show.episode(1, 2), player="Living Room")
    sessions = plex.sessions()
    assert [(s.usernames, s.player.title, s.index) for s in sessions] == [(["bob"], "Living Room", 2)]
    assert sessions[0].media[0].parts[0].file.endswith("Long Show (2010) - S01E02.mkv")
    history = plex.history()
    assert history[0].viewedAt >= history[-1].viewedAt
    assert {a.name for a in plex.systemAccounts()} == {"owner", "alice", "bob", "kid"}
    assert [h.accountID for h in plex.history(accountID=emu.world.user("bob").id)] == [emu.world.user("bob").id]


def test_watched_state_is_per_user(emu: PlexEmulator, session: requests.Session, plex: PlexServer) -> None:
    alice = PlexServer(emu.url, "alice-token", session=session, timeout=5)
    heat = alice.library.section("Movies").get("Heat")
    heat.markPlayed()
    assert alice.library.section("Movies").get("Heat").isPlayed is True
    assert plex.library.section("Movies").get("Heat").isPlayed is False


def test_plex_tv_users_tokens_and_switching(emu: PlexEmulator, session: requests.Session, plex: PlexServer) -> None:
    account = plex.myPlexAccount()
    assert account.username == "owner"
    users = {u.title: u for u in account.users()}
    assert set(users) == {"alice", "bob", "kid"}
    assert users["alice"].home and not users["bob"].home
    assert users["bob"].get_token(plex.machineIdentifier) == "bob-token"
    assert plex.switchUser("bob").library.onDeck()[0].grandparentTitle == "Long Show"
    assert account.switchHomeUser("kid").authToken == "kid-token"
    emu.world.user("kid").pin = "1234"
    with pytest.raises(Unauthorized):
        account.switchHomeUser("kid")
    assert account.switchHomeUser("kid", pin="1234").authToken == "kid-token"


def test_watchlist_through_discover(emu: PlexEmulator, session: requests.Session) -> None:
    account = MyPlexAccount(token="owner-token", session=session, timeout=5)
    items = account.watchlist()
    inception = next(m for m in emu.world.movies() if m.title == "Inception")
    assert (items[0].title, items[0].guid) == ("Inception", inception.guid)
    assert items[1].title == "Not Here"
    alice = MyPlexAccount(token="alice-token", session=session, timeout=5)
    assert [i.title for i in alice.watchlist()] == ["The Matrix"]
    assert emu.count("discover/watchlist") == 2 and emu.count("metadata/") == 2


def test_request_counting_per_endpoint_and_user(emu: PlexEmulator, session: requests.Session) -> None:
    emu.reset_counts()
    PlexServer(emu.url, "alice-token", session=session, timeout=5).library.onDeck()
    assert emu.count("/", user="alice") == 1
    assert emu.count("/library/onDeck", user="alice") == 1
    assert emu.count("/library/onDeck", user="owner") == 0
    assert emu.counts()["/library"] == 1


def test_faults(emu: PlexEmulator, session: requests.Session, plex: PlexServer) -> None:
    emu.inject("/library/onDeck", "500")
    with pytest.raises(BadRequest):
        plex.library.onDeck()
    assert plex.library.onDeck()  # only once
    emu.inject("/library/sections", "429", retry_after=7)
    r = session.get(f"{emu.url}/library/sections", headers={"X-Plex-Token": "owner-token"}, timeout=5)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "7")
    emu.inject("/library/sections", "malformed")
    r = session.get(f"{emu.url}/library/sections", headers={"X-Plex-Token": "owner-token"}, timeout=5)
    with pytest.raises(ET.ParseError):
        ET.fromstring(r.content)
    emu.inject("/accounts", "drop")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.url}/accounts", headers={"X-Plex-Token": "owner-token"}, timeout=5)
    emu.inject("/identity", "slow", delay=0.3)
    started = time.monotonic()
    assert session.get(f"{emu.url}/identity", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_for_one_user_only(emu: PlexEmulator, session: requests.Session, plex: PlexServer) -> None:
    emu.inject("/library/onDeck", "503", times=None, user="alice")
    alice = PlexServer(emu.url, "alice-token", session=session, timeout=5)
    with pytest.raises(BadRequest):
        alice.library.onDeck()
    assert plex.library.onDeck()


def test_stopped_emulator_refuses_connections(emu: PlexEmulator, session: requests.Session) -> None:
    url = emu.url
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/identity", timeout=2)
    emu.start()
    assert emu.url == url
    assert session.get(f"{url}/identity", timeout=2).status_code == 200


def test_generated_world_is_consistent() -> None:
    started = time.monotonic()
    w: World = generate_world(users=6, shows=40, episodes=800, movies=30, now=1_790_000_000)
    assert time.monotonic() - started < 5
    assert len(w.users) == 6 and sum(1 for _ in w.shows()) == 40
    assert sum(len(s.episodes()) for s in w.shows()) == 800
    with PlexEmulator(w) as emu:
        s = emu.session()
        for user in w.users.values():
            deck = PlexServer(emu.url, user.token, session=s, timeout=5).library.onDeck()
            assert 1 <= len(deck) <= 3
