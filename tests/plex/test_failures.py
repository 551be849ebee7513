"""Every failure mode: retries on 5xx and 429, malformed XML, refused connections, wrong tokens,
slow answers, and users whose token cannot be had (reported and skipped, the cycle goes on)."""

from __future__ import annotations

import time

import pytest

from cacherr.adapters.plex import PlexMediaServer
from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.domain.errors import PlexUnavailable
from cacherr.domain.media import Reason
from cacherr.domain.paths import PathMapper
from tests.plex.conftest import MakeServer


def test_500_is_retried_then_succeeds(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/library/onDeck", "500", times=2, user="owner")
    snap = make_server().snapshot()
    assert [w.user for w in snap.wants if w.reason is Reason.ON_DECK].count("owner") == 1
    assert emu.count("/library/onDeck", user="owner") == 3
    assert snap.problems == ()


def test_429_honours_retry_after(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/status/sessions", "429", retry_after=1)
    started = time.monotonic()
    snap = make_server().snapshot()
    assert time.monotonic() - started >= 1.0
    assert snap.sessions == () and emu.count("/status/sessions") == 2


def test_retry_after_is_capped(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/status/sessions", "429", retry_after=3600)
    started = time.monotonic()
    make_server(max_retry_after=0.2).snapshot()
    assert time.monotonic() - started < 5


def test_persistent_500_on_the_owner_stops_the_cycle(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/library/onDeck", "500", times=None, user="owner")
    with pytest.raises(PlexUnavailable, match="owner's On Deck"):
        make_server(retries=1).snapshot()


def test_malformed_xml_on_the_owner_side(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/", "malformed", user="owner")
    with pytest.raises(PlexUnavailable, match="malformed XML"):
        make_server().snapshot()


def test_malformed_xml_for_one_user_is_reported(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/library/onDeck", "malformed", user="bob")
    snap = make_server().snapshot()
    assert any(p.startswith("user bob: could not read their On Deck") for p in snap.problems)
    assert [w.user for w in snap.wants if w.reason is Reason.IN_PROGRESS] == ["alice"]


def test_refused_connection(emu: PlexEmulator, make_server: MakeServer) -> None:
    server = make_server(retries=1)
    assert server.ping() is True  # a kept-alive connection exists now
    emu.stop()
    with pytest.raises(PlexUnavailable, match="unreachable") as err:
        server.snapshot()
    assert emu.url in str(err.value)
    assert server.ping() is False


def test_wrong_owner_token(make_server: MakeServer) -> None:
    with pytest.raises(PlexUnavailable, match="refused the owner token"):
        make_server(token="not-the-owner").snapshot()
    assert make_server(token="not-the-owner").ping() is False
    assert make_server().ping() is True


def test_slow_server_times_out(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/", "slow", delay=1.0, times=None, user="owner")
    started = time.monotonic()
    with pytest.raises(PlexUnavailable, match="unreachable"):
        make_server(timeout=0.3, retries=1).snapshot()
    assert time.monotonic() - started < 3


def test_shared_user_with_a_refused_token_is_skipped(world: World, make_server: MakeServer) -> None:
    world.user("bob").token_valid = False  # the share was revoked: the PMS answers 401
    snap = make_server().snapshot()
    assert "bob" not in snap.users
    assert any(p.startswith("user bob: Plex refused or failed their token") for p in snap.problems)
    assert {w.user for w in snap.wants} >= {"owner", "alice"}


def test_user_without_a_server_token_is_skipped(world: World, make_server: MakeServer) -> None:
    world.user("bob").shared_token = False
    snap = make_server().snapshot()
    assert "bob" not in snap.users
    assert any(p.startswith("user bob: no access token") for p in snap.problems)


def test_home_user_without_share_is_switched_to(emu: PlexEmulator, world: World, make_server: MakeServer) -> None:
    world.user("kid").shared_token = False
    snap = make_server().snapshot()
    assert "kid" in snap.users and snap.problems == ()
    assert emu.count("plex.tv/api/home/users/{id}/switch") == 1


def test_pin_protected_home_user_is_reported(world: World, make_server: MakeServer) -> None:
    kid = world.user("kid")
    kid.shared_token, kid.pin = False, "1234"
    snap = make_server().snapshot()
    assert "kid" not in snap.users
    assert any(p.startswith("user kid: could not switch") for p in snap.problems)


def test_plex_tv_down_keeps_the_owner(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("plex.tv/api/users", "503", times=None)
    snap = make_server(retries=1).snapshot()
    assert snap.users == ("owner",)
    assert any("could not list Plex users" in p for p in snap.problems)
    assert any(w.user == "owner" for w in snap.wants)


def test_watchlist_failure_is_reported_for_that_user(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("discover/watchlist", "500", times=None, user="alice")
    snap = make_server(retries=1).snapshot()
    assert any(p.startswith("user alice: could not read their watchlist") for p in snap.problems)
    assert [w.user for w in snap.wants if w.reason is Reason.WATCHLIST] == ["owner"]


def test_dropped_connection_for_a_user(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("/library/onDeck", "drop", times=None, user="alice")
    snap = make_server(retries=1).snapshot()
    assert any(p.startswith("user alice: could not read their On Deck") for p in snap.problems)
    assert any(w.user == "bob" for w in snap.wants)


def test_tracked_items_deleted_from_plex_are_absent(mapper: PathMapper) -> None:
    world = World(clock=lambda: 1_790_000_000)
    movies = world.add_section("Movies", "movie", "/data/movies")
    world.add_movie(movies, "Only One", 2000)
    with PlexEmulator(world) as emu:
        server = PlexMediaServer(url=emu.url, token="owner-token", mapper=mapper, session=emu.session())
        snap = server.snapshot(tracked_keys=["999999", "999998"])
        assert (snap.items, snap.wants, snap.problems) == ({}, (), ())
        assert emu.count("/library/metadata/{keys}") == 1  # answered 404, taken as "gone"
