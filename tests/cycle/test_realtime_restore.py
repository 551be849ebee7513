"""Real-time caching (webhook, session start), scrobbles, restore, pin, pre-existing files, the lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cacherr.domain.errors import CycleBusy, UnsafePath
from cacherr.domain.media import Reason
from cacherr.services.restore import EntryNotFound
from tests.cycle.world import World


def webhook(event: str, key: str, user: str = "alice", kind: str = "episode") -> dict[str, object]:
    return {"event": event, "user": True, "owner": True, "Account": {"id": 1, "title": user},
            "Server": {"title": "Plex", "uuid": "abc"}, "Player": {"title": "TV", "uuid": "p1"},
            "Metadata": {"ratingKey": key, "type": kind, "title": "x"}}


def test_webhook_play_caches_the_next_episodes(world: World) -> None:
    world.set(NUMBER_EPISODES="2")
    show = world.show("Severance", 5)
    result = world.service.handle_plex_webhook(webhook("media.play", show[1].key))
    assert result.action == "cache-next" and result.future is not None
    report = result.future.result(timeout=30)
    assert report is not None and report.trigger == "webhook" and report.status == "ok"
    assert world.cached_keys() == {show[2].key, show[3].key}
    assert world.entry(show[2]).users == frozenset({"alice"})
    again = world.service.handle_plex_webhook(webhook("media.resume", show[1].key))
    assert again.future is not None and again.future.result(timeout=30) is None  # already cached


def test_webhook_ignores_movies_and_junk(world: World) -> None:
    assert world.service.handle_plex_webhook(webhook("media.play", "m1", kind="movie")).action == "ignored"
    assert world.service.handle_plex_webhook({"event": "media.play"}).action == "ignored"
    assert world.service.handle_plex_webhook({"nothing": 1}).action == "ignored"
    assert world.service.handle_plex_webhook(webhook("library.new", "1")).action == "ignored"
    assert world.service.handle_plex_webhook(webhook("media.stop", "1")).action == "noted"


def test_session_start_caches_the_next_episodes_before_it_returns(world: World) -> None:
    show = world.show("Dark", 4)
    world.fake.play("bob", show[0].key)
    report = world.service.cache_next_for_session("bob", show[0].key)
    assert report is not None and report.status == "ok"
    assert sorted(o.title for o in report.cached) == sorted(s.display_title for s in show[1:])
    assert world.cached_keys() == {s.key for s in show[1:]}
    assert all(Path(f.cache_path).read_bytes() == Path(f.array_path).read_bytes() for s in show[1:] for f in s.files)


def test_realtime_never_gives_back(world: World) -> None:
    film = world.movie("m1", "Old", size=6 * 1024)
    world.want(film, "bob", Reason.WATCHLIST)
    world.service.run("cli")
    world.fake.wants.clear()
    world.clock.advance(hours=100)
    world.set(CACHE_LIMIT=str(7 * 1024))
    show = world.show("Lost", 2)
    report = world.service.cache_next_for_session("alice", show[0].key)
    assert report is not None and not report.restored and report.skipped
    assert world.cached_keys() == {film.key}


def test_scrobble_gives_back_at_next_cycle(world: World) -> None:
    film = world.movie("m2", "Up", year=2009)
    world.want(film, "alice", Reason.IN_PROGRESS)
    world.service.run("cli")
    result = world.service.handle_plex_webhook(webhook("media.scrobble", film.key, kind="movie"))
    assert result.action == "marked-watched"
    world.fake.wants.clear()  # Plex drops it from continue-watching, but watched state may lag
    report = world.service.run("schedule")
    assert [o.title for o in report.restored] == ["Up (2009)"]
    assert world.service.recorder.scrobbles() == {}


def test_restore_item_pin_and_restore_all(world: World) -> None:
    films = [world.movie(f"m{i}", f"Film {i}") for i in range(3)]
    for f in films:
        world.want(f, "alice", Reason.WATCHLIST)
    world.service.run("cli")
    first = world.entry(films[0])
    assert first.id is not None
    report = world.service.restore_item(first.id)
    assert report.status == "ok" and report.trigger == "restore" and len(report.restored) == 1
    assert films[0].key not in world.cached_keys()
    second = world.entry(films[1])
    assert second.id is not None
    assert world.service.pin(second.id, True).pinned
    with pytest.raises(EntryNotFound):
        world.service.pin(9999, True)
    with pytest.raises(EntryNotFound):
        world.service.restore_item(9999)
    report = world.service.restore_all()
    assert len(report.restored) == 2 and world.registry.entries() == [] and world.on_cache() == set()
    assert len(world.on_array()) == 3


def test_restore_path_is_checked_inside_roots(world: World) -> None:
    film = world.movie("m1", "Jaws", year=1975)
    world.want(film, "alice", Reason.WATCHLIST)
    world.service.run("cli")
    with pytest.raises(UnsafePath):
        world.service.restore_path("/etc/passwd")
    with pytest.raises(EntryNotFound):
        world.service.restore_path(str(world.cache / "movies" / "nope.mkv"))
    report = world.service.restore_path(film.files[0].cache_path)
    assert len(report.restored) == 1 and world.registry.entries() == []


def test_restore_skips_a_file_in_play(world: World) -> None:
    film = world.movie("m1", "Jaws", year=1975)
    world.want(film, "alice", Reason.IN_PROGRESS)
    world.service.run("cli")
    world.fake.play("alice", film.key)
    report = world.service.restore_all()
    assert not report.restored and "being played by alice" in report.skipped[0]


def test_pre_existing_file_is_adopted_and_goes_back_once_watched(world: World) -> None:
    film = world.movie("m5", "Fresh", year=2026)
    cache_file = world.cache / film.files[0].cache_path.removeprefix(str(world.cache) + "/")
    cache_file.parent.mkdir(parents=True)
    (world.array / film.files[0].array_path.removeprefix(str(world.array) + "/")).rename(cache_file)
    report = world.service.run("cli")
    entry = world.entry(film)
    assert entry.pre_existing and entry.reason is Reason.PRE_EXISTING and entry.mode.value == "move"
    assert any("already on the cache" in p for p in report.problems) and not report.restored
    world.fake.watch(film.key, "bob")
    report = world.service.run("cli")
    assert len(report.restored) == 1 and "was already on the cache; watched by bob" in report.restored[0].reason
    assert not cache_file.exists()
    assert (world.array / "movies/Fresh (2026)/Fresh (2026).mkv").exists()


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b"pid 4242, cli")
print("locked", flush=True)
time.sleep(30)
"""


def test_lock_is_shared_across_processes(world: World) -> None:
    lock_file = world.config / "cycle.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_file)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        assert world.service.busy
        with pytest.raises(CycleBusy, match="another Cacherr process"):
            world.service.run("cli")
        with pytest.raises(CycleBusy):
            world.service.cache_next_for_session("alice", "x")
    finally:
        proc.kill()
        proc.communicate()  # reaps it and closes its pipes
    assert not world.service.busy
    assert world.service.run("cli").status == "ok"


def test_restore_with_a_broken_engine_is_recorded_as_failed(world: World) -> None:
    film = world.movie("m1", "Jaws", year=1975)
    world.want(film, "alice", Reason.WATCHLIST)
    world.service.run("cli")

    union = world.root / "union"
    union.symlink_to(world.cache)  # REAL_SOURCE now shows the cache: the engine refuses to be built
    world.set(REAL_SOURCE=str(union))
    report = world.service.restore_all()
    assert report.status == "failed" and "union view" in report.message
    assert world.service.history(1)[0]["status"] == "failed"
    assert world.on_cache() != set()


def test_registry_trusted_over_disk_realtime_recaches_a_file_wiped_from_the_cache(world: World) -> None:
    """Issue 13.11: the registry says cached, the cache drive says otherwise (replaced, wiped, deleted by
    hand). Real-time caching must look before it trusts, and cache the file again."""
    world.set(NUMBER_EPISODES="1")
    show = world.show("Wiped", 3)
    assert world.service.cache_next_for_session("alice", show[0].key) is not None
    assert world.cached_keys() == {show[1].key}
    for f in show[1].files:
        Path(f.cache_path).unlink()  # the cache copy is gone; the registry row stays
    report = world.service.cache_next_for_session("alice", show[0].key)
    assert report is not None and report.status == "ok", "skipped as already cached"
    assert [o.title for o in report.cached] == [show[1].display_title]
    assert all(Path(f.cache_path).is_file() for f in show[1].files)
