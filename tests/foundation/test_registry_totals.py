"""Running totals of the cache registry (migration 0004) against a full recount, at 50,000 entries."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.demo.registry_bulk import add_entries
from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.media import Reason
from cacherr.ports import RegistryTotals
from tests.foundation.test_pool_totals import recount_pools

BULK = 50_000


@pytest.fixture(scope="module")
def bulk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "template.db"
    db = open_database(path)
    add_entries(db, BULK)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def bulk_db(bulk_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "state.db"
    shutil.copy(bulk_template, path)
    db = open_database(path)
    yield db
    db.close()


def recount(db: Database) -> RegistryTotals:
    """The totals computed the slow way, from every row."""
    libs: Counter[str] = Counter()
    lib_bytes: Counter[str] = Counter()
    users: Counter[str] = Counter()
    user_bytes: Counter[str] = Counter()
    rows = db.query("SELECT size, library, users FROM cache_entries")
    for r in rows:
        libs[r["library"]] += 1
        lib_bytes[r["library"]] += r["size"]
        for u in set(json.loads(r["users"])):
            users[u] += 1
            user_bytes[u] += r["size"]
    return RegistryTotals(len(rows), sum(r["size"] for r in rows),
                          {k: (libs[k], lib_bytes[k]) for k in libs}, {k: (users[k], user_bytes[k]) for k in users},
                          recount_pools(db))


def entry(i: int, *, users: tuple[str, ...] = ("alice",), library: str = "Movies", size: int = 1000) -> CacheEntry:
    now = datetime.now(UTC)
    return CacheEntry(f"/c/new/{i}.mkv", f"/a/new/{i}.mkv", size, CacheMode.COPY, now, str(i), f"New {i}", library,
                      Reason.ON_DECK, frozenset(users))


def test_totals_equal_a_full_recount_after_50000_bulk_inserts(bulk_db: Database) -> None:
    reg = SqliteCacheRegistry(bulk_db)
    assert reg.totals() == recount(bulk_db)
    assert reg.totals().entries == BULK
    assert reg.total_bytes() == recount(bulk_db).bytes


def test_totals_follow_every_kind_of_registry_change(bulk_db: Database) -> None:
    reg = SqliteCacheRegistry(bulk_db)
    rnd = random.Random(7)
    now = datetime.now(UTC)
    for i in range(200):
        reg.upsert(entry(i, users=tuple(rnd.sample(["alice", "bob", "zoe"], rnd.randint(0, 2))),
                         library=rnd.choice(["Movies", "Docs"]), size=rnd.randint(1, 10**9)))
    for i in range(0, 200, 3):  # upsert over an existing row: size, library and users change
        reg.upsert(entry(i, users=("zoe", "zoe"), library="Docs", size=5))
    paths = [r["cache_path"] for r in bulk_db.query("SELECT cache_path FROM cache_entries ORDER BY id LIMIT 500")]
    for p in paths[:250]:
        reg.remove(p)
    reg.mark_wanted(paths[250:400], now, Reason.WATCHLIST, ["bob"])
    reg.mark_wanted(paths[400:], now)
    reg.set_pinned(int(bulk_db.query("SELECT id FROM cache_entries LIMIT 1")[0]["id"]), True)
    assert reg.totals() == recount(bulk_db)


def test_totals_roll_back_with_the_transaction_that_changed_the_registry(bulk_db: Database) -> None:
    reg = SqliteCacheRegistry(bulk_db)
    before = reg.totals()
    victim = bulk_db.query("SELECT cache_path FROM cache_entries LIMIT 1")[0]["cache_path"]
    with pytest.raises(RuntimeError), bulk_db.transaction() as conn:  # noqa: PT012  the raise is the point
        reg.upsert(entry(1, size=10**12), conn)
        reg.remove(victim, conn)
        raise RuntimeError("the journal step failed")
    assert reg.totals() == before == recount(bulk_db)


def test_a_user_or_library_with_nothing_left_leaves_the_filter_lists(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    reg = SqliteCacheRegistry(db)
    reg.upsert(entry(1, users=("solo",), library="Rare"))
    assert "solo" in reg.totals().by_user and "Rare" in reg.totals().by_library
    reg.remove("/c/new/1.mkv")
    assert reg.totals() == RegistryTotals(0, 0, {}, {})
    db.close()


def test_migration_0004_backfills_totals_of_an_existing_registry(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    reg = SqliteCacheRegistry(db)
    for i in range(30):
        reg.upsert(entry(i, users=("a", "b")[: i % 3], library=f"L{i % 4}", size=i * 11))
    expected = recount(db)
    with db.transaction() as conn:  # back to schema 3, as an older Cacherr left it
        for name in ("cache_entries_totals_insert", "cache_entries_totals_delete", "cache_entries_totals_update",
                     "cache_entries_pool_insert", "cache_entries_pool_delete", "cache_entries_pool_update"):
            conn.execute(f"DROP TRIGGER {name}")
        for name in ("cache_totals", "cache_entry_users", "cache_search", "cache_pools", "cache_pool_totals"):
            conn.execute(f"DROP TABLE {name}")
        for name in ("cache_entries_list", "cache_entries_list_library", "cache_entries_list_reason"):
            conn.execute(f"DROP INDEX {name}")
        conn.execute("PRAGMA user_version = 3")
    db.close()
    db = open_database(tmp_path / "s.db")
    assert SqliteCacheRegistry(db).totals() == expected
    db.close()
