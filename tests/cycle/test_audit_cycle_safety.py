"""Audit: how the cycle, the planner, the registry and the real engine interact when the disks do not
look the way Cacherr left them (pre-existing files, the mover, upgrades, settings flipped between cycles).
Real stack: the Plex emulator over HTTP, the real journaled engine, real temporary array/cache trees."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.demo.lab import file_hash, write_media
from cacherr.domain.cache import CacheMode
from tests.cycle.real_world import KB, RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


def only_on_cache(rw: RealWorld, item: object) -> str:
    """Make ``item`` a file Sonarr imported straight to the cache: no array copy at all."""
    rel = rw.path_of(item)  # type: ignore[arg-type]
    os.makedirs(rw.lab.cache(rel).parent, exist_ok=True)
    os.rename(rw.lab.array(rel), rw.lab.cache(rel))
    return rel


@pytest.mark.parametrize("settings", [{"COPY_TO_CACHE": "true"}, {"COPY_TO_CACHE": "false"},
                                      {"USE_SYMLINKS": "true"}], ids=["copy", "move", "symlink"])
def test_pre_existing_cache_only_file_goes_back_to_the_array_when_watched(rw: RealWorld,
                                                                           settings: dict[str, str]) -> None:
    rw.set(**settings)
    show = rw.show("Fresh", 3)
    e1 = show.episode(1, 1)
    rel = only_on_cache(rw, e1)
    digest = rw.lab.hashes[rel]
    rw.plex.set_progress("alice", e1, 60_000)
    first = rw.service.run("cli")
    assert first.status == "ok", (first.message, first.failed)
    assert rw.entry(e1).pre_existing and rw.entry(e1).mode is CacheMode.MOVE
    assert rw.on_cache(e1) and not rw.on_array(e1)
    rw.plex.mark_watched("alice", e1)
    report = rw.service.run("schedule")
    assert report.status == "ok", (report.message, report.failed)
    assert rw.on_array(e1) and not rw.on_cache(e1)
    assert file_hash(rw.lab.array(rel)) == digest
    assert not os.path.islink(rw.lab.array(rel))
    assert all(e.item_key != str(e1.rating_key) for e in rw.registry.entries())
    assert not rw.partials()


def test_mover_moved_cached_file_back_is_recached_when_still_wanted(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false")
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    assert rw.on_cache(heat) and not rw.on_array(heat)
    rw.lab.array(rel).parent.mkdir(parents=True, exist_ok=True)
    os.rename(rw.lab.cache(rel), rw.lab.array(rel))  # Unraid's mover (threshold passed) moved it back
    report = rw.service.run("schedule")
    assert report.status == "ok", (report.message, report.failed)
    assert rw.on_cache(heat) and rw.intact(heat)
    assert rw.entry(heat).mode is CacheMode.MOVE


def test_mover_moved_cached_file_back_in_copy_mode_is_recached_and_registry_corrected(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    rw.set(MOVER_EXCLUDE_FILE=str(rw.config / "mover_exclude.txt"))
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    os.unlink(rw.lab.cache(rel))  # the mover found the array copy there and dropped the cache copy
    dry = rw.service.run("cli", dry_run=True)
    assert [o.title for o in dry.cached] == ["Heat (1995)"]  # the plan already knows it is not on the cache
    assert rw.registry.entries() and not rw.on_cache(heat)  # and the dry run changed nothing
    report = rw.service.run("schedule")
    assert report.status == "ok", (report.message, report.failed)
    assert any("moved back to the array" in p for p in report.problems)
    assert rw.on_cache(heat) and rw.on_array(heat) and rw.intact(heat)
    assert str(rw.lab.cache(rel)) in (rw.config / "mover_exclude.txt").read_text()


def test_copy_mode_entry_whose_array_copy_vanished_is_copied_back_not_dropped(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    digest = rw.lab.hashes[rel]
    os.unlink(rw.lab.array(rel))  # the cache now holds the only copy
    rw.plex.mark_watched("alice", heat)
    report = rw.service.run("schedule")
    assert report.status == "ok", (report.message, report.failed)
    assert rw.on_array(heat) and not rw.on_cache(heat)
    assert file_hash(rw.lab.array(rel)) == digest
    assert not rw.registry.entries()


def test_entry_missing_on_both_sides_does_not_crash_the_cycle(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false")
    heat, alien = rw.movie("Heat", 1995), rw.movie("Alien", 1979)
    for m in (heat, alien):
        rw.plex.add_to_watchlist("alice", m)
    assert rw.service.run("cli").status == "ok"
    os.unlink(rw.lab.cache(rw.path_of(heat)))  # deleted by hand: nothing left anywhere
    rw.plex.mark_watched("alice", heat)
    rw.plex.mark_watched("alice", alien)
    report = rw.service.run("schedule")
    assert report.status == "partial"
    assert [o.title for o in report.failed] == ["Heat (1995)"] and "missing" in report.failed[0].error
    assert rw.on_array(alien) and rw.intact(alien)


def test_array_upgraded_while_cached_in_copy_mode_is_never_overwritten(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    old = file_hash(rw.lab.cache(rel))
    tmp = rw.lab.array(rel).with_name(".upgrade")
    new = write_media(tmp, 12 * KB, seed=99)
    os.rename(tmp, rw.lab.array(rel))  # Radarr replaced the array file with an upgrade
    rw.plex.mark_watched("alice", heat)
    for _ in range(2):
        report = rw.service.run("schedule")
        assert [o.title for o in report.failed] == ["Heat (1995)"], report
        assert "differs from the cache copy" in report.failed[0].error
        assert file_hash(rw.lab.array(rel)) == new  # the upgrade is never overwritten
        assert file_hash(rw.lab.cache(rel)) == old  # the old version is not dropped silently
    assert not rw.partials()


def test_array_upgraded_same_size_and_mtime_keeps_the_upgrade(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    rw.set(VERIFY="hash")
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    st = os.stat(rw.lab.array(rel))
    tmp = rw.lab.array(rel).with_name(".upgrade")
    new = write_media(tmp, st.st_size, seed=77)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.rename(tmp, rw.lab.array(rel))
    rw.plex.mark_watched("alice", heat)
    report = rw.service.run("schedule")
    assert [o.title for o in report.failed] == ["Heat (1995)"]
    assert file_hash(rw.lab.array(rel)) == new and rw.lab.cache(rel).is_file()


@pytest.mark.parametrize(("before", "after"), [
    ({"COPY_TO_CACHE": "true"}, {"COPY_TO_CACHE": "false"}),
    ({"COPY_TO_CACHE": "false"}, {"COPY_TO_CACHE": "true"}),
    ({"USE_SYMLINKS": "true"}, {"USE_SYMLINKS": "false"}),
    ({"COPY_TO_CACHE": "true"}, {"USE_SYMLINKS": "true"}),
    ({"COPY_TO_CACHE": "false"}, {"USE_SYMLINKS": "true"}),
], ids=["copy-to-move", "move-to-copy", "symlink-to-copy", "copy-to-symlink", "move-to-symlink"])
def test_mode_flipped_between_cycles_restores_by_recorded_mode(rw: RealWorld, before: dict[str, str],
                                                               after: dict[str, str]) -> None:
    rw.set(**before)
    show = rw.show("Flip", 2)
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    digest = rw.lab.hashes[rel]
    rw.set(**{"COPY_TO_CACHE": "true", "USE_SYMLINKS": "false", **after})
    rw.plex.mark_watched("alice", heat)
    rw.plex.set_progress("alice", show.episode(1, 1), 60_000)
    report = rw.service.run("schedule")
    assert report.status == "ok", (report.message, report.failed)
    assert rw.lab.array(rel).is_file() and not rw.lab.array(rel).is_symlink()
    assert file_hash(rw.lab.array(rel)) == digest and not rw.on_cache(heat)
    assert rw.on_cache(show.episode(1, 1)) and rw.intact(show.episode(1, 1))
    assert not rw.partials()


def test_mapping_changed_while_cached_touches_nothing_outside_the_roots(rw: RealWorld, tmp_path: Path) -> None:
    rw.set(COPY_TO_CACHE="false")
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    digest = rw.lab.hashes[rel]
    (tmp_path / "a2").mkdir()
    (tmp_path / "c2").mkdir()
    rw.set(REAL_SOURCE=str(tmp_path / "a2"), CACHE_DESTINATION=str(tmp_path / "c2"))
    rw.plex.mark_watched("alice", heat)
    report = rw.service.run("schedule")
    assert [o.title for o in report.failed] == ["Heat (1995)"]
    assert file_hash(rw.lab.cache(rel)) == digest and not rw.on_array(heat)
    assert len(rw.registry.entries()) == 1


def test_mover_moved_cached_file_back_drops_its_exclude_line_and_dry_run_changes_nothing(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false", MOVER_EXCLUDE_FILE=str(rw.config / "mover_exclude.txt"))
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rel = rw.path_of(heat)
    exclude = rw.config / "mover_exclude.txt"
    exclude.write_text("/mnt/cache/media/keep-me\n" + exclude.read_text())  # a line of the user's own
    rw.lab.array(rel).parent.mkdir(parents=True, exist_ok=True)
    os.rename(rw.lab.cache(rel), rw.lab.array(rel))
    rw.plex.mark_watched("alice", heat)  # no longer wanted either
    before, entries, listed = rw.tree(), rw.registry.entries(), exclude.read_text()
    dry = rw.service.run("cli", dry_run=True)
    assert dry.status == "dry-run" and not dry.restored and not dry.cached
    assert rw.tree() == before and rw.registry.entries() == entries and exclude.read_text() == listed
    report = rw.service.run("schedule")
    assert report.status == "ok" and not report.failed and not report.restored
    assert not rw.registry.entries() and rw.on_array(heat) and rw.intact(heat)
    text = exclude.read_text()
    assert str(rw.lab.cache(rel)) not in text and text.startswith("/mnt/cache/media/keep-me\n")


@pytest.mark.parametrize("copy", ["true", "false"])
def test_hardlinked_cache_file_is_not_split_or_duplicated_on_give_back(rw: RealWorld, copy: str) -> None:
    rw.set(COPY_TO_CACHE=copy)
    heat = rw.movie("Heat", 1995)
    rel = rw.path_of(heat)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    seed = rw.lab.cache_root / "torrents" / "heat.mkv"
    seed.parent.mkdir()
    os.link(rw.lab.cache(rel), seed)  # cross-seeded from the cached file
    had_array = rw.on_array(heat)
    rw.plex.mark_watched("alice", heat)
    for _ in range(2):
        report = rw.service.run("schedule")
        assert report.status == "ok" and not report.failed, (report.message, report.failed)
    assert any("hard-linked on the cache" in s for s in report.skipped) or not rw.registry.entries()
    assert not rw.registry.entries()
    assert os.stat(seed).st_nlink == 2 and rw.on_cache(heat) and rw.intact(heat)
    assert rw.on_array(heat) == had_array  # no duplicate written to the array


def test_hardlinked_pre_existing_file_is_left_to_the_mover(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rel = only_on_cache(rw, heat)
    os.link(rw.lab.cache(rel), rw.lab.cache_root / "heat-seed.mkv")
    rw.plex.mark_watched("alice", heat)
    report = rw.service.run("cli")
    assert report.status == "ok" and not report.failed and not report.restored
    assert not rw.registry.entries() and not rw.on_array(heat)
    assert os.stat(rw.lab.cache(rel)).st_nlink == 2


def test_realtime_for_an_episode_only_on_the_cache_is_a_skip_not_a_failure(rw: RealWorld) -> None:
    rw.set(NUMBER_EPISODES="1")
    show = rw.show("Fresh", 3)
    rel = only_on_cache(rw, show.episode(1, 2))  # Sonarr imported it to the cache; no cycle adopted it yet
    report = rw.service.cache_next_for_session("alice", str(show.episode(1, 1).rating_key))
    assert report is not None and report.status == "ok" and not report.failed, report
    assert any("only there" in s for s in report.skipped)
    assert rw.lab.cache(rel).is_file() and not rw.lab.array(rel).exists()
