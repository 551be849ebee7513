"""Issue 13.10: the plan and the engine agree on free space. On a real 20 MiB tmpfs cache, with file sizes
that are not whole blocks, subtitle sidecars, new folders, parallel copies and MIN_FREE_SPACE, many cycles
with changing wants never contain a copy that the engine then refuses for space."""

from __future__ import annotations

import random
from pathlib import Path

from cacherr.domain.space import check_room, copy_cost, new_folder_count, on_disk
from tests.conftest import require_root
from tests.cycle.real_world import RealWorld

KB, MB = 1024, 1024 * 1024
REFUSED = ("free space", "CACHE_LIMIT", "No space", "disk full")


def test_plan_and_engine_disagree_on_free_space_regression(tmp_path: Path, clean_env: dict[str, str]) -> None:
    require_root()
    rw = RealWorld(tmp_path, cache_size=20 * MB, values={
        "MIN_FREE_SPACE": "2MB", "MAX_CONCURRENT_MOVES_CACHE": "3", "CACHE_RETENTION_HOURS": "0",
        "NUMBER_EPISODES": "3"})
    rng = random.Random(13)
    try:
        films = []
        for i in range(24):
            size = rng.randrange(MB // 2, 3 * MB) + rng.randrange(1, 4095)
            m = rw.plex.add_movie(rw.movies, f"Film {i:02d}", 2000 + i, size=size, subtitles=("en", "fr"))
            rw.write_files([m.parts[0].file], size)
            for sub in m.parts[0].subtitles:
                rw.lab.add(rw.rel(sub.path), rng.randrange(20 * KB, 90 * KB) + 7)
            films.append(m)
        shows = [rw.show(f"Show {n}", episodes=8, size=MB + 333 * n + 1) for n in range(2)]
        users = ["alice", "bob", "owner"]
        space_skips = 0
        for cycle in range(14):
            for user in users:
                for f in rng.sample(films, 4):
                    rw.plex.add_to_watchlist(user, f)
                for f in rng.sample(films, 3):
                    rw.plex.mark_watched(user, f)
            show = shows[cycle % 2]
            rw.plex.set_progress("alice", show.episode(1, 1 + cycle % 6), 60_000)
            rw.clock.advance(hours=2)
            report = rw.service.run("schedule")
            refused = [f"{o.title}: {o.error}" for o in report.failed if any(r in o.error for r in REFUSED)]
            refused += [s for s in report.skipped if "refused" in s or "No space" in s]
            assert not refused, f"cycle {cycle}: the engine refused planned copies: {refused}"
            assert report.status in ("ok", "partial"), (report.message, report.failed)
            space_skips += sum(("free space" in s or "MIN_FREE_SPACE" in s) for s in report.skipped)
            assert not rw.partials()
        assert space_skips, "the cache never filled up: the test did not reach the edge it is about"
    finally:
        rw.close()


def test_space_rules_table() -> None:
    assert [on_disk(n) for n in (0, 1, 4096, 4097)] == [0, 4096, 4096, 8192]
    assert on_disk(1000, 512) == 1024
    assert copy_cost(5000, new_folders=2, sidecars=[10, 4096]) == 8192 + 2 * 4096 + 4096 + 4096
    assert check_room(free=10_000, reserved=0, need=8000, keep_free=2000).fits
    v = check_room(free=7954432, reserved=0, need=7340032, keep_free=2097152)
    assert not v.fits and v.why == "7954432 bytes free, 7340032 needed, keeping 2097152 free (MIN_FREE_SPACE)"
    v = check_room(free=10**9, reserved=0, need=10, limit=100, held=95, size=10)
    assert not v.fits and v.why.startswith("CACHE_LIMIT")
    assert check_room(free=100, reserved=50, need=50).fits and not check_room(free=100, reserved=51, need=50).fits
    known = {"/c/tv/Show/Season 01"}
    assert new_folder_count("/c/tv/Show/Season 01/e.mkv", "/c", known) == 0
    assert new_folder_count("/c/tv/Show/Season 02/e.mkv", "/c", known) == 3  # tv and Show are not known
    assert new_folder_count("/c/e.mkv", "/c", ()) == 0
