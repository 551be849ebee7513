"""``PlayStarts`` on the state database: the ``play_starts`` table (migration 0007).

A play start is recorded with whether the item's file was on the cache at that moment (a row in the registry
for that item). One play of the same item by the same user counts once within ``SAME_PLAY``: a webhook and
the session watcher seeing the same start, or a pause and resume, are not two plays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cacherr.adapters.sqlite_store import Database
from cacherr.domain.viewing import HitRate, UserHits

SAME_PLAY = timedelta(hours=1)


class SqlitePlayStarts:
    """Play starts (``play_starts``) and the hit rate over them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, user: str, item_key: str, when: datetime, *, title: str = "", source: str = "session") -> bool:
        """Record a play start (cached or not, as the registry says now). False when it is the same play."""
        since, until = (when - SAME_PLAY).isoformat(), (when + SAME_PLAY).isoformat()
        if self.db.query("SELECT 1 FROM play_starts WHERE user = ? AND item_key = ? AND at BETWEEN ? AND ? LIMIT 1",
                         (user, item_key, since, until)):
            return False
        cached = bool(self.db.query("SELECT 1 FROM cache_entries WHERE item_key = ? LIMIT 1", (item_key,)))
        if not title:
            rows = self.db.query("SELECT title FROM cache_entries WHERE item_key = ? LIMIT 1", (item_key,))
            title = str(rows[0]["title"]) if rows else ""
        self.db.execute("INSERT INTO play_starts (at, user, item_key, title, cached, source) VALUES (?,?,?,?,?,?)",
                        (when.isoformat(), user, item_key, title, int(cached), source))
        return True

    def hit_rate(self, now: datetime, days: int = 7) -> HitRate:
        since = (now - timedelta(days=days)).isoformat()
        rows = self.db.query("SELECT user, COUNT(*) AS plays, SUM(cached) AS hits FROM play_starts WHERE at >= ? "
                             "GROUP BY user ORDER BY COUNT(*) DESC, user", (since,))
        users = tuple(UserHits(str(r["user"]), int(r["plays"]), int(r["hits"] or 0)) for r in rows)
        return HitRate(since, days, sum(u.plays for u in users), sum(u.from_cache for u in users), users)
