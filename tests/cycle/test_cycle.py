"""The cache cycle end to end on real folders and a real state database (Plex: the in-repo fake)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cacherr.domain.errors import CycleBusy
from cacherr.domain.media import MediaItem, Reason
from cacherr.services.runner import MediaServers
from tests.cycle.world import KB, World


def two_users(world: World) -> tuple[list[MediaItem], list[MediaItem], MediaItem]:
    show_a = world.show("Andor", 4)
    show_b = world.show("Bluey", 3)
    film = world.movie("m1", "Heat", year=1995)
    world.want(show_a[0], "alice", Reason.ON_DECK)
    world.want(show_a[1], "alice", Reason.NEXT_EPISODE, 0)
    world.want(show_b[1], "bob", Reason.ON_DECK)
    world.want(show_b[2], "bob", Reason.NEXT_EPISODE, 0)
    world.want(film, "bob", Reason.WATCHLIST)
    return show_a, show_b, film


def test_two_users_on_deck_and_a_movie(world: World) -> None:
    show_a, show_b, film = two_users(world)
    report = world.service.run("cli")
    assert report.status == "ok", report.message
    assert world.cached_keys() == {show_a[0].key, show_a[1].key, show_b[1].key, show_b[2].key, film.key}
    assert len(report.cached) == 5 and not report.failed
    for item in (show_a[0], film):
        rel = item.files[0].cache_path.removeprefix(str(world.cache) + "/")
        assert (world.cache / rel).read_bytes() == (world.array / rel).read_bytes()
    assert world.entry(film).users == frozenset({"bob"})
    assert world.entry(film).reason is Reason.WATCHLIST
    assert world.entry(film).library == "Movies" and world.entry(show_a[0]).library == "TV Shows"
    row = world.db.query("SELECT * FROM cycles WHERE id = ?", (report.cycle_id,))[0]
    plan = json.loads(row["plan"])
    assert row["status"] == "ok" and row["trigger"] == "cli"
    assert {a["reason"] for a in plan["actions"]} == {"on deck", "next episode", "watchlist"}
    assert plan["usage_after"] == sum(a["size"] for a in plan["actions"])
    assert world.notifier.messages and "5 cached" in world.notifier.messages[-1][0]


def test_second_run_does_nothing_and_marks_wanted(world: World) -> None:
    two_users(world)
    world.service.run("cli")
    world.clock.advance(hours=1)
    report = world.service.run("cli")
    assert report.status == "ok" and not report.cached and not report.restored
    assert all(e.last_wanted_at == world.clock.now() for e in world.registry.entries())


def test_watched_episode_goes_back(world: World) -> None:
    show_a, _, _ = two_users(world)
    world.service.run("cli")
    world.fake.watch(show_a[0].key, "alice")
    report = world.service.run("schedule")
    assert [o.title for o in report.restored] == [show_a[0].display_title]
    assert "watched by alice" in report.restored[0].reason
    assert show_a[0].key not in world.cached_keys()
    rel = show_a[0].files[0].cache_path.removeprefix(str(world.cache) + "/")
    assert rel not in world.on_cache() and rel in world.on_array()


def test_watched_by_one_of_two_interested_users_stays(world: World) -> None:
    film = world.movie("m2", "Alien", year=1979)
    world.want(film, "alice", Reason.WATCHLIST)
    world.want(film, "bob", Reason.WATCHLIST)
    world.service.run("cli")
    assert world.entry(film).users == frozenset({"alice", "bob"})
    world.fake.watch(film.key, "alice")
    assert not world.service.run("cli").restored
    world.fake.watch(film.key, "bob")
    assert [o.title for o in world.service.run("cli").restored] == ["Alien (1979)"]


def test_left_every_list_goes_back_after_retention(world: World) -> None:
    film = world.movie("m3", "Ran", year=1985)
    world.want(film, "bob", Reason.WATCHLIST)
    world.service.run("cli")
    world.fake.wants.clear()
    world.clock.advance(hours=11)
    assert not world.service.run("cli").restored
    world.clock.advance(hours=2)
    report = world.service.run("cli")
    assert len(report.restored) == 1 and "CACHE_RETENTION_HOURS" in report.restored[0].reason


@pytest.mark.parametrize(("values", "mode"), [({}, "copy"), ({"COPY_TO_CACHE": "false"}, "move"),
                                              ({"USE_SYMLINKS": "true"}, "symlink")], ids=["copy", "move", "symlink"])
def test_each_mode_caches_and_gives_back_a_film_whole(world: World, values: dict[str, str], mode: str) -> None:
    """What the array shows while cached (the original, nothing, or a symlink to the cache copy) and after."""
    world.set(**values)
    film = world.movie("m1", "Heat", year=1995)
    content = Path(film.files[0].array_path).read_bytes()
    world.want(film, "alice", Reason.WATCHLIST)
    assert world.service.run("cli").status == "ok"
    array, cache = Path(film.files[0].array_path), Path(film.files[0].cache_path)
    assert world.entry(film).mode.value == mode and cache.read_bytes() == content
    shown = {"copy": "file", "move": "nothing", "symlink": "link"}[mode]
    assert ("link" if array.is_symlink() else "file" if array.exists() else "nothing") == shown
    if mode == "symlink":
        assert os.readlink(array) == str(cache)
    world.fake.watch(film.key, "alice")
    assert len(world.service.run("cli").restored) == 1
    assert not array.is_symlink() and array.read_bytes() == content and not cache.exists()
    assert world.registry.entries() == [] and world.unfinished() == [] and world.partials() == []


def test_cache_too_small_keeps_the_best_and_fails_nothing(world: World) -> None:
    show_a, show_b, _film = two_users(world)  # 4 episodes of 2 KB, a 4 KB movie
    world.set(CACHE_LIMIT=str(7 * KB))
    report = world.service.run("cli")
    assert report.status == "ok"
    assert world.cached_keys() == {show_a[0].key, show_b[1].key, show_a[1].key}
    assert any("Heat" in s and "CACHE_LIMIT" in s for s in report.skipped)
    assert sum(e.size for e in world.registry.entries()) <= 7 * KB
    assert not [p for p in world.on_cache() if ".partial" in p or p.startswith(".")]


def test_higher_priority_evicts_lower(world: World) -> None:
    film = world.movie("m4", "Big", size=6 * KB)
    world.want(film, "bob", Reason.WATCHLIST)
    world.set(CACHE_LIMIT=str(8 * KB))
    world.service.run("cli")
    show = world.show("Dark", 2, size=3 * KB)
    world.want(show[0], "alice", Reason.ON_DECK)
    world.want(show[1], "alice", Reason.NEXT_EPISODE)
    report = world.service.run("cli")
    assert [o.title for o in report.restored] == ["Big (2020)"]
    assert "makes room for" in report.restored[0].reason
    assert world.cached_keys() == {show[0].key, show[1].key}


def test_file_being_played_is_not_moved_from_under_the_player(world: World) -> None:
    world.set(COPY_TO_CACHE="false")
    show = world.show("Fargo", 2)
    world.fake.play("alice", show[0].key)
    world.want(show[1], "alice", Reason.NEXT_EPISODE)
    report = world.service.run("cli")
    assert world.cached_keys() == {show[1].key}
    assert any("being played by alice" in s for s in report.skipped)
    assert {f.removeprefix("tv/Fargo/Season 01/") for f in world.on_array()} == {"Fargo - S01E01.mkv"}


def test_hostile_names(world: World) -> None:
    names = ['Quote " and $HOME', "Back`tick`; rm -rf", "Ünïcødé 日本語", "-leading dash", "tab\tname", "a'b"]
    items = [world.movie(f"h{i}", name, year=2001) for i, name in enumerate(names)]
    for item in items:
        world.want(item, "alice", Reason.WATCHLIST)
    world.set(MOVER_EXCLUDE_FILE=str(world.config / "exclude.txt"))
    report = world.service.run("cli")
    assert report.status == "ok", report.message
    assert world.cached_keys() == {i.key for i in items}
    for item in items:
        assert item.files[0].cache_path.split("/")[-1] in {p.split("/")[-1] for p in world.on_cache()}
    lines = (world.config / "exclude.txt").read_text().splitlines()
    assert len([ln for ln in lines if ln.startswith(str(world.cache))]) == len(items)


def test_plex_unreachable_touches_nothing(world: World) -> None:
    two_users(world)
    world.fake.reachable = False
    report = world.service.run("cli")
    assert report.status == "failed"
    assert "Plex is unreachable" in report.message and "Nothing was changed" in report.message
    assert world.on_cache() == set() and world.registry.entries() == []
    row = world.db.query("SELECT status, error FROM cycles WHERE id = ?", (report.cycle_id,))[0]
    assert row["status"] == "failed" and "unreachable" in row["error"]
    assert world.notifier.messages[-1][2] == "failure"


@pytest.mark.parametrize("how", ["dry_run", "TEST_MODE"])
def test_dry_run_touches_nothing(world: World, how: str) -> None:
    show_a, _, _ = two_users(world)
    world.set(MOVER_EXCLUDE_FILE=str(world.config / "exclude.txt"))
    world.service.run("cli")
    before_cache, before_reg = world.on_cache(), world.registry.entries()
    world.fake.watch(show_a[0].key, "alice")
    extra = world.movie("m9", "Extra")
    world.want(extra, "alice", Reason.WATCHLIST)
    (world.config / "exclude.txt").write_text("user line\n")
    (world.cache / "movies").mkdir(exist_ok=True)
    (world.cache / "movies" / "fresh.mkv").write_bytes(b"x" * 10)
    if how == "TEST_MODE":
        world.set(TEST_MODE="true")
    report = world.service.run("cli", dry_run=how == "dry_run")
    assert report.status == "dry-run" and report.dry_run
    assert [o.title for o in report.cached] == ["Extra (2020)"]
    assert [o.title for o in report.restored] == [show_a[0].display_title]
    assert world.on_cache() == before_cache | {"movies/fresh.mkv"}
    assert world.registry.entries() == before_reg
    assert (world.config / "exclude.txt").read_text() == "user line\n"
    plan = world.service.last_plan()
    assert plan is not None and len(plan.actions) == 2


def test_one_cycle_at_a_time(world: World) -> None:
    with world.service.lock.hold("test"), pytest.raises(CycleBusy, match="already running"):
        world.service.run("cli")
    assert world.service.run("cli").status == "ok"


def test_exit_if_active_session(world: World) -> None:
    show_a, _, _ = two_users(world)
    world.set(EXIT_IF_ACTIVE_SESSION="true")
    world.fake.play("bob", show_a[3].key)
    report = world.service.run("schedule")
    assert report.status == "skipped" and "EXIT_IF_ACTIVE_SESSION" in report.message
    assert world.on_cache() == set()


def test_history_and_interrupted_cycles(world: World) -> None:
    world.db.execute("INSERT INTO cycles (started_at, trigger) VALUES ('2026-01-01T00:00:00+00:00', 'cli')")
    two_users(world)
    world.service.run("cli")
    history = world.service.history(10)
    assert [h["status"] for h in history] == ["ok", "failed"]
    assert "interrupted" in history[1]["error"]
    assert history[0]["summary"]["cached"] == 5


def test_recovery_runs_before_a_real_cycle_only_once_plex_answered(world: World) -> None:
    film = world.movie("m1", "Heat", year=1995)
    op = world.interrupt_a_copy(film)
    world.fake.reachable = False
    world.service.run("cli")
    world.fake.reachable = True
    world.service.run("cli", dry_run=True)
    assert [o.id for o in world.unfinished()] == [op.id] and world.partials(), "recovered too early"
    report = world.service.run("cli")
    assert world.unfinished() == [] and world.partials() == []
    assert any("recovered 1" in p for p in report.problems)
    [note] = report.extra["recovered"]
    assert f"operation {op.id}" in note and "rolled" in note and film.files[0].array_path in note


def test_files_plex_does_not_know_are_left_alone(world: World) -> None:
    stray = world.cache / "movies" / "Unknown (1999)" / "Unknown (1999).mkv"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x" * 100)
    (world.cache / "movies" / ".hidden.mkv").write_bytes(b"y")
    report = world.service.run("cli")
    assert report.status == "ok" and world.registry.entries() == [] and stray.exists()


def test_a_failed_operation_makes_the_cycle_partial(world: World) -> None:
    _, _, film = two_users(world)
    blocked = Path(film.files[0].cache_path).parent
    blocked.parent.mkdir(parents=True)
    blocked.write_bytes(b"a file where the film's cache folder goes")  # a real failure: ENOTDIR
    report = world.service.run("cli")
    assert report.status == "partial" and len(report.failed) == 1 and len(report.cached) == 4
    assert "1 operation(s) failed: Heat (1995): " in report.message
    assert "Not a directory" in report.failed[0].error
    assert film.key not in world.cached_keys() and world.unfinished() == [] and world.partials() == []
    assert Path(film.files[0].array_path).is_file()


def test_trakt_picks_are_cached_within_their_budget(world: World) -> None:
    from cacherr.ports import TraktPick
    from cacherr.testing import StaticTrakt

    films = [world.movie(f"t{i}", f"Trending {i}") for i in range(3)]
    picks = tuple(TraktPick("movie", f.title, 2020, {"plex": f.key}, rank=i) for i, f in enumerate(films))
    world.trakt = StaticTrakt(picks)
    world.set(TRAKT_CLIENT_ID="client-id-123", TRAKT_MAX_BYTES=str(9 * KB))
    report = world.service.run("schedule")
    assert world.cached_keys() == {"t0", "t1"}
    assert all(world.entry(f).reason is Reason.TRAKT for f in films[:2])
    assert any("TRAKT_MAX_BYTES" in s for s in report.skipped)


def test_a_failing_trakt_source_does_not_stop_the_cycle(world: World) -> None:
    class Broken:
        def picks(self) -> tuple[()]:
            raise RuntimeError("trakt is down")

    two_users(world)
    world.trakt = Broken()
    world.set(TRAKT_CLIENT_ID="client-id-123")
    assert world.service.run("cli").status == "ok"


def test_media_server_is_built_once_per_settings_value(world: World) -> None:
    built = []

    def provider() -> object:
        built.append(1)
        return world.server

    servers = MediaServers(lambda: world.settings, provider)  # type: ignore[arg-type]
    servers.current()
    servers.sessions()
    assert servers.current() is world.server and len(built) == 1
    world.set(NUMBER_EPISODES="3")
    servers.sessions()
    assert len(built) == 2


def test_the_cycle_restores_and_real_time_share_one_media_server(world: World) -> None:
    service = world.service
    assert service.restorer.servers is service.servers and service.realtime.servers is service.servers
    assert service.restorer.runner is service.runner and service.realtime.runner is service.runner
