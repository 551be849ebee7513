"""The registry's running totals stay equal to a full recount when copies with 50,000 entries already
cached succeed, fail, or are killed and recovered; the budget check reads the totals, not every row."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database
from cacherr.demo.lab import Lab, make_lab
from cacherr.demo.registry_bulk import add_entries
from cacherr.domain.cache import CacheMode
from cacherr.fileops import build_engine
from cacherr.fileops.faults import Faults
from cacherr.settings_types import SizeLimit
from tests.fileops.conftest import FILES, config_for
from tests.fileops.helpers import action
from tests.foundation.test_registry_totals import recount

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"
CHILD = str(Path(__file__).with_name("crash_child.py"))
BULK = 50_000


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return make_lab(tmp_path / "lab", FILES)


def _bulk_db(path: Path) -> None:
    db = open_database(path)
    add_entries(db, BULK)
    db.close()


def test_a_copy_adds_its_bytes_and_a_failed_one_leaves_the_totals_alone(tmp_path: Path, lab: Lab) -> None:
    _bulk_db(tmp_path / "state.db")
    db = open_database(tmp_path / "state.db")
    reg = SqliteCacheRegistry(db)
    before = reg.totals()
    failing = Faults(fail_at={"before:committing": OSError(errno.EIO, "Input/output error")})
    [res] = build_engine(SqliteJournal(db), reg, config_for(lab), faults=failing, in_use=lambda _p: []).execute(
        [action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok
    assert reg.totals() == before == recount(db)
    [res] = build_engine(SqliteJournal(db), reg, config_for(lab), in_use=lambda _p: []).execute([action(lab, MOVIE)],
                                                                                mode=CacheMode.COPY)
    assert res.ok
    assert reg.total_bytes() == before.bytes + FILES[MOVIE]
    assert reg.totals() == recount(db)
    db.close()


def test_the_budget_check_counts_the_50000_entries_already_cached(tmp_path: Path, lab: Lab) -> None:
    _bulk_db(tmp_path / "state.db")
    db = open_database(tmp_path / "state.db")
    reg = SqliteCacheRegistry(db)
    limit = SizeLimit.parse(str(reg.total_bytes() + FILES[MOVIE] - 1))
    engine = build_engine(SqliteJournal(db), reg, config_for(lab, cache_limit=limit), in_use=lambda _p: [])
    [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert not res.ok and "CACHE_LIMIT" in res.message
    assert reg.totals() == recount(db)
    db.close()


@pytest.mark.parametrize("kill_at", ["before:committing", "before:removing_source"])
def test_totals_equal_a_recount_after_a_killed_copy_is_recovered(tmp_path: Path, lab: Lab, kill_at: str) -> None:
    _bulk_db(tmp_path / "state.db")
    args = {"db": str(tmp_path / "state.db"), "array_root": str(lab.array_root), "cache_root": str(lab.cache_root),
            "mode": "move", "actions": [["cache", MOVIE]], "kill_at": kill_at, "nth": 1, "verify": "size"}
    proc = subprocess.run([sys.executable, CHILD, json.dumps(args)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    db = open_database(tmp_path / "state.db")
    reg = SqliteCacheRegistry(db)
    assert reg.totals() == recount(db)
    build_engine(SqliteJournal(db), reg, config_for(lab), in_use=lambda _p: []).recover()
    totals = reg.totals()
    assert totals == recount(db)
    assert totals.entries == BULK + (1 if reg.by_path(str(lab.cache(MOVIE))) else 0)
    db.close()
