"""The SQLite state store on real database files with the real migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, migrations, open_database
from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.errors import StateStoreError
from cacherr.domain.media import Reason


def test_fresh_database_gets_every_migration_in_wal_mode(tmp_path: Path) -> None:
    db = open_database(tmp_path / "cacherr.db")
    assert db.schema_version == migrations()[-1][0]
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cache_entries", "cycles", "usage_samples"} <= tables
    db.close()
    again = Database(tmp_path / "cacherr.db")
    assert again.migrate() == []  # nothing to do the second time
    again.close()


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    numbers = [n for n, _, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_registry_round_trip_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "cacherr.db"
    db = open_database(path)
    reg = SqliteCacheRegistry(db)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    e = reg.upsert(CacheEntry("/c/Show/é 1.mkv", "/a/Show/é 1.mkv", 123, CacheMode.MOVE, when, item_key="42",
                              title="Show", reason=Reason.NEXT_EPISODE, users=frozenset({"bob", "alice"})))
    assert e.id is not None
    reg.set_pinned(e.id, True)
    reg.mark_wanted(["/c/Show/é 1.mkv"], when, Reason.ON_DECK, ["carol"])
    db.close()
    reg2 = SqliteCacheRegistry(open_database(path))
    (got,) = reg2.entries()
    assert got.pinned and got.reason is Reason.ON_DECK and got.users == {"carol"} and got.last_wanted_at == when
    assert got.mode is CacheMode.MOVE and got.size == 123 and got.cached_at == when
    reg2.remove(got.cache_path)
    assert reg2.entries() == [] and reg2.get(got.id or 0) is None


def test_database_from_a_newer_cacherr_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cacherr.db"
    open_database(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StateStoreError, match="schema version 999.*newer Cacherr"):
        open_database(path)
    assert path.read_bytes() == before


def test_corrupt_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cacherr.db"
    path.write_bytes(b"this is not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(StateStoreError, match="unreadable or corrupt.*move it aside"):
        open_database(path)
    assert path.read_bytes() == before


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(StateStoreError, match="does not exist"):
        open_database(tmp_path / "nope" / "cacherr.db")


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = open_database(tmp_path / "c.db")
    with pytest.raises(RuntimeError), db.transaction() as conn:  # noqa: PT012  the raise is the point
        conn.execute("INSERT INTO cycles (started_at, trigger) VALUES ('x', 'test')")
        raise RuntimeError("boom")
    assert db.query("SELECT COUNT(*) FROM cycles")[0][0] == 0
