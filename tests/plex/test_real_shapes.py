"""Issue 13: shapes real servers and plex.tv send, each degrading for one session, show or user only
(the real plexapi and the adapter against the emulator over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import requests

from cacherr.adapters.client_id import load_or_create_client_id
from cacherr.adapters.plex import PlexMediaServer
from cacherr.adapters.plex_snapshot import PlexOptions
from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.domain.media import Reason
from cacherr.domain.paths import PathMapper
from tests.plex.conftest import NOW, MakeServer

ALL_LEAVES = "/library/metadata/{key}/allLeaves"


def test_live_tv_session_without_user_does_not_fail_sessions(world: World, make_server: MakeServer) -> None:
    """Bug: a Live TV session with no <User> made plexapi raise AttributeError: every cycle failed."""
    heat = next(m for m in world.movies() if m.title == "Heat")
    inception = next(m for m in world.movies() if m.title == "Inception")
    world.start_session("owner", heat, live=True)
    world.start_session("bob", inception, transcode=True)
    server = make_server()
    sessions = server.sessions()
    assert [(s.user, s.item_key, s.plex_path) for s in sessions] == [("bob", str(inception.rating_key), "")]
    snap = server.snapshot()
    assert [s.item_key for s in snap.sessions] == [str(inception.rating_key)]
    assert any(w.reason is Reason.PLAYING or w.user == "owner" for w in snap.wants)


def test_one_show_500_affects_only_that_show(world: World, emu: PlexEmulator, make_server: MakeServer) -> None:
    """Bug: a 500 from one show's allLeaves failed the owner's whole snapshot."""
    example = next(s for s in world.shows() if s.title == "Example Show")
    emu.inject(ALL_LEAVES, "500", times=None, path=f"/library/metadata/{example.rating_key}/allLeaves")
    snap = make_server(retries=1, max_retry_after=0).snapshot()
    assert snap.unread_shows == {str(example.rating_key)}
    assert not snap.complete
    assert any("Example Show: could not read its episodes" in p for p in snap.problems)
    assert any("incomplete snapshot" in p for p in snap.problems)
    owner_deck = [w for w in snap.wants if w.user == "owner" and w.reason is Reason.ON_DECK]
    assert owner_deck  # the On Deck episode itself is still wanted; only its next episodes are unknown
    assert any(w.user == "bob" and w.reason is Reason.NEXT_EPISODE for w in snap.wants)  # Long Show is fine
    # bounded: the show is asked at most twice per reader (each with 1 HTTP retry), not forever
    assert emu.count(ALL_LEAVES) <= 2 * 2 * 2 + 2


def test_plex_tv_503_marks_the_users_unlisted(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("plex.tv/api/users", "503", times=None)
    snap = make_server(retries=1, max_retry_after=0).snapshot()
    assert snap.users == ("owner",)
    assert snap.users_unlisted and not snap.complete
    assert any(p.startswith("incomplete snapshot: the other Plex users could not be listed") for p in snap.problems)


def test_friend_watchlist_comes_from_the_rss_feed(emu: PlexEmulator, world: World, make_server: MakeServer) -> None:
    matrix = next(m for m in world.movies() if m.title == "The Matrix")
    world.add_to_watchlist("bob", matrix)
    snap = make_server().snapshot()
    assert any(w.user == "bob" and w.reason is Reason.WATCHLIST and w.item_key == str(matrix.rating_key)
               for w in snap.wants)
    assert emu.count("discover/rss") == 1
    assert emu.count("discover/watchlist", user="bob") == 0  # plex.tv refuses a friend's server token


def test_friend_wants_match_only_libraries_shared_with_them(world: World, make_server: MakeServer) -> None:
    matrix = next(m for m in world.movies() if m.title == "The Matrix")
    bob = world.user("bob")
    world.add_to_watchlist(bob, matrix)
    bob.shared_sections = [s.key for s in world.sections if s.kind == "show"]
    snap = make_server().snapshot()
    assert not any(w.user == "bob" and w.reason is Reason.WATCHLIST for w in snap.wants)
    assert any("The Matrix" in t and "bob" in t for t in snap.not_in_library)


def test_friend_watchlist_without_feed_says_so(make_server: MakeServer) -> None:
    snap = make_server(friends_rss="").snapshot()
    assert any(p.startswith("user bob: their watchlist cannot be read") and "PLEX_FRIENDS_WATCHLIST_RSS" in p
               for p in snap.problems)
    assert snap.complete  # nothing was recorded from a feed that was never set


def test_friend_feed_down_keeps_the_friend_unread(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.inject("discover/rss", "500", times=None)
    snap = make_server(retries=1, max_retry_after=0).snapshot()
    assert "bob" in snap.unread_users
    assert any("friends' watchlist feed" in p for p in snap.problems)


def test_owner_email_as_my_plex_username_still_matches_skip_lists(world: World, make_server: MakeServer) -> None:
    """Bug: real servers send the owner's email as myPlexUsername; SKIP_ONDECK_USERS=owner never matched."""
    world.email_as_username = True
    snap = make_server(skip_ondeck_users=frozenset({"owner"})).snapshot()
    assert snap.users[0] == world.owner.email
    assert not any(w.reason in (Reason.ON_DECK, Reason.IN_PROGRESS) and w.user == snap.users[0] for w in snap.wants)
    by_email = make_server(skip_ondeck_users=frozenset({world.user("bob").email.upper()})).snapshot()
    assert not any(w.user == "bob" and w.reason is Reason.ON_DECK for w in by_email.wants)


def test_missing_file_is_reported_not_attempted(world: World, emu: PlexEmulator, make_server: MakeServer) -> None:
    amelie = next(m for m in world.movies() if m.title == "Amélie")
    amelie.parts[0].exists = False
    snap = make_server().snapshot()
    assert snap.items[str(amelie.rating_key)].files == ()
    assert any("Amélie" in p and "missing" in p for p in snap.problems)
    assert any("checkFiles=1" in r.path for r in emu.log if r.endpoint == "/library/metadata/{keys}")


def test_home_user_switch_is_cached_across_cycles(world: World, emu: PlexEmulator, make_server: MakeServer) -> None:
    world.user("kid").shared_token = False
    first = make_server().snapshot()
    second = make_server().snapshot()
    assert "kid" in first.users and "kid" in second.users
    assert emu.count("plex.tv/api/home/users/{id}/switch") == 1


def test_client_identifier_is_fixed_per_install(tmp_path: Path, emu: PlexEmulator, mapper: PathMapper) -> None:
    cid = load_or_create_client_id(tmp_path)
    assert load_or_create_client_id(tmp_path) == cid
    assert (tmp_path / "client_id").read_text().strip() == cid
    sent: list[requests.PreparedRequest] = []
    session = emu.session()
    session.hooks["response"].append(lambda r, *_a, **_k: sent.append(r.request))
    server = PlexMediaServer(url=emu.url, token="owner-token", mapper=mapper, session=session, client_id=cid,
                             options=PlexOptions(), clock=lambda: datetime.fromtimestamp(NOW, UTC))
    server.snapshot()
    assert sent and all(r.headers.get("X-Plex-Client-Identifier") == cid for r in sent)
    assert all(r.headers.get("X-Plex-Product") == "Cacherr" for r in sent)


def test_client_identifier_replaces_a_garbled_file(tmp_path: Path) -> None:
    (tmp_path / "client_id").write_text("x\n")
    cid = load_or_create_client_id(tmp_path)
    assert cid.startswith("cacherr-") and (tmp_path / "client_id").read_text().strip() == cid


def test_owner_session_is_named_as_the_snapshot_names_the_owner(world: World, make_server: MakeServer) -> None:
    world.email_as_username = True
    world.start_session("owner", next(iter(world.movies())))
    snap = make_server().snapshot()
    assert [s.user for s in snap.sessions] == [world.owner.email] == [snap.users[0]]


def test_home_user_switch_honours_plex_timeout(world: World, emu: PlexEmulator, make_server: MakeServer) -> None:
    """Bug: the switch fetched /api/v2/user under plexapi's 30 s default timeout, whatever PLEX_TIMEOUT said."""
    import time

    world.user("kid").shared_token = False
    emu.inject("plex.tv/api/home/users/{id}/switch", "slow", delay=4.0, times=None)
    started = time.monotonic()
    snap = make_server(timeout=0.5, retries=0).snapshot()
    assert time.monotonic() - started < 3.5
    assert "kid" not in snap.users and "kid" in snap.unread_users


def test_client_identifier_race_between_threads(tmp_path: Path) -> None:
    """Bug: the cycle and the session poller made the id at once; one moved the other's temporary file away
    (FileNotFoundError: the demo's first cycle failed)."""
    from concurrent.futures import ThreadPoolExecutor

    for n in range(20):
        d = tmp_path / str(n)
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(load_or_create_client_id, [d] * 8))
        assert len(set(ids)) == 1 and (d / "client_id").read_text().strip() == ids[0]
        assert [p.name for p in d.iterdir()] == ["client_id"]
