"""Stopping (SIGTERM from `docker stop`): a running copy is abandoned cleanly, queued work is not started."""

from __future__ import annotations

from pathlib import Path

from cacherr.adapters.sqlite_store import SqliteCacheRegistry
from cacherr.demo.lab import Lab
from cacherr.domain.cache import CacheMode
from cacherr.fileops.journal import Status
from tests.fileops.conftest import EngineFactory
from tests.fileops.helpers import action, assert_invariant, temp_leftovers, where

MiB = 1024 * 1024
FILES = ["Movies/A (2001)/A (2001).mkv", "Movies/B (2002)/B (2002).mkv", "TV/Show/Season 01/Show - S01E01.mkv"]


def test_stop_abandons_the_running_copy_and_skips_the_rest(lab: Lab, engine_for: EngineFactory,
                                                           registry: SqliteCacheRegistry) -> None:
    for i, rel in enumerate(FILES):
        lab.add(rel, 16 * MiB, seed=i + 1)
    engine = engine_for(lab, max_concurrent_cache=1)
    seen: list[int] = []

    def progress(op_id: int, path: str, done: int, total: int) -> None:
        seen.append(done)
        if done >= 4 * MiB:
            engine.stop()  # what `cacherr serve` does on SIGTERM

    results = engine.execute([action(lab, rel) for rel in FILES], mode=CacheMode.MOVE, on_progress=progress)
    assert [r.skipped for r in results] == [True, True, True]
    assert all(r.ok for r in results)
    assert "stopping" in results[0].message and "not started" in results[1].message
    assert "abandoned at 4194304 of 16777216 bytes" in results[0].message
    assert 4 * MiB <= max(seen) < 16 * MiB, "the copy was abandoned part-way, not finished"
    for rel in FILES:  # move mode: the only copies stay on the array, complete
        assert where(lab, rel) == "array"
    assert_invariant(lab)
    assert temp_leftovers(lab) == []
    assert registry.entries() == []
    assert engine.journal.active() == []
    (row,) = [r for r in engine.journal.recent(10) if r.dst_path == str(lab.cache(FILES[0]))]
    assert row.status == Status.ROLLED_BACK.value
    assert engine.recover() == []  # nothing left for the next start to clean up


def test_container_stop_reaches_current_and_rebuilt_engines(tmp_path: Path, clean_env: dict[str, str]) -> None:
    from cacherr.bootstrap import build_container

    array, cache = tmp_path / "array", tmp_path / "cache"
    array.mkdir()
    cache.mkdir()
    env = {"REAL_SOURCE": str(array), "CACHE_DESTINATION": str(cache)}
    container = build_container(tmp_path / "config", env, console_log=False)
    try:
        first = container.file_engine()
        container.stop_file_operations()
        assert first.stopping
        container.store.save({"VERIFY": "hash"})  # a settings change rebuilds the engine
        second = container.file_engine()
        assert second is not first and second.stopping
    finally:
        container.close()
