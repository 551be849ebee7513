"""Items kept off the cache on request: a restore with "keep off the cache" records the item here, and
every plan (cycles and real time) skips it until it is let back in.

An item is known by its Plex ratingKey; a file Plex does not know (found on the cache) by its array path.
Typed against ``SqlDatabase`` like the cycle recorder, so services need no adapter import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cacherr.domain.cache import CacheEntry
from cacherr.planning import Policy
from cacherr.services.cycle_record import SqlDatabase


@dataclass(frozen=True, slots=True)
class Exclusion:
    id: int
    item_key: str | None
    array_path: str
    title: str
    excluded_at: str


@dataclass(frozen=True, slots=True)
class ExcludedSet:
    """What the planner keeps off the cache: item keys and array paths."""

    keys: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.keys or self.paths)


class ExclusionStore:
    """The ``cache_exclusions`` table."""

    def __init__(self, db: SqlDatabase) -> None:
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


def with_exclusions(policy: Policy, excluded: ExcludedSet) -> Policy:
    """``policy`` that keeps the excluded items off the cache."""
    if not excluded:
        return policy
    return replace(policy, excluded_keys=excluded.keys, excluded_paths=excluded.paths)
