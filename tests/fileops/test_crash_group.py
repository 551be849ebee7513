"""A video and its sidecars as ONE journalled group (fileops/group.py): kill -9 at every failpoint the
group passes (the group's own ``group:*`` points, every rename of the partial set, every unlink), then
recovery; the invariant holds at the kill and after recovery, and the group ends the same way for every
file: all its files where the video is, or all where they were.

Also: the group costs a fixed number of journal transactions whatever the number of sidecars.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.demo.lab import Lab, make_lab
from cacherr.domain.cache import CacheMode
from cacherr.fileops import build_engine
from cacherr.fileops.faults import Faults
from tests.fileops.conftest import config_for
from tests.fileops.helpers import MiB, action, assert_invariant, temp_leftovers, where

CHILD = str(Path(__file__).with_name("crash_child.py"))
MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"
SUBS = ["Movies/Heat (1995)/Heat (1995).en.srt", "Movies/Heat (1995)/Heat (1995).de.forced.srt"]
FILES = {MOVIE: 2 * MiB + 333, SUBS[0]: 1500, SUBS[1]: 700}
FINAL = {CacheMode.COPY: "both", CacheMode.MOVE: "cache", CacheMode.SYMLINK: "symlink"}
SIDE_FINAL = {CacheMode.COPY: "both", CacheMode.MOVE: "cache", CacheMode.SYMLINK: "both"}  # symlink: copied

pytestmark = [pytest.mark.data_safety, pytest.mark.slow]


def _engine(lab: Lab, db_path: Path, faults: Faults | None = None):  # type: ignore[no-untyped-def]
    db = open_database(db_path)
    return db, build_engine(SqliteJournal(db), SqliteCacheRegistry(db), config_for(lab, verify="size", hardlinks="copy"),
                            faults=faults, in_use=lambda _p: [])


def _points(tmp: Path, mode: CacheMode) -> list[tuple[str, int]]:
    lab = make_lab(tmp / "discover", FILES)
    faults = Faults()
    db, engine = _engine(lab, tmp / "discover" / "state.db", faults)
    assert all(r.ok for r in engine.execute([action(lab, MOVIE)], mode=mode))
    db.close()
    counts = Counter(faults.log)
    return [(name, n) for name in dict.fromkeys(faults.log) for n in range(1, counts[name] + 1)
            if not (name == "copy:chunk" and n > 2)]


def _kill(lab: Lab, db_path: Path, mode: CacheMode, kill_at: str, nth: int) -> subprocess.CompletedProcess[str]:
    args = {"db": str(db_path), "array_root": str(lab.array_root), "cache_root": str(lab.cache_root),
            "mode": mode.value, "actions": [["cache", MOVIE]], "kill_at": kill_at, "nth": nth, "verify": "size"}
    return subprocess.run([sys.executable, CHILD, json.dumps(args)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("mode", list(CacheMode), ids=[m.value for m in CacheMode])
def test_kill_at_every_point_of_a_group_then_recover(tmp_path: Path, mode: CacheMode) -> None:
    points = _points(tmp_path, mode)
    names = {n for n, _ in points}
    assert {"group:committing", "group:renamed", "group:recorded"} <= names, names
    assert ("after:commit", 2) in points, "the partial set of renames is in the matrix"
    if mode is CacheMode.MOVE:
        assert {"group:removed", "before:unlink"} <= names
    for i, (name, nth) in enumerate(points):
        lab = make_lab(tmp_path / f"p{i}", FILES)
        db_path = tmp_path / f"p{i}" / "state.db"
        where_ = f"{mode.value} killed at {name}#{nth}"
        proc = _kill(lab, db_path, mode, name, nth)
        assert proc.returncode == -signal.SIGKILL, f"{where_}: not killed ({proc.returncode}) {proc.stderr}"
        assert_invariant(lab)
        db, engine = _engine(lab, db_path)
        engine.recover()
        assert_invariant(lab)
        _check_group_consistent(lab, db, mode, where_)
        assert not [n for n in engine.recover() if "interrupted" in n], f"{where_}: recovery not idempotent"
        results = engine.execute([action(lab, MOVIE)], mode=mode)
        assert all(r.ok for r in results), f"{where_}: re-run failed: {[r.message for r in results]}"
        db.close()
        assert where(lab, MOVIE) == FINAL[mode], where_
        assert [where(lab, s) for s in SUBS] == [SIDE_FINAL[mode]] * 2, where_
        assert_invariant(lab)


def _check_group_consistent(lab: Lab, db: Database, mode: CacheMode, where_: str) -> None:
    video = where(lab, MOVIE)
    assert video in ("array", FINAL[mode]), f"{where_}: video is {video!r}"
    cached = SqliteCacheRegistry(db).by_path(str(lab.cache(MOVIE))) is not None
    assert cached == (video != "array"), f"{where_}: registry says cached={cached}, the video is {video!r}"
    expect = "array" if video == "array" else SIDE_FINAL[mode]
    assert [where(lab, s) for s in SUBS] == [expect] * 2, f"{where_}: the group ended split (video {video!r})"
    assert db.query("SELECT id FROM file_ops WHERE status = 'active'") == [], where_
    assert temp_leftovers(lab) == [], temp_leftovers(lab)


class _Counting:
    """The real database, counting its write transactions (each one is a commit with an fsync)."""

    def __init__(self, db: Database) -> None:
        self.db, self.count = db, 0

    def transaction(self) -> AbstractContextManager[Any]:
        self.count += 1
        return self.db.transaction()

    def query(self, sql: str, params: Any = ()) -> Any:
        return self.db.query(sql, params)

    def execute(self, sql: str, params: Any = ()) -> int:
        self.count += 1
        return self.db.execute(sql, params)


@contextmanager
def _counting_engine(lab: Lab, db: Database) -> Iterator[tuple[_Counting, Any]]:
    counting = _Counting(db)
    engine = build_engine(SqliteJournal(counting), SqliteCacheRegistry(db), config_for(lab, verify="size"),  # type: ignore[arg-type]
                          in_use=lambda _p: [])
    yield counting, engine


@pytest.mark.parametrize(("mode", "expected"), [(CacheMode.COPY, 3), (CacheMode.MOVE, 4)])
def test_a_group_costs_the_same_transactions_whatever_its_sidecars(tmp_path: Path, mode: CacheMode,
                                                                   expected: int) -> None:
    files = {MOVIE: MiB, **{f"Movies/Heat (1995)/Heat (1995).l{i}.srt": 100 + i for i in range(6)}}
    lab = make_lab(tmp_path / "lab", files)
    db = open_database(tmp_path / "state.db")
    with _counting_engine(lab, db) as (counting, engine):
        results = engine.execute([action(lab, MOVIE)], mode=mode)
    assert all(r.ok for r in results), [r.message for r in results]
    assert counting.count == expected, f"{counting.count} journal transactions for a video and 6 subtitles"
    rows = db.query("SELECT role, status, parent_id FROM file_ops ORDER BY id")
    db.close()
    assert [r["status"] for r in rows] == ["done"] * 7
    assert {r["parent_id"] for r in rows[1:]} == {1} and rows[0]["parent_id"] is None
    assert all(where(lab, rel) == FINAL[mode] for rel in files)


@pytest.mark.parametrize(("mode", "expected"), [(CacheMode.COPY, 2), (CacheMode.MOVE, 4)])
def test_a_lone_video_costs_two_transactions_in_copy_mode_four_in_move(tmp_path: Path, mode: CacheMode,
                                                                        expected: int) -> None:
    """Copy mode: PLANNED, then DONE with the registry row in the same transaction (no COMMITTING row, no
    separate registry write); move mode adds COMMITTING and REMOVING_SOURCE."""
    lab = make_lab(tmp_path / "lab", {MOVIE: MiB})
    db = open_database(tmp_path / "state.db")
    with _counting_engine(lab, db) as (counting, engine):
        results = engine.execute([action(lab, MOVIE)], mode=mode)
    assert [r.ok for r in results] == [True], [r.message for r in results]
    assert counting.count == expected, f"{counting.count} journal transactions for a lone video"
    rows = db.query("SELECT cache_path FROM cache_entries")
    db.close()
    assert [r["cache_path"] for r in rows] == [str(lab.cache_root / MOVIE)]
    assert where(lab, MOVIE) == FINAL[mode]
