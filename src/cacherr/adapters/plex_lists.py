"""Watchlist entries from plex.tv and from the friends' RSS feed as one plain shape, and reading one
show's episodes with a bounded retry (duck-typed; no plexapi import)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.plex_guids import canonical_all
from cacherr.adapters.plex_users import FeedEntry

T = TypeVar("T")
SHOW_ATTEMPTS = 2  # one show's listing is tried at most this often per cycle (on top of HTTP retries)


@dataclass(frozen=True, slots=True)
class WatchEntry:
    guids: tuple[str, ...]
    title: str
    year: int | None = None
    added: datetime | None = None
    source: Any = None  # the plexapi discover item (None for a feed entry): reloaded for a legacy lookup

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


def from_plex(obj: Any) -> WatchEntry:
    """A plexapi discover item (the owner's or a home user's watchlist)."""
    return WatchEntry(cv.guids_of(obj), str(cv.attr(obj, "title", "?")), cv.int_or_none(cv.attr(obj, "year")),
                      cv.timestamp(cv.attr(obj, "addedAt")), obj)


def from_feed(entry: FeedEntry) -> WatchEntry:
    return WatchEntry(canonical_all(entry.guids), entry.title, entry.year)


def with_retry(fn: Callable[[], T], attempts: int = SHOW_ATTEMPTS, pause: float = 0.2) -> T:
    """``fn()``, tried again (after ``pause`` seconds) when it raises, at most ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception:
            if attempt >= attempts:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")
