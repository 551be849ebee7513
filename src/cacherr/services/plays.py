"""Play starts and the cache hit rate: of the plays that started lately, how many were served from the cache.

A play start is recorded where Cacherr sees one (the session watcher, the Plex webhook), with whether the
item's file was on the cache at that moment (a row in the registry for that item). One play of the same
item by the same user counts once within ``SAME_PLAY``: a webhook and the session watcher seeing the same
start, or a pause and resume, are not two plays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cacherr.services.cycle_record import SqlDatabase

SAME_PLAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class UserHits:
    user: str
    plays: int
    from_cache: int

    @property
    def percent(self) -> float:
        return 100.0 * self.from_cache / self.plays if self.plays else 0.0


@dataclass(frozen=True, slots=True)
class HitRate:
    since: str
    days: int
    plays: int
    from_cache: int
    users: tuple[UserHits, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.from_cache / self.plays if self.plays else 0.0


class PlayLog:
    """The ``play_starts`` table."""

    def __init__(self, db: SqlDatabase) -> None:
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
