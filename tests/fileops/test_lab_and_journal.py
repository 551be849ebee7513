"""The lab sandbox itself, and the journal's own failure: no durable intent, no action."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database
from cacherr.demo.lab import file_hash, make_lab, mount_tmpfs, unmount, write_media
from cacherr.domain.cache import CacheMode
from cacherr.fileops import build_engine
from tests.conftest import require_root
from tests.fileops.conftest import FILES, config_for
from tests.fileops.helpers import MiB, action, temp_leftovers, where

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"


def test_generated_media_is_deterministic_and_distinct(tmp_path: Path) -> None:
    a = write_media(tmp_path / "a", 3 * MiB + 5, seed=1)
    assert a == write_media(tmp_path / "b", 3 * MiB + 5, seed=1) == file_hash(tmp_path / "a")
    assert a != write_media(tmp_path / "c", 3 * MiB + 5, seed=2)
    assert (tmp_path / "a").stat().st_size == 3 * MiB + 5


def test_union_shows_the_cache_copy_first(tmp_path: Path) -> None:
    from tests.conftest import require_tool

    require_root()
    require_tool("mergerfs")
    lab = make_lab(tmp_path / "lab", FILES, cache_size=8 * MiB, union=True)
    try:
        assert lab.union_root is not None and lab.visible(MOVIE).is_file()
        assert file_hash(lab.visible(MOVIE)) == lab.hashes[MOVIE]
        write_media(lab.cache(MOVIE), 1000, seed=42)
        assert file_hash(lab.visible(MOVIE)) == file_hash(lab.cache(MOVIE))  # the pool wins, as on Unraid
    finally:
        lab.close()
    assert not lab.cache_root.parent.is_mount()


def test_a_full_journal_stops_before_touching_anything(tmp_path: Path) -> None:
    require_root()
    lab = make_lab(tmp_path / "lab", FILES)
    state = tmp_path / "state"
    mount_tmpfs(state, 1 * MiB)
    try:
        db = open_database(state / "cacherr.db")
        engine = build_engine(SqliteJournal(db), SqliteCacheRegistry(db), config_for(lab), in_use=lambda _p: [])
        fd = os.open(state / "filler", os.O_WRONLY | os.O_CREAT)  # the appdata share fills up
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        with pytest.raises(sqlite3.OperationalError, match="full"):
            engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
        db.close()
    finally:
        unmount(state)
    assert where(lab, MOVIE) == "array" and temp_leftovers(lab) == []
    assert file_hash(lab.array(MOVIE)) == lab.hashes[MOVIE]


@pytest.mark.parametrize("corrupt", [False, True])
def test_after_a_reboot_the_temp_is_rehashed_before_commit(tmp_path: Path, corrupt: bool) -> None:
    """Power loss between 'verified' and the rename: after the reboot (a new boot id) the temp file may
    have lost unsynced pages, so it is hashed again; a damaged temp is discarded, never committed."""
    from cacherr.fileops.faults import Faults, SimulatedCrash

    lab = make_lab(tmp_path / "lab", FILES)
    db = open_database(tmp_path / "state.db")
    registry = SqliteCacheRegistry(db)
    config = config_for(lab, verify="hash")
    engine = build_engine(SqliteJournal(db), registry, config, faults=Faults(crash_at="before:committing"), in_use=lambda _p: [])
    with pytest.raises(SimulatedCrash):
        engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    [op] = engine.journal.active()
    db.execute("UPDATE file_ops SET boot_id = 'an-earlier-boot' WHERE id = ?", (op.id,))
    if corrupt:
        with open(op.tmp_path, "r+b") as fh:
            fh.write(b"\xff\xff\xff\xff")  # (the first bytes of generated media are zeros)
    build_engine(SqliteJournal(db), registry, config, in_use=lambda _p: []).recover()
    db.close()
    assert where(lab, MOVIE) == ("array" if corrupt else "cache")
    assert temp_leftovers(lab) == []
    assert file_hash(lab.visible(MOVIE)) == lab.hashes[MOVIE]
