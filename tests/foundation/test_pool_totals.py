"""Per-pool totals (migration 0006): bytes and entries held under each configured cache root, kept by
triggers in the same transaction as every registry change; checked against a recount in Python at 50,000
entries after random inserts, updates and deletes, and after the set of pools changes."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_pools import recount
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.demo.registry_bulk import add_entries
from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.media import Reason

BULK = 50_000
POOLS = ["/bulk/cache/media", "/fast/tv", "/fast/tv/anime"]  # nested: the longest root wins


def recount_pools(db: Database) -> dict[str, tuple[int, int]]:
    """Entries and bytes per pool computed from every row, in Python (independent of the SQL)."""
    roots = sorted((r["root"] for r in db.query("SELECT root FROM cache_pools")), key=len, reverse=True)
    out: dict[str, tuple[int, int]] = dict.fromkeys(roots, (0, 0))
    for row in db.query("SELECT cache_path, size FROM cache_entries"):
        pool = next((r for r in roots if row["cache_path"].startswith(r + "/")), "")
        n, b = out.get(pool, (0, 0))
        out[pool] = (n + 1, b + row["size"])
    return out


@pytest.fixture(scope="module")
def bulk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pools") / "template.db"
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


def _entry(i: int, root: str, size: int) -> CacheEntry:
    now = datetime.now(UTC)
    return CacheEntry(f"{root}/Show/{i}.mkv", f"/array/Show/{i}.mkv", size, CacheMode.COPY, now, str(i), f"N {i}",
                      "TV", Reason.ON_DECK, frozenset({"alice"}))


def test_pool_totals_equal_a_recount_after_random_changes_at_50000_entries(bulk_db: Database) -> None:
    reg = SqliteCacheRegistry(bulk_db)
    assert reg.pool_totals() == recount_pools(bulk_db) == {"": (BULK, reg.total_bytes())}
    assert reg.set_pools([*POOLS, "/fast/tv/"])  # the recount when the set changes; a trailing slash is the same
    assert not reg.set_pools(POOLS)
    assert reg.pool_totals() == recount_pools(bulk_db)
    assert reg.pool_totals()["/bulk/cache/media"] == (BULK, reg.total_bytes())
    rnd = random.Random(18)
    roots = [*POOLS, "/elsewhere", "/fast/tvx"]  # the last two lie under no pool ("/fast/tvx" is not "/fast/tv")
    for i in range(400):
        reg.upsert(_entry(i, rnd.choice(roots), rnd.randint(1, 10**10)))
    for i in range(0, 400, 3):  # an upsert over an existing row changes its size
        reg.upsert(_entry(i, POOLS[1], 7)) if rnd.random() < 0.5 else None
    victims = [r["cache_path"] for r in bulk_db.query("SELECT cache_path FROM cache_entries ORDER BY random() LIMIT 700")]
    for path in victims:
        reg.remove(path)
    with bulk_db.transaction() as conn:  # a path update (a rename in the registry) moves bytes between pools
        conn.execute("UPDATE cache_entries SET cache_path = replace(cache_path, '/bulk/cache/media/', '/fast/tv/') "
                     "WHERE id % 50 = 0")
    assert reg.pool_totals() == recount_pools(bulk_db) == recount(bulk_db)
    assert sum(b for _, b in reg.pool_totals().values()) == reg.total_bytes()
    assert reg.totals().by_pool == reg.pool_totals()


def test_pool_totals_roll_back_with_the_registry_change(bulk_db: Database) -> None:
    reg = SqliteCacheRegistry(bulk_db)
    reg.set_pools(POOLS)
    before = reg.pool_totals()

    def failing_step() -> None:
        with bulk_db.transaction() as conn:
            reg.upsert(_entry(1, POOLS[2], 10**12), conn)
            raise RuntimeError("the journal step failed")

    with pytest.raises(RuntimeError):
        failing_step()
    assert reg.pool_totals() == before == recount_pools(bulk_db)


def test_changing_the_pools_recounts_and_an_emptied_unknown_pool_goes(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    reg = SqliteCacheRegistry(db)
    reg.upsert(_entry(1, "/a", 10))
    reg.upsert(_entry(2, "/b", 20))
    assert reg.pool_totals() == {"": (2, 30)}
    reg.set_pools(["/a"])
    assert reg.pool_totals() == {"/a": (1, 10), "": (1, 20)}
    reg.remove("/b/Show/2.mkv")
    assert reg.pool_totals() == {"/a": (1, 10)}  # '' is no configured pool: gone when empty
    reg.remove("/a/Show/1.mkv")
    assert reg.pool_totals() == {"/a": (0, 0)}  # a configured pool stays, at zero
    db.close()
