"""``planning.fresh.fresh_fate``: a kept fresh download, table-driven (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.media import Reason
from cacherr.planning.fresh import fresh_fate

ADDED = datetime(2026, 1, 1, tzinfo=UTC)
DAYS, RETENTION = timedelta(days=3), timedelta(hours=12)
ENTRY = CacheEntry("/c/a.mkv", "/a/a.mkv", 10, CacheMode.MOVE, ADDED, "1", "A", reason=Reason.FRESH_DOWNLOAD,
                   pre_existing=True)


@pytest.mark.parametrize(("after", "watchers", "fate", "why"), [
    (timedelta(hours=1), None, "kept", ""),
    (timedelta(days=3) - timedelta(seconds=1), None, "kept", ""),
    (timedelta(days=3), None, "idle", ""),  # its days are up: within the retention, evictable
    (timedelta(days=3, hours=11), None, "idle", ""),
    (timedelta(days=3, hours=12), None, "back", "FRESH_DOWNLOAD_DAYS"),
    (timedelta(hours=1), frozenset({"alice"}), "back", "watched by alice"),  # watched: back within its days
])
def test_fresh_fate(after: timedelta, watchers: frozenset[str] | None, fate: str, why: str) -> None:
    got = fresh_fate(ENTRY, DAYS, RETENTION, ADDED + after, watchers)
    assert got[0] == fate and why in got[1], got


def test_no_retention_gives_back_as_soon_as_the_days_are_up() -> None:
    assert fresh_fate(ENTRY, DAYS, timedelta(0), ADDED + DAYS, None)[0] == "back"
