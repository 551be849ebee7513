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
