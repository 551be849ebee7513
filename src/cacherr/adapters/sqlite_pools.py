"""Bytes and entries Cacherr holds per cache pool (migration 0006): the configured cache roots, and the
running totals that triggers keep per root in the same transaction as every registry change.

    set_pools(db, ["/mnt/cache/movies", "/mnt/fast/tv"])   # at start-up and when the mappings change
    pool_totals(db)  ->  {"/mnt/cache/movies": (entries, bytes), ...}   # O(pools), never O(entries)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from cacherr.domain.paths import normalise

_POOL_OF = """COALESCE((SELECT root FROM cache_pools WHERE substr(e.cache_path, 1, length(root) + 1) = root || '/'
                        ORDER BY length(root) DESC LIMIT 1), '')"""


class _Db(Protocol):
    """The part of ``sqlite_store.Database`` used here."""

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...


def set_pools(db: _Db, roots: Iterable[str]) -> bool:
    """Record the cache roots; when the set changed, recount the per-pool totals once (O(entries), in the
    same transaction, so readers never see a half-moved total). Returns whether anything changed."""
    wanted = sorted({normalise(r) for r in roots if r and normalise(r) != "/"})
    with db.transaction() as conn:
        have = [r[0] for r in conn.execute("SELECT root FROM cache_pools ORDER BY root")]
        if have == wanted:
            return False
        conn.execute("DELETE FROM cache_pools")
        conn.executemany("INSERT INTO cache_pools (root) VALUES (?)", [(r,) for r in wanted])
        conn.execute("DELETE FROM cache_pool_totals")
        conn.execute("INSERT INTO cache_pool_totals (pool, entries, bytes) SELECT root, 0, 0 FROM cache_pools")
        conn.execute(f"""INSERT INTO cache_pool_totals (pool, entries, bytes)
                         SELECT {_POOL_OF} AS p, COUNT(*), SUM(e.size) FROM cache_entries AS e WHERE true GROUP BY p
                         ON CONFLICT (pool) DO UPDATE SET entries = excluded.entries,
                             bytes = excluded.bytes""")  # noqa: S608 (a constant)
    return True


def pool_totals(db: _Db) -> dict[str, tuple[int, int]]:
    """pool root -> (entries, bytes); '' collects entries under no configured root."""
    return {r["pool"]: (int(r["entries"]), int(r["bytes"]))
            for r in db.query("SELECT pool, entries, bytes FROM cache_pool_totals")}


def recount(db: _Db) -> dict[str, tuple[int, int]]:
    """The same figures counted from every row (tests and `cacherr doctor`, never a hot path)."""
    rows = db.query(f"SELECT {_POOL_OF} AS p, COUNT(*) AS n, SUM(e.size) AS b FROM cache_entries AS e GROUP BY p")  # noqa: S608
    counted = {r["p"]: (int(r["n"]), int(r["b"] or 0)) for r in rows}
    for r in db.query("SELECT root FROM cache_pools"):
        counted.setdefault(r["root"], (0, 0))
    return counted
