"""The in-memory Plex the cycle tests use (``cacherr.testing.FakeMediaServer``) honours the same ``MediaServer``
contract as the real adapter (python-plexapi over HTTP against the emulator): the same assertions run against both.

The fake is loaded with what the real adapter reads of the whole library; after that each side works out its own
answers (which items a snapshot carries, the episodes after one, files resolved by path, who plays what, an outage),
and the two must agree.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from cacherr.adapters.plex import PlexMediaServer
from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.demo.plex_emulator.entities import Episode, Movie
from cacherr.domain.errors import PlexUnavailable
from cacherr.domain.media import MediaItem, Snapshot
from cacherr.ports import MediaServer
from cacherr.testing import FakeMediaServer
from tests.plex.conftest import MakeServer


def _playable(world: World) -> list[str]:
    return sorted(str(k) for k, item in world.items.items() if isinstance(item, Movie | Episode))


def _fake_from(real: PlexMediaServer, keys: list[str]) -> FakeMediaServer:
    whole = real.snapshot(tracked_keys=keys)
    return FakeMediaServer(users=list(whole.users), items=dict(whole.items), wants=list(whole.wants),
                           watched={k: set(v) for k, v in whole.watched_by.items() if v},
                           playing=list(whole.sessions))


@pytest.fixture
def pair(world: World, make_server: MakeServer) -> tuple[MediaServer, MediaServer, list[str]]:
    keys = _playable(world)
    world.start_session("alice", int(keys[0]))  # someone plays a film, someone else an episode
    world.start_session("bob", int(keys[-1]), player="Living Room TV")
    real = make_server()
    assert len(keys) > 10, "the sample world is too small to check the contract"
    return real, _fake_from(real, keys), keys


class Shape(NamedTuple):
    """What the planner reads of a snapshot, in an order-free form."""

    users: list[str]
    items: list[str]
    wants: list[tuple[str, str, int, int]]
    watched: dict[str, frozenset[str]]
    sessions: list[tuple[str, str, str]]


def _shape(snap: Snapshot) -> Shape:
    return Shape(sorted(snap.users), sorted(snap.items),
                 sorted((w.item_key, w.user, w.reason.value, w.rank) for w in snap.wants),
                 {k: v for k, v in snap.watched_by.items() if v},
                 sorted((s.user, s.item_key, s.plex_path) for s in snap.sessions))


def _episode_keys(items: dict[str, MediaItem]) -> list[str]:
    return sorted(k for k, i in items.items() if i.show_key is not None)


def test_a_snapshot_carries_the_wanted_the_tracked_and_the_playing_items_on_both(
        pair: tuple[MediaServer, MediaServer, list[str]]) -> None:
    real, fake, keys = pair
    for tracked in ((), keys[:3], keys[-5:]):
        expected = _shape(real.snapshot(tracked_keys=tracked))
        assert _shape(fake.snapshot(tracked_keys=tracked)) == expected, tracked
        carried = set(expected.items)
        assert set(tracked) <= carried
        assert {w[0] for w in expected.wants} <= carried
        assert {s[1] for s in expected.sessions} <= carried


def test_the_episodes_after_one_are_the_same_on_both(pair: tuple[MediaServer, MediaServer, list[str]]) -> None:
    real, fake, _keys = pair
    episodes = _episode_keys(dict(fake.snapshot(tracked_keys=_keys).items))
    assert episodes, "the sample world has no episodes"
    checked = 0
    for key in episodes:
        for count, minutes in ((1, 0), (3, 0), (0, 90), (50, 0)):
            got = [i.key for i in fake.next_episodes(key, count, minutes)]
            assert got == [i.key for i in real.next_episodes(key, count, minutes)], (key, count, minutes)
            checked += bool(got)
    assert checked, "no episode has a next one: the check compared only empty answers"


def test_a_movie_and_an_unknown_key_have_no_next_episodes_on_both(
        pair: tuple[MediaServer, MediaServer, list[str]]) -> None:
    real, fake, keys = pair
    items = fake.snapshot(tracked_keys=keys).items
    movie = next(k for k, i in items.items() if i.show_key is None)
    for key in (movie, "999999"):
        assert fake.next_episodes(key, 3) == () == real.next_episodes(key, 3)


def test_files_are_resolved_by_plex_path_the_same_on_both(pair: tuple[MediaServer, MediaServer, list[str]]) -> None:
    real, fake, keys = pair
    items = fake.snapshot(tracked_keys=keys).items
    paths = [f.plex_path for i in list(items.values())[:6] for f in i.files] + ["/data/movies/Not Here (2001).mkv"]
    want = {p: i.key for p, i in real.items_for_paths(paths).items()}
    assert {p: i.key for p, i in fake.items_for_paths(paths).items()} == want
    assert len(want) == len(paths) - 1  # every known file resolved, the unknown one not


def test_who_plays_what_is_the_same_on_both(pair: tuple[MediaServer, MediaServer, list[str]]) -> None:
    real, fake, _keys = pair
    sessions = sorted((s.user, s.item_key, s.plex_path) for s in real.sessions())
    assert sessions, "the sample world has no one playing"
    assert sorted((s.user, s.item_key, s.plex_path) for s in fake.sessions()) == sessions


def test_an_outage_is_plex_unavailable_on_both(emu: PlexEmulator, world: World, make_server: MakeServer) -> None:
    real = make_server(retries=1)
    fake = _fake_from(real, _playable(world))
    assert real.ping() is True and fake.ping() is True
    emu.stop()
    fake.reachable = False
    for server in (real, fake):
        with pytest.raises(PlexUnavailable, match="unreachable"):
            server.snapshot()
        with pytest.raises(PlexUnavailable):
            server.sessions()
        assert server.ping() is False


def test_a_film_in_no_collection_has_no_next_film_on_both(
        world: World, pair: tuple[MediaServer, MediaServer, list[str]]) -> None:
    real, fake, keys = pair
    assert not world.collections, "the fake has no collections: this world must have none either"
    items = fake.snapshot(tracked_keys=keys).items
    movies = [k for k, i in items.items() if i.show_key is None]
    assert movies
    for key in movies:
        assert fake.next_in_collection(key, "alice") == () == real.next_in_collection(key, "alice")
