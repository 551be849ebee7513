"""The engine's side of a same-name upgrade (``Action.stale``, fileops.stale): the old cache copy goes only when
the disk says, at that moment, that the array holds a newer, settled, plain file; anything else is a conflict with
both files kept. Real temp trees; a kill at each step of the drop loses nothing."""

from __future__ import annotations

import os
import time

import pytest

from cacherr.adapters.sqlite_store import SqliteCacheRegistry
from cacherr.demo.lab import Lab, file_hash, write_media
from cacherr.domain.cache import CacheMode
from cacherr.fileops.faults import Faults, SimulatedCrash
from cacherr.fileops.inuse import Holder
from tests.fileops.conftest import EngineFactory
from tests.fileops.helpers import MiB, action, restore, temp_leftovers

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"


def upgraded(lab: Lab, engine_for: EngineFactory, mode: CacheMode = CacheMode.COPY) -> tuple[str, str]:
    """``MOVIE`` cached, then replaced on the array by a newer file (a new inode). (old hash, new hash)."""
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=mode)
    assert res.ok, res.message
    old = file_hash(lab.cache(MOVIE))
    tmp = lab.array(MOVIE).with_name("import.tmp")
    new = write_media(tmp, 2 * MiB, 5)
    os.replace(tmp, lab.array(MOVIE))
    later = os.stat(lab.cache(MOVIE)).st_mtime_ns + 10**9  # newer than the cached copy
    os.utime(lab.array(MOVIE), ns=(later, later))
    return old, new


def test_a_stale_copy_goes_and_the_newer_array_file_stays(lab: Lab, engine_for: EngineFactory,
                                                          registry: SqliteCacheRegistry) -> None:
    _, new = upgraded(lab, engine_for)
    [res] = engine_for(lab, recent_seconds=0.0).execute([restore(lab, MOVIE, stale=True)], mode=CacheMode.COPY)
    assert res.ok, res.message
    assert not lab.cache(MOVIE).exists() and file_hash(lab.array(MOVIE)) == new
    assert registry.by_path(str(lab.cache(MOVIE))) is None and temp_leftovers(lab) == []


def test_without_the_flag_it_is_still_a_conflict(lab: Lab, engine_for: EngineFactory) -> None:
    old, new = upgraded(lab, engine_for)
    [res] = engine_for(lab).execute([restore(lab, MOVIE)], mode=CacheMode.COPY)
    assert not res.ok and "differs" in res.message
    assert file_hash(lab.cache(MOVIE)) == old and file_hash(lab.array(MOVIE)) == new


@pytest.mark.parametrize("why", ["older", "recent", "writing", "hardlink"])
def test_a_doubtful_array_file_keeps_both(lab: Lab, engine_for: EngineFactory, why: str) -> None:
    old, new = upgraded(lab, engine_for)
    cached = os.stat(lab.cache(MOVIE))
    in_use = None
    if why == "older":
        os.utime(lab.array(MOVIE), ns=(cached.st_atime_ns, cached.st_mtime_ns - 10**9))
    elif why == "recent":
        now = time.time_ns()
        os.utime(lab.cache(MOVIE), ns=(now - 10 * 10**9,) * 2)
        os.utime(lab.array(MOVIE), ns=(now, now))  # modified just now: a copy may still be landing
    elif why == "writing":
        def in_use(path: str) -> list[Holder]:
            return [Holder(4242, True)] if path == str(lab.array(MOVIE)) else []
    else:
        os.link(lab.array(MOVIE), lab.array(MOVIE).with_name("seed.mkv"))
    engine = engine_for(lab, recent_seconds=60.0 if why == "recent" else 0.0, **({"in_use": in_use} if in_use else {}))
    [res] = engine.execute([restore(lab, MOVIE, stale=True)], mode=CacheMode.COPY)
    assert not res.ok, res.message
    assert file_hash(lab.cache(MOVIE)) == old and file_hash(lab.array(MOVIE)) == new, "both kept"


@pytest.mark.data_safety
@pytest.mark.parametrize("crash_at", ["before:removing_source", "before:unlink", "after:unlink", "before:done"])
@pytest.mark.parametrize("mode", [CacheMode.COPY, CacheMode.MOVE])
def test_the_drop_killed_at_each_step_loses_nothing(lab: Lab, engine_for: EngineFactory,
                                                    registry: SqliteCacheRegistry, crash_at: str,
                                                    mode: CacheMode) -> None:
    old, new = upgraded(lab, engine_for, mode)
    with pytest.raises(SimulatedCrash):
        engine_for(lab, faults=Faults(crash_at=crash_at), recent_seconds=0.0).execute(
            [restore(lab, MOVIE, stale=True)], mode=mode)
    assert file_hash(lab.array(MOVIE)) == new
    assert not lab.cache(MOVIE).exists() or file_hash(lab.cache(MOVIE)) == old
    engine_for(lab).recover()
    assert file_hash(lab.array(MOVIE)) == new and not lab.cache(MOVIE).exists()
    assert registry.by_path(str(lab.cache(MOVIE))) is None and temp_leftovers(lab) == []


def test_recovery_keeps_the_cache_copy_when_the_array_file_changed_meanwhile(
        lab: Lab, engine_for: EngineFactory, registry: SqliteCacheRegistry) -> None:
    old, _ = upgraded(lab, engine_for)
    with pytest.raises(SimulatedCrash):
        engine_for(lab, faults=Faults(crash_at="before:removing_source"), recent_seconds=0.0).execute(
            [restore(lab, MOVIE, stale=True)], mode=CacheMode.COPY)
    os.unlink(lab.array(MOVIE))  # the newer file vanished before the restart (Sonarr removed it again)
    engine_for(lab).recover()
    assert file_hash(lab.cache(MOVIE)) == old, "the only copy left is kept"
    assert registry.by_path(str(lab.cache(MOVIE))) is not None
