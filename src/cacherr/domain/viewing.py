"""Items kept off the cache on request, and the cache hit rate: plain values (the SQL is in adapters/)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An item kept off the cache (a restore with "keep off the cache"), until it is let back in."""

    id: int
    item_key: str | None  # Plex ratingKey; None for a file Plex does not know (then by array_path)
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
    """Of the plays that started since ``since``, how many were served from the cache, in all and per user."""

    since: str
    days: int
    plays: int
    from_cache: int
    users: tuple[UserHits, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.from_cache / self.plays if self.plays else 0.0
