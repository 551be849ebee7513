"""The media list's keyset paging and filters (adapters/sqlite_read_models.py) at 50,000 entries."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_read_models import SqliteReadModels
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.demo.registry_bulk import add_entries
from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.media import Reason
from cacherr.domain.views import MediaFilter

BULK = 50_000


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("paging") / "template.db"
    db = open_database(path)
    add_entries(db, BULK)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Iterator[Database]:
    shutil.copy(template, tmp_path / "state.db")
    database = open_database(tmp_path / "state.db")
    yield database
    database.close()


def walk(read: SqliteReadModels, flt: MediaFilter, per_page: int = 200,
         between: object = None) -> list[int]:
    ids: list[int] = []
    after: str | None = None
    while True:
        page = read.media_page(flt, per_page=per_page, after=after)
        ids.extend(e.id for e in page.items)
        if callable(between):
            between()
        if page.next_after is None:
            return ids
        after = page.next_after


def expected_ids(db: Database, where: str = "", params: tuple[object, ...] = ()) -> list[int]:
    return [r["id"] for r in db.query(f"SELECT id FROM cache_entries {where} ORDER BY pinned DESC, reason, title, "
                                      "cache_path", params)]


def test_keyset_pages_return_every_entry_once_in_list_order(db: Database) -> None:
    ids = walk(SqliteReadModels(db), MediaFilter())
    assert len(ids) == BULK
    assert ids == expected_ids(db)


def test_keyset_paging_under_inserts_returns_every_original_entry_exactly_once(db: Database) -> None:
    reg = SqliteCacheRegistry(db)
    original = set(expected_ids(db))
    counter = iter(range(10**6))

    def insert_some() -> None:
        for _ in range(3):
            i = next(counter)
            reg.upsert(CacheEntry(f"/c/x/{i}.mkv", f"/a/x/{i}.mkv", 10, CacheMode.COPY, datetime.now(UTC), None,
                                  f"{'A' if i % 2 else 'Z'} inserted {i}", "Movies", Reason(1 + i % 7),
                                  frozenset({"alice"})))

    ids = walk(SqliteReadModels(db), MediaFilter(), per_page=500, between=insert_some)
    assert len(ids) == len(set(ids))  # nothing twice
    assert original <= set(ids)  # nothing that was there all along is missed


def test_user_filter_pages_match_the_users_entries(db: Database) -> None:
    ids = walk(SqliteReadModels(db), MediaFilter(user="bob"))
    assert ids == expected_ids(db, "WHERE EXISTS (SELECT 1 FROM json_each(users) WHERE value = ?)", ("bob",))
    assert len(ids) == BULK // 5


@pytest.mark.parametrize("flt", [MediaFilter(library="Anime"), MediaFilter(reason="on deck"),
                                 MediaFilter(pinned=True), MediaFilter(user="alice", library="Movies")])
def test_filtered_pages_and_counts_match_a_scan(db: Database, flt: MediaFilter) -> None:
    read = SqliteReadModels(db)
    ids = walk(read, flt)
    clauses, params = [], []
    if flt.library:
        clauses.append("library = ?")
        params.append(flt.library)
    if flt.reason:
        clauses.append("reason = ?")
        params.append(int(Reason.ON_DECK))
    if flt.pinned is not None:
        clauses.append("pinned = 1")
    if flt.user:
        clauses.append("EXISTS (SELECT 1 FROM json_each(users) WHERE value = ?)")
        params.append(flt.user)
    want = expected_ids(db, "WHERE " + " AND ".join(clauses), tuple(params))
    assert ids == want and want
    assert read.media_page(flt).total == len(want)


@pytest.mark.parametrize("q", ["Show 123", "e7.mkv", "E1", "%", "sHoW 0"])
def test_search_matches_a_case_insensitive_substring_scan(db: Database, q: str) -> None:
    read = SqliteReadModels(db)
    ids = walk(read, MediaFilter(q=q))
    want = [r["id"] for r in db.query("SELECT id, title, cache_path FROM cache_entries ORDER BY pinned DESC, reason, "
                                      "title, cache_path")]
    rows = {r["id"]: r for r in db.query("SELECT id, title, cache_path FROM cache_entries")}
    want = [i for i in want if q.lower() in rows[i]["title"].lower() or q.lower() in rows[i]["cache_path"].lower()]
    assert ids == want
    assert read.media_page(MediaFilter(q=q)).total == len(want)


def test_page_numbers_still_work_from_either_end(db: Database) -> None:
    read = SqliteReadModels(db)
    order = expected_ids(db)
    for page in (1, 2, 124, 125, 126, 249, 250, 251):
        got = read.media_page(MediaFilter(), page=page, per_page=200)
        assert [e.id for e in got.items] == order[(page - 1) * 200: page * 200], page
        assert got.total == BULK


def test_facets_come_from_the_totals(db: Database) -> None:
    facets = SqliteReadModels(db).facets()
    assert facets["users"] == ["alice", "bob", "carol", "dave", "erin"]
    assert facets["libraries"] == ["Anime", "Movies", "TV Shows"]


def test_a_foreign_cursor_starts_the_list_over(db: Database) -> None:
    read = SqliteReadModels(db)
    assert read.media_page(MediaFilter(), after="not-a-cursor").items == read.media_page(MediaFilter()).items
