"""Fill a state database with many generated cache entries fast (one INSERT ... SELECT over a
recursive CTE): used by the registry tests and the store benchmark at 1k-50k entries."""

from __future__ import annotations

from datetime import UTC, datetime

from cacherr.adapters.sqlite_store import Database

USERS = ("alice", "bob", "carol", "dave", "erin")
LIBRARIES = ("Movies", "TV Shows", "Anime")

_SQL = """
WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
INSERT INTO cache_entries (cache_path, array_path, size, mode, cached_at, item_key, title, library, reason,
                           users, pinned, pre_existing)
SELECT ?3 || '/cache/media/Show ' || (i / 10) || '/E' || i || '.mkv',
       ?3 || '/array/media/Show ' || (i / 10) || '/E' || i || '.mkv',
       1000000 + (i * 7919) % 5000000, 'copy', ?4, CAST(i AS TEXT),
       'Show ' || printf('%05d', (i * 2654435761) % 100000) || ' E' || (i % 10),
       CASE i % 3 WHEN 0 THEN 'Movies' WHEN 1 THEN 'TV Shows' ELSE 'Anime' END,
       1 + i % 7,
       CASE i % 5 WHEN 0 THEN '["alice"]' WHEN 1 THEN '["alice","bob"]' WHEN 2 THEN '["carol"]'
                  WHEN 3 THEN '["dave","erin"]' ELSE '[]' END,
       CASE WHEN i % 97 = 0 THEN 1 ELSE 0 END, 0
FROM n
"""


def add_entries(db: Database, count: int, *, root: str = "/bulk", start: int = 0) -> None:
    """Insert ``count`` entries numbered ``start`` .. ``start + count - 1`` in one transaction."""
    if count <= 0:
        return
    with db.transaction() as conn:
        conn.execute(_SQL, (start, start + count - 1, root, datetime.now(UTC).isoformat()))
