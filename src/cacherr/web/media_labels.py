"""How the media page words an entry's reason: a fresh download says until when it stays (FRESH_DOWNLOAD_DAYS)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cacherr.domain.media import Reason
from cacherr.domain.views import EntryRow


def entry_why(entry: EntryRow, fresh_days: int) -> str:
    """The Why column: the reason's label, or "fresh download, kept until 2026-01-08" for a fresh download."""
    if entry.reason != Reason.FRESH_DOWNLOAD.label or entry.last_wanted_at is not None:
        return entry.reason
    try:
        until = datetime.fromisoformat(entry.cached_at) + timedelta(days=fresh_days)
    except ValueError:
        return entry.reason
    return f"fresh download, kept until {until:%Y-%m-%d %H:%M}"
