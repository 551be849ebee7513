"""``KeptOff`` on the state database: the ``cache_exclusions`` table (migration 0007).

An item is known by its Plex ratingKey; a file Plex does not know (found on the cache) by its array path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cacherr.adapters.sqlite_store import Database
from cacherr.domain.cache import CacheEntry
from cacherr.domain.viewing import ExcludedSet, Exclusion


class SqliteKeptOff:
    """Items kept off the cache (``cache_exclusions``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, entries: Sequence[CacheEntry], when: datetime) -> list[Exclusion]:
        """Keep the items of ``entries`` off the cache (one row per item; again is a no-op)."""
        seen: set[str] = set()
        with self.db.transaction() as conn:
            for e in entries:
                key = e.item_key or f"path:{e.array_path}"
                if key in seen:
                    continue
                seen.add(key)
                if e.item_key:
                    conn.execute("INSERT OR IGNORE INTO cache_exclusions (item_key, array_path, title, excluded_at) "
                                 "VALUES (?,?,?,?)", (e.item_key, e.array_path, e.title, when.isoformat()))
                elif not conn.execute("SELECT 1 FROM cache_exclusions WHERE item_key IS NULL AND array_path = ?",
                                      (e.array_path,)).fetchone():
                    conn.execute("INSERT INTO cache_exclusions (item_key, array_path, title, excluded_at) "
                                 "VALUES (NULL,?,?,?)", (e.array_path, e.title, when.isoformat()))
        return self.all()

    def all(self) -> list[Exclusion]:
        rows = self.db.query("SELECT * FROM cache_exclusions ORDER BY excluded_at DESC, id DESC")
        return [Exclusion(int(r["id"]), r["item_key"], r["array_path"], r["title"], r["excluded_at"]) for r in rows]

    def remove(self, exclusion_id: int) -> Exclusion | None:
        """Let an item back in; the removed row, or None when there was none."""
        found = [x for x in self.all() if x.id == exclusion_id]
        if not found:
            return None
        self.db.execute("DELETE FROM cache_exclusions WHERE id = ?", (exclusion_id,))
        return found[0]

    def excluded(self) -> ExcludedSet:
        rows = self.db.query("SELECT item_key, array_path FROM cache_exclusions")
        return ExcludedSet(frozenset(r["item_key"] for r in rows if r["item_key"]),
                           frozenset(r["array_path"] for r in rows if not r["item_key"]))
