"""The media page's Why for a fresh download: until when it is kept, and once its days are up, that it goes back
like any cached media (FRESH_DOWNLOAD_DAYS, then CACHE_RETENTION_HOURS)."""

from __future__ import annotations

from datetime import UTC, datetime

from cacherr.domain.media import Reason
from cacherr.domain.views import EntryRow
from cacherr.web.media_labels import entry_why


def row(reason: str, cached_at: str, last_wanted_at: str | None = None) -> EntryRow:
    return EntryRow(1, "Andor S01E08", "TV", reason, [], 10, cached_at, "move", False, True, "/c/a.mkv", last_wanted_at)


def test_a_kept_fresh_download_says_until_when() -> None:
    why = entry_why(row(Reason.FRESH_DOWNLOAD.label, "2026-01-01T00:00:00+00:00"), 7, datetime(2026, 1, 3, tzinfo=UTC))
    assert why == "fresh download, kept until 2026-01-08 00:00"


def test_an_aged_fresh_download_says_it_goes_back() -> None:
    why = entry_why(row(Reason.FRESH_DOWNLOAD.label, "2026-01-01T00:00:00+00:00"), 7, datetime(2026, 1, 9, tzinfo=UTC))
    assert why.startswith("fresh download, days up on 2026-01-08 00:00: goes back after CACHE_RETENTION_HOURS")


def test_a_naive_timestamp_and_other_reasons() -> None:
    assert "days up" in entry_why(row(Reason.FRESH_DOWNLOAD.label, "2026-01-01T00:00:00"), 7,
                                  datetime(2026, 2, 1, tzinfo=UTC))
    assert entry_why(row(Reason.ON_DECK.label, "2026-01-01T00:00:00+00:00"), 7) == Reason.ON_DECK.label
