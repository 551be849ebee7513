"""The state database's read connections: reads outside a transaction do not wait for the writer and see
committed data only; a thread inside its own transaction reads its uncommitted writes; ``:memory:`` keeps one
connection. Real database files, real threads; synchronisation by events, never by sleeps."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_read_models import SqliteReadModels
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database, read_totals

WAIT = 30.0  # generous: the machine is loaded; a pass never waits this long


def _db(path: Path | str) -> Database:
    db = open_database(path)
    db.execute("CREATE TABLE t (v INTEGER)")
    db.execute("INSERT INTO t VALUES (1)")
    return db


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = _db(tmp_path / "cacherr.db")
    yield d
    d.close()


def _hold_transaction(db: Database, opened: threading.Event, release: threading.Event) -> threading.Thread:
    """A writer thread that inserts 2, then keeps its transaction open until ``release``."""
    def run() -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (2)")
            opened.set()
            assert release.wait(WAIT)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert opened.wait(WAIT)
    return t


def test_a_read_while_another_thread_holds_a_write_transaction_does_not_wait_and_sees_committed_rows_only(
        db: Database) -> None:
    opened, release = threading.Event(), threading.Event()
    writer = _hold_transaction(db, opened, release)
    got: list[list[int]] = []
    reader = threading.Thread(target=lambda: got.append([r[0] for r in db.query("SELECT v FROM t ORDER BY v")]),
                              daemon=True)
    reader.start()
    reader.join(WAIT)
    try:
        # with one shared connection and lock the reader would still be waiting for the writer's commit
        assert not reader.is_alive(), "the read waited for the writer's transaction"
        assert got == [[1]]  # the uncommitted 2 is not visible
    finally:
        release.set()
        writer.join(WAIT)
    assert [r[0] for r in db.query("SELECT v FROM t ORDER BY v")] == [1, 2]  # committed: seen at once


def test_a_read_inside_the_threads_own_transaction_sees_its_uncommitted_writes(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (5)")
        assert [r[0] for r in db.query("SELECT v FROM t ORDER BY v")] == [1, 5]
        with db.snapshot() as snap:
            assert snap is conn  # inside a transaction, a snapshot is the writer's view
    assert [r[0] for r in db.query("SELECT v FROM t ORDER BY v")] == [1, 5]


def _insert_then_fail(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (7)")
        raise RuntimeError("boom")


def test_a_rolled_back_write_is_never_seen_by_readers(db: Database) -> None:
    with pytest.raises(RuntimeError):
        _insert_then_fail(db)
    assert [r[0] for r in db.query("SELECT v FROM t")] == [1]


def test_registry_reads_inside_a_journal_style_transaction_see_the_new_row(tmp_path: Path) -> None:
    """What the file engine does: the registry row goes in with the journal step, read back in the same block."""
    from datetime import UTC, datetime

    from cacherr.domain.cache import CacheEntry, CacheMode

    db = open_database(tmp_path / "cacherr.db")
    reg = SqliteCacheRegistry(db)
    entry = CacheEntry("/c/a.mkv", "/a/a.mkv", 10, CacheMode.COPY, datetime(2026, 1, 1, tzinfo=UTC))
    with db.transaction() as conn:
        reg.upsert(entry, conn)
        assert reg.by_path("/c/a.mkv") is not None
        assert reg.total_bytes() == 10
    assert read_totals(db).bytes == 10 and SqliteReadModels(db).totals().entries == 1
    db.close()


def test_read_connections_refuse_writes(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"), db.snapshot() as conn:
        conn.execute("INSERT INTO t VALUES (9)")
    assert [r[0] for r in db.query("SELECT v FROM t")] == [1]
    assert [r[0] for r in db.query("SELECT v FROM t")] == [1]  # the connection went back to the pool usable


def test_a_snapshot_holds_one_commit_while_a_writer_commits(db: Database) -> None:
    done = threading.Event()
    with db.snapshot():
        assert db.query("SELECT COUNT(*) FROM t")[0][0] == 1
        t = threading.Thread(target=lambda: (db.execute("INSERT INTO t VALUES (3)"), done.set()), daemon=True)
        t.start()
        assert done.wait(WAIT)  # the writer is not blocked by the open snapshot
        assert db.query("SELECT COUNT(*) FROM t")[0][0] == 1  # same snapshot inside the block
    assert db.query("SELECT COUNT(*) FROM t")[0][0] == 2


def test_many_threads_reading_at_once_share_a_bounded_pool(db: Database) -> None:
    start = threading.Barrier(12)
    results: list[int] = []
    lock = threading.Lock()

    def read() -> None:
        start.wait(WAIT)
        for _ in range(20):
            n = db.query("SELECT COUNT(*) FROM t")[0][0]
            with lock:
                results.append(n)

    threads = [threading.Thread(target=read, daemon=True) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert results == [1] * 240
    assert db._readers is not None and db._readers.opened <= 4


def test_memory_database_keeps_one_connection_and_reads_its_own_writes() -> None:
    db = _db(":memory:")
    assert db._readers is None
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
        assert db.query("SELECT COUNT(*) FROM t")[0][0] == 2
    with db.snapshot() as snap:
        assert snap.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2
    assert db.query("SELECT COUNT(*) FROM t")[0][0] == 2 and db.ping()
    db.close()
    assert not db.ping()


def test_a_closed_database_fails_reads_and_pings_false(tmp_path: Path) -> None:
    db = _db(tmp_path / "cacherr.db")
    assert db.ping()
    db.close()
    assert not db.ping()
    with pytest.raises(sqlite3.ProgrammingError):
        db.query("SELECT 1")
