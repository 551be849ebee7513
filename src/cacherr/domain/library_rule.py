"""A Plex library's own rule (``LIBRARY_RULES``); the planner applies it (planning.library_rules)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LibraryRule:
    """One library's rule; None fields follow the global setting."""

    enabled: bool = True
    episodes: int | None = None  # NUMBER_EPISODES for this library
    watchlist: bool = True
    retention_hours: float | None = None  # CACHE_RETENTION_HOURS for this library
    minutes: int | None = None  # EPISODES_AHEAD_MINUTES for this library (0: count episodes instead)
    version: str | None = None  # MEDIA_VERSION for this library (highest, 1080p, smallest, largest, all)
    skip_4k: bool = False  # never cache a 4K version in this library (an item only in 4K is not cached)
