"""Read models for the dashboard and the API: cache usage, cached media pages, history, usage series.

A use case over two ports: ``ReadModels`` (the SQL lives in ``adapters/sqlite_read_models.py``) and
the ``DiskProbe`` the planner uses too, so the dashboard's free space is the planner's: every cache
pool summed, each filesystem once, with the space an unprivileged writer gets (``f_bavail``).
Writers live elsewhere (the cycle service records cycles and usage samples, the file engine its journal).
"""

from __future__ import annotations

from cacherr.domain.paths import PathMapper
from cacherr.domain.views import (
    CacheUsage,
    CycleRow,
    EntryRow,
    MediaFilter,
    MediaPage,
    OperationRow,
    Page,
    UsageSample,
)
from cacherr.ports import DiskProbe, ReadModels
from cacherr.services.cache_scan import cache_roots
from cacherr.settings import Settings

__all__ = ["CacheUsage", "CycleRow", "EntryRow", "MediaFilter", "OperationRow", "Page", "Queries", "UsageSample"]


class Queries:
    """Every read the dashboard makes."""

    def __init__(self, read: ReadModels, disk: DiskProbe) -> None:
        self.read = read
        self.disk = disk

    # --- cache ---------------------------------------------------------------------------------
    def cache_usage(self, settings: Settings) -> CacheUsage:
        """The cache pools' size and free space, and what Cacherr holds: O(1) in the registry's size."""
        roots = cache_roots(PathMapper(settings.path_mappings()))
        total, free = self.disk.usage(roots)
        totals = self.read.totals()
        budget = settings.CACHE_LIMIT.resolve(total)
        min_free = settings.MIN_FREE_SPACE.resolve(total)
        return CacheUsage(", ".join(roots), total, total - free, free, totals.bytes, totals.entries, budget,
                          min_free)

    def entry(self, entry_id: int) -> EntryRow | None:
        return self.read.entry(entry_id)

    def media_page(self, flt: MediaFilter, page: int = 1, per_page: int = 50,
                   after: str | None = None) -> MediaPage:
        """One page of the media list: by ``after`` (the previous page's ``next_after``, constant time at
        any depth) or by page number."""
        return self.read.media_page(flt, page, per_page, after)

    def facets(self) -> dict[str, list[str]]:
        """Values for the filter drop-downs."""
        return self.read.facets()

    # --- history -------------------------------------------------------------------------------
    def cycles_page(self, page: int = 1, per_page: int = 20) -> Page[CycleRow]:
        return self.read.cycles_page(page, per_page)

    def last_cycle(self, *, finished: bool = True) -> CycleRow | None:
        return self.read.last_cycle(finished=finished)

    def operations_page(self, page: int = 1, per_page: int = 50) -> Page[OperationRow]:
        return self.read.operations_page(page, per_page)

    def cycles_before(self, before: int | None, limit: int = 50) -> tuple[list[CycleRow], bool]:
        """Keyset paging of the history: cycles older than id ``before``, newest first; and whether more follow."""
        return self.read.cycles_before(before, limit)

    def cycle(self, cycle_id: int) -> CycleRow | None:
        return self.read.cycle(cycle_id)

    def operations_before(self, before: int | None, limit: int = 50,
                          cycle_id: int | None = None) -> tuple[list[OperationRow], bool]:
        return self.read.operations_before(before, limit, cycle_id)

    # --- usage over time -----------------------------------------------------------------------
    def usage_series(self, limit: int = 200) -> list[UsageSample]:
        return self.read.usage_series(limit)
