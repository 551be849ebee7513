"""The journal's repository (adapters/sqlite_journal.py) behind the engine's ``Journal``: a step and the registry
row it records are ONE transaction, expressed in domain types (issue 12 item 2)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry
from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.fileops.fsutil import FileStamp
from cacherr.fileops.journal import ForgetEntry, Journal, JournalBusy, OpRow, RecordEntry, Status, Step

ARRAY = "/mnt/disk1/media/Movies/Heat (1995)/Heat (1995).mkv"
CACHE = "/mnt/cache/media/Movies/Heat (1995)/Heat (1995).mkv"
STAMP = FileStamp(dev=1, ino=2, size=1000, mtime_ns=3, ctime_ns=4, nlink=1, mode=0o644, uid=99, gid=100, atime_ns=5)


def _begin(journal: Journal, kind: str = "cache") -> OpRow:
    src, dst = (ARRAY, CACHE) if kind == "cache" else (CACHE, ARRAY)
    return journal.begin(kind=kind, mode="move", role="media", array_path=ARRAY, cache_path=CACHE, src=src,
                         dst=dst, stamp=STAMP, action={"title": "Heat"})


def _entry() -> CacheEntry:
    return CacheEntry(CACHE, ARRAY, 1000, CacheMode.MOVE, datetime(2026, 1, 1, tzinfo=UTC), title="Heat")


def test_a_begun_operation_reads_back_as_written(db: Database) -> None:
    journal = Journal(SqliteJournal(db))
    op = _begin(journal)
    assert journal.get(op.id) == op  # the row returned without a read back is the row stored
    assert op.step == Step.PLANNED and op.status == Status.ACTIVE and op.tmp_path.endswith(f".cacherr-{op.id}.partial")
    assert journal.active() == [op] and journal.events(op.id) == [("planned", "")]
    assert journal.temp_names() == [(op.id, op.tmp_path, op.swap_path)]


def test_a_second_operation_on_the_same_file_is_refused_while_the_first_is_unfinished(db: Database) -> None:
    journal = Journal(SqliteJournal(db))
    _begin(journal)
    with pytest.raises(JournalBusy, match="recovery finishes it"):
        _begin(journal)


def test_the_step_and_its_registry_row_are_written_together(db: Database, registry: SqliteCacheRegistry) -> None:
    journal = Journal(SqliteJournal(db))
    op = journal.advance(_begin(journal), Step.REMOVING_SOURCE, registry=RecordEntry(_entry()))
    assert journal.get(op.id).step == "removing_source"
    found = registry.by_path(CACHE)
    assert found is not None and found.title == "Heat" and registry.total_bytes() == 1000


def test_a_registry_row_that_cannot_be_written_leaves_the_step_unwritten(db: Database,
                                                                         registry: SqliteCacheRegistry) -> None:
    """The registry write fails inside the step's transaction: neither the step nor its event is committed, so
    recovery sees the operation where it was and no row claims a file the journal does not."""
    journal = Journal(SqliteJournal(db))
    op = _begin(journal)
    db.execute("CREATE TEMP TRIGGER no_rows BEFORE INSERT ON main.cache_entries BEGIN "
               "SELECT RAISE(ABORT, 'the registry refuses'); END")
    with pytest.raises(sqlite3.IntegrityError, match="the registry refuses"):
        journal.advance(op, Step.REMOVING_SOURCE, registry=RecordEntry(_entry()))
    assert journal.get(op.id) == op
    assert journal.events(op.id) == [("planned", "")]
    assert registry.by_path(CACHE) is None


def test_a_finished_restore_forgets_its_registry_row_in_the_same_write(db: Database,
                                                                       registry: SqliteCacheRegistry) -> None:
    registry.upsert(_entry())
    journal = Journal(SqliteJournal(db))
    done = journal.finish(_begin(journal, "restore"), Status.DONE, registry=ForgetEntry(CACHE))
    assert journal.get(done.id) == done and done.step == "done" and done.status == "done"
    assert registry.by_path(CACHE) is None and journal.active() == []
    assert journal.events(done.id)[-1] == ("done", "done")


def test_a_change_naming_no_journal_column_is_refused_before_anything_is_written(db: Database) -> None:
    journal = Journal(SqliteJournal(db))
    op = _begin(journal)
    with pytest.raises(ValueError, match="not journal columns"):
        journal.advance(op, Step.COPYING, **{"step = 'done', status": "x"})
    assert journal.get(op.id) == op
