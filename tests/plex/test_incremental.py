"""Incremental Plex reads (adapters/plex_incremental.py) with the real plexapi against the emulator over HTTP
and a real SQLite store in a temp dir: what a steady-state cycle asks, and that it sees what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from cacherr.adapters.plex import PlexMediaServer
from cacherr.adapters.plex_snapshot import PlexOptions
from cacherr.adapters.sqlite_plex_cache import SqlitePlexCache
from cacherr.adapters.sqlite_store import Database, open_database
from cacherr.demo.plex_emulator import PlexEmulator, Show, World, generate_world
from cacherr.demo.plex_emulator.library_changes import add_episode, remove_item, replace_file
from cacherr.domain.errors import PlexUnavailable
from cacherr.domain.media import Reason, Snapshot
from cacherr.domain.paths import PathMapper
from tests.plex.conftest import NOW

METADATA = "/library/metadata/{keys}"


class Clock:
    def __init__(self, world: World) -> None:
        self.t = NOW
        world.clock = lambda: self.t

    def tick(self, seconds: int = 60) -> None:
        self.t += seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)


@pytest.fixture
def clock(world: World) -> Clock:
    return Clock(world)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "state.db")
    yield database
    database.close()


Make = Callable[..., PlexMediaServer]


@pytest.fixture
def make(emu: PlexEmulator, session: requests.Session, mapper: PathMapper, clock: Clock) -> Make:
    def build(cache: SqlitePlexCache | None = None, **kw: object) -> PlexMediaServer:
        return PlexMediaServer(url=emu.url, token="owner-token", mapper=mapper, timeout=5.0, session=session,
                               options=PlexOptions(friends_rss="friends-feed", **kw),  # type: ignore[arg-type]
                               clock=clock.now, cache=cache, retries=0)

    return build


def show(world: World, title: str) -> Show:
    return next(s for s in world.shows() if s.title == title)


def same(a: Snapshot, b: Snapshot) -> None:
    """The same snapshot in meaning (problems as a set: their order follows the order of the reads)."""
    assert dict(a.items) == dict(b.items)
    assert sorted(a.wants, key=repr) == sorted(b.wants, key=repr)
    assert {k: v for k, v in a.watched_by.items() if v} == {k: v for k, v in b.watched_by.items() if v}
    assert (a.users, a.sessions, a.unread, a.not_in_library) == (b.users, b.sessions, b.unread, b.not_in_library)
    assert set(a.problems) == set(b.problems)


def tracked_of(world: World) -> list[str]:
    """Every episode of Long Show and every movie: what the tests pretend is cached."""
    return [str(e.rating_key) for e in show(world, "Long Show").episodes()] + [str(m.rating_key)
                                                                               for m in world.movies()]


def test_first_read_is_full_then_incremental(world: World, emu: PlexEmulator, make: Make, db: Database,
                                             clock: Clock) -> None:
    cache = SqlitePlexCache(db)
    server = make(cache)
    first = server.snapshot(tracked_of(world))
    assert first.read_note.startswith("Plex read: full (first read)")
    clock.tick()
    emu.reset_counts()
    second = server.snapshot(tracked_of(world))
    assert second.read_note.startswith("Plex read: incremental,")
    assert emu.count(METADATA) == 0  # nothing changed: no item read again, no watched state read per user
    same(second, first)
    state = cache.read_state()
    assert state.last_kind == "incremental" and state.last_requests == emu.count() and not state.needs_full


def test_incremental_sees_a_new_watch_in_the_history(world: World, emu: PlexEmulator, make: Make, db: Database,
                                                     clock: Clock) -> None:
    server = make(SqlitePlexCache(db))
    ep = show(world, "Long Show").episode(2, 5)
    server.snapshot(tracked_of(world))
    assert "bob" not in server.snapshot(tracked_of(world)).watched_by.get(str(ep.rating_key), set())
    clock.tick()
    world.mark_watched("bob", ep, at=clock.t)
    emu.reset_counts()
    snap = server.snapshot(tracked_of(world))
    assert "bob" in snap.watched_by[str(ep.rating_key)]
    assert emu.count(METADATA) == 0
    same(snap, make().snapshot(tracked_of(world)))


def test_incremental_sees_a_new_episode(world: World, emu: PlexEmulator, make: Make, db: Database,
                                        clock: Clock) -> None:
    server = make(SqlitePlexCache(db))
    server.snapshot(tracked_of(world))
    clock.tick()
    new = add_episode(world, show(world, "Example Show"), 2, 4)  # the owner is On Deck at S02E01
    snap = server.snapshot(tracked_of(world))
    assert (str(new.rating_key), Reason.NEXT_EPISODE) in {(w.item_key, w.reason) for w in snap.wants}
    assert snap.items[str(new.rating_key)].files[0].plex_path.endswith("S02E04.mkv")
    same(snap, make().snapshot(tracked_of(world)))


def test_incremental_sees_an_upgraded_file(world: World, emu: PlexEmulator, make: Make, db: Database,
                                           clock: Clock) -> None:
    server = make(SqlitePlexCache(db))
    heat = next(m for m in world.movies() if m.title == "Heat")
    server.snapshot(tracked_of(world))
    clock.tick()
    replace_file(world, heat, "/data/movies/Heat (1995)/Heat (1995) 2160p.mkv", 20_000_000_000)
    emu.reset_counts()
    snap = server.snapshot(tracked_of(world))
    item = snap.items[str(heat.rating_key)]
    assert [(f.plex_path, f.size) for f in item.files] == [("/data/movies/Heat (1995)/Heat (1995) 2160p.mkv",
                                                           20_000_000_000)]
    assert item.files[0].cache_path == "/mnt/cache/movies/Heat (1995)/Heat (1995) 2160p.mkv"
    assert emu.count(METADATA) == 1  # only the upgraded item, in one batch
    same(snap, make().snapshot(tracked_of(world)))


def test_incremental_sees_a_removed_item(world: World, emu: PlexEmulator, make: Make, db: Database,
                                         clock: Clock) -> None:
    server = make(SqlitePlexCache(db))
    gone = show(world, "Long Show").episode(3, 10)
    tracked = tracked_of(world)  # still cached after Plex dropped it
    assert str(gone.rating_key) in server.snapshot(tracked).items
    clock.tick()
    remove_item(world, gone)
    snap = server.snapshot(tracked)
    assert str(gone.rating_key) not in snap.items
    assert "metadata re-read" in snap.read_note
    same(snap, make().snapshot(tracked))
    clock.tick()
    emu.reset_counts()
    assert str(gone.rating_key) not in server.snapshot(tracked).items
    assert emu.count(METADATA) == 0  # the next one is steady again


def test_a_failed_read_forces_a_full_read_next_cycle(world: World, emu: PlexEmulator, make: Make, db: Database,
                                                     clock: Clock) -> None:
    cache = SqlitePlexCache(db)
    server = make(cache)
    server.snapshot(tracked_of(world))
    clock.tick()
    emu.inject("/status/sessions/history/all", "500", times=None)
    with pytest.raises(PlexUnavailable):
        server.snapshot(tracked_of(world))
    assert cache.read_state().needs_full
    emu.clear_faults()
    clock.tick()
    assert server.snapshot(tracked_of(world)).read_note.startswith("Plex read: full (the last read failed")
    clock.tick()
    assert server.snapshot(tracked_of(world)).read_note.startswith("Plex read: incremental")


def test_a_partial_read_forces_a_full_read_next_cycle(world: World, emu: PlexEmulator, make: Make, db: Database,
                                                      clock: Clock) -> None:
    cache = SqlitePlexCache(db)
    server = make(cache)
    server.snapshot(tracked_of(world))
    clock.tick()
    emu.inject("/library/onDeck", "500", times=None, user="alice")
    assert not server.snapshot(tracked_of(world)).complete
    assert cache.read_state().needs_full
    emu.clear_faults()
    clock.tick()
    assert "full (the last read failed or was partial)" in server.snapshot(tracked_of(world)).read_note


def test_a_scheduled_full_read(world: World, make: Make, db: Database, clock: Clock) -> None:
    server = make(SqlitePlexCache(db))
    server.snapshot(tracked_of(world))
    clock.tick(23 * 3600)
    assert "incremental" in server.snapshot(tracked_of(world)).read_note
    clock.tick(3600)
    assert "full (scheduled full read)" in server.snapshot(tracked_of(world)).read_note


def test_incremental_equals_full_after_a_sequence_of_changes(world: World, emu: PlexEmulator, make: Make,
                                                             db: Database, clock: Clock) -> None:
    server = make(SqlitePlexCache(db), number_episodes=3)
    long_show, example = show(world, "Long Show"), show(world, "Example Show")
    heat = next(m for m in world.movies() if m.title == "Heat")
    steps: list[Callable[[], object]] = [
        lambda: world.mark_watched("bob", long_show.episode(1, 2), at=clock.t),
        lambda: world.set_progress("kid", long_show.episode(2, 1), 60_000, at=clock.t),
        lambda: add_episode(world, example, 3, 1),
        lambda: replace_file(world, heat, "/data/movies/Heat (1995)/Heat.remux.mkv", 30_000_000_000),
        lambda: world.mark_watched("alice", heat, at=clock.t),
        lambda: world.start_session("bob", long_show.episode(1, 3)),
        lambda: remove_item(world, long_show.episode(3, 9)),
        lambda: world.mark_watched("owner", example.episode(2, 1), at=clock.t),
    ]
    tracked = tracked_of(world)  # what is cached stays so while Plex changes
    server.snapshot(tracked)
    for step in steps:
        clock.tick()
        step()
        incremental = server.snapshot(tracked)
        assert "incremental" in incremental.read_note
        same(incremental, make(number_episodes=3).snapshot(tracked))


def _steady_requests(tmp_path: Path, name: str, emu: PlexEmulator, session: requests.Session, mapper: PathMapper,
                     tracked: list[str], clock: Clock) -> tuple[int, int]:
    db = open_database(tmp_path / f"{name}.db")
    try:
        server = PlexMediaServer(url=emu.url, token="owner-token", mapper=mapper, timeout=5.0,
                                 session=session, options=PlexOptions(watchlist_toggle=False), clock=clock.now,
                                 cache=SqlitePlexCache(db))
        emu.reset_counts()
        server.snapshot(tracked)
        full = emu.count()
        clock.tick()
        emu.reset_counts()
        snap = server.snapshot(tracked)
        assert len([k for k in tracked if k in snap.items]) == len(tracked)
        return full, emu.count()
    finally:
        db.close()


def test_steady_state_requests_do_not_depend_on_the_number_cached(tmp_path: Path, mapper: PathMapper) -> None:
    big = generate_world(users=4, shows=40, episodes=2400, movies=10, now=NOW)
    clock = Clock(big)
    episodes = [str(e.rating_key) for s in big.shows() for e in s.episodes()]
    with PlexEmulator(big) as emu:
        session = emu.session()
        full_small, small = _steady_requests(tmp_path, "small", emu, session, mapper, episodes[:100], clock)
        full_big, steady_big = _steady_requests(tmp_path, "big", emu, session, mapper, episodes[:2000], clock)
        session.close()
    assert small == steady_big
    assert full_big > full_small  # a full read still grows with the cache: the incremental one does not


LEAVES = "/library/metadata/{key}/allLeaves"


def test_steady_state_reuses_the_episodes_of_shows_on_deck(world: World, emu: PlexEmulator, make: Make,
                                                           db: Database, clock: Clock) -> None:
    """Issue 17: a show's episode listing is read again only when something in that show changed (a
    watchlisted show's is read each time: its first unwatched episode depends on the user)."""
    server = make(SqlitePlexCache(db), watchlist_toggle=False)
    clock.tick(2 * 600)  # past the margin each read reaches back (the sample world was just scanned)
    server.snapshot(tracked_of(world))
    clock.tick()
    emu.reset_counts()
    server.snapshot(tracked_of(world))
    assert emu.count(LEAVES) == 0
    clock.tick()
    example = show(world, "Example Show")
    add_episode(world, example, 2, 4)
    emu.reset_counts()
    snap = server.snapshot(tracked_of(world))
    reread = {r.path.split("?")[0] for r in emu.log if r.endpoint == LEAVES}
    assert reread == {f"/library/metadata/{example.rating_key}/allLeaves"}
    same(snap, make(watchlist_toggle=False).snapshot(tracked_of(world)))


def test_a_new_cache_object_loads_what_the_last_one_kept(world: World, emu: PlexEmulator, make: Make,
                                                         db: Database, clock: Clock) -> None:
    """The in-memory copy and a copy loaded afresh from SQLite (a restart) give the same snapshot."""
    server = make(SqlitePlexCache(db))
    server.snapshot(tracked_of(world))
    clock.tick()
    world.mark_watched("alice", show(world, "Long Show").episode(1, 4), at=clock.t)
    kept = server.snapshot(tracked_of(world))
    clock.tick()
    emu.reset_counts()
    loaded = make(SqlitePlexCache(db)).snapshot(tracked_of(world))
    assert "incremental" in loaded.read_note and emu.count(METADATA) == 0
    same(loaded, kept)


def test_a_write_by_another_process_drops_the_in_memory_copy(world: World, emu: PlexEmulator, make: Make,
                                                             db: Database, clock: Clock, tmp_path: Path) -> None:
    """Regression: a copy kept in memory must not outlive a read recorded by someone else (``cacherr cycle``
    while ``serve`` runs): it would miss what that read learnt, since the next read starts after it."""
    mine = SqlitePlexCache(db)
    server = make(mine)
    server.snapshot(tracked_of(world))
    ep = show(world, "Long Show").episode(2, 6)
    clock.tick()
    world.mark_watched("bob", ep, at=clock.t)
    clock.tick(2 * 600)  # bob's watch is older than where the history of the read after the next starts
    other = open_database(tmp_path / "state.db")  # the same file, another connection
    try:
        make(SqlitePlexCache(other)).snapshot(tracked_of(world))  # learns bob's watch, moves the start on
    finally:
        other.close()
    clock.tick()
    snap = server.snapshot(tracked_of(world))
    assert "bob" in snap.watched_by[str(ep.rating_key)]


GUIDS = "/library/sections/{id}/all"


def test_steady_state_reuses_the_guid_map_until_the_library_changes(world: World, emu: PlexEmulator, make: Make,
                                                                    db: Database, clock: Clock) -> None:
    """Issue 17: the watchlists' guid map (one big listing per library) is read again only after a change."""
    server = make(SqlitePlexCache(db))
    clock.tick(2 * 600)
    server.snapshot(tracked_of(world))

    def guid_listings() -> int:
        return sum(1 for r in emu.log if r.endpoint == GUIDS and "includeGuids=1" in r.path)

    clock.tick()
    emu.reset_counts()
    server.snapshot(tracked_of(world))
    assert guid_listings() == 0
    clock.tick()
    add_episode(world, show(world, "Example Show"), 2, 4)
    emu.reset_counts()
    snap = server.snapshot(tracked_of(world))
    assert guid_listings() > 0
    same(snap, make().snapshot(tracked_of(world)))
