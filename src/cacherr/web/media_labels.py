"""How the media page words an entry's reason: a fresh download says until when it stays (FRESH_DOWNLOAD_DAYS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cacherr.domain.media import Reason
from cacherr.domain.views import EntryRow


def entry_why(entry: EntryRow, fresh_days: int, now: datetime | None = None) -> str:
    """The Why column: the reason's label, or "fresh download, kept until 2026-01-08" for a fresh download (once its
    days are up: that it now goes back like any cached media)."""
    if entry.reason != Reason.FRESH_DOWNLOAD.label or entry.last_wanted_at is not None:
        return entry.reason
    try:
        until = datetime.fromisoformat(entry.cached_at) + timedelta(days=fresh_days)
    except ValueError:
        return entry.reason
    current = now or datetime.now(UTC)
    if until.tzinfo is None:
        current = current.replace(tzinfo=None)
    if current >= until:
        return (f"fresh download, days up on {until:%Y-%m-%d %H:%M}: goes back after CACHE_RETENTION_HOURS "
                "(evicted first if space is needed)")
    return f"fresh download, kept until {until:%Y-%m-%d %H:%M}"
