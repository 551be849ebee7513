"""What the dashboard and the API read: plain frozen rows, filled by the read-model repository
(``adapters/sqlite_read_models.py``) and shaped for the web by ``web/schemas.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CacheUsage:
    path: str  # the cache root measured
    total_bytes: int
    used_bytes: int
    free_bytes: int
    by_cacherr_bytes: int
    entries: int
    budget_bytes: int | None  # CACHE_LIMIT resolved; None = no limit
    min_free_bytes: int | None


@dataclass(frozen=True, slots=True)
class CycleRow:
    id: int
    started_at: str
    finished_at: str | None
    trigger: str
    dry_run: bool
    status: str
    error: str | None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: int
    title: str
    library: str
    reason: str
    users: list[str]
    size: int
    cached_at: str
    mode: str
    pinned: bool
    pre_existing: bool
    cache_path: str
    last_wanted_at: str | None


@dataclass(frozen=True, slots=True)
class OperationRow:
    id: int
    kind: str
    state: str
    path: str
    size: int
    started_at: str | None
    finished_at: str | None
    error: str | None
    title: str = ""  # the item's title, from the journal's action
    why: str = ""  # why the plan asked for it
    cycle_id: int | None = None  # the cycle (or restore, real-time top-up) it belongs to


@dataclass(frozen=True, slots=True)
class UsageSample:
    ts: str
    cache_used: int
    cache_total: int
    by_cacherr: int
    bytes_moved: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    next_after: str | None = None  # keyset cursor of the next page (media list); None on the last page


@dataclass(frozen=True, slots=True)
class MediaFilter:
    user: str = ""
    reason: str = ""
    library: str = ""
    q: str = ""
    pinned: bool | None = None


MediaPage = Page[EntryRow]
