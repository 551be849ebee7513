"""Property: any sequence of cache / restore operations, each possibly cut short by a crash at any
failpoint (then recovered), keeps every file complete and visible, the registry true to the disk, and
leaves no temp file and no unfinished operation behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database
from cacherr.demo.lab import Lab, make_lab
from cacherr.domain.cache import CacheMode
from cacherr.fileops import build_engine
from cacherr.fileops.faults import Faults, SimulatedCrash
from tests.fileops.conftest import config_for
from tests.fileops.helpers import action, assert_invariant, restore, temp_leftovers, where

FILES = {"A/a.mkv": 200_000, "A/a.en.srt": 900, "B/b.mkv": 150_001, "B/c.mkv": 70_000}
VIDEOS = ["A/a.mkv", "B/b.mkv", "B/c.mkv"]
POINTS = ["before:copying", "copy:chunk", "copy:fsync", "before:committing", "after:commit", "before:swapping",
          "after:symlink", "after:exchange", "before:removing_source", "before:unlink", "after:unlink",
          "before:done", "recover:op"]

# (file, crash during the operation at (point, nth hit), crash recovery too at that point). The
# operation toggles: a file on the array is cached, a cached one restored (a few times an extra cache
# of a cached file, or restore of a file not cached, to cover those paths too).
step = st.tuples(st.sampled_from(VIDEOS),
                 st.one_of(st.none(), st.tuples(st.sampled_from(POINTS), st.integers(1, 2))), st.booleans(),
                 st.sampled_from(["toggle"] * 5 + ["cache", "restore"]))

pytestmark = [pytest.mark.data_safety, pytest.mark.slow]


def _check(lab: Lab, registry: SqliteCacheRegistry, active: list[object]) -> None:
    assert_invariant(lab)
    assert active == []
    assert temp_leftovers(lab) == []
    for rel in VIDEOS:
        state = where(lab, rel)
        recorded = registry.by_path(str(lab.cache(rel))) is not None
        assert state in ("array", "both", "cache", "symlink"), (rel, state)
        assert recorded == (state != "array"), (rel, state, recorded)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(list(CacheMode)), steps=st.lists(step, min_size=1, max_size=6),
       verify=st.sampled_from(["size", "hash"]))
def test_random_sequences_with_crashes(mode: CacheMode,
                                       steps: list[tuple[str, tuple[str, int] | None, bool, str]],
                                       verify: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lab = make_lab(Path(tmp) / "lab", FILES)
        db = open_database(Path(tmp) / "state.db")
        registry = SqliteCacheRegistry(db)
        config = config_for(lab, chunk=64 * 1024, report_every=64 * 1024, verify=verify)
        try:
            for rel, crash, crash_recovery, kind in steps:
                if kind == "toggle":
                    kind = "cache" if where(lab, rel) == "array" else "restore"
                faults = Faults(crash_at=crash[0], nth=crash[1]) if crash else Faults()
                engine = build_engine(SqliteJournal(db), registry, config, faults=faults, in_use=lambda _p: [])
                act = action(lab, rel) if kind == "cache" else restore(lab, rel)
                try:
                    engine.execute([act], mode=mode)
                except SimulatedCrash:
                    event(f"crashed at {crash[0] if crash else '?'}")
                    assert_invariant(lab)  # at the instant of the crash
                    if crash_recovery and crash is not None:
                        again = Faults(crash_at=crash[0] if crash[0] != "copy:chunk" else "recover:op")
                        try:
                            build_engine(SqliteJournal(db), registry, config, faults=again, in_use=lambda _p: []).recover()
                        except SimulatedCrash:
                            assert_invariant(lab)
                    build_engine(SqliteJournal(db), registry, config, in_use=lambda _p: []).recover()
                _check(lab, registry, engine.journal.active())
        finally:
            db.close()
