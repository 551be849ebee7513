"""What is on the cache, and what a cycle plans to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cacherr.domain.media import Reason
from cacherr.domain.space import DEFAULT_BLOCK


class CacheMode(StrEnum):
    COPY = "copy"  # the array keeps its copy; the cache holds a second one
    MOVE = "move"  # the only copy lives on the cache
    SYMLINK = "symlink"  # the array path is a symlink to the cache copy


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One file Cacherr holds on the cache (or found there), from the registry."""

    cache_path: str
    array_path: str
    size: int
    mode: CacheMode
    cached_at: datetime
    item_key: str | None = None
    title: str = ""
    library: str = ""
    reason: Reason = Reason.PRE_EXISTING
    users: frozenset[str] = frozenset()
    pinned: bool = False
    pre_existing: bool = False
    last_wanted_at: datetime | None = None
    id: int | None = None  # registry row id, used by the API


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What ``DiskProbe.file_info`` says about one path (never following a symlink)."""

    size: int
    mtime_ns: int
    regular: bool  # a regular file (not a symlink, folder, ...)
    links: int = 1


@dataclass(frozen=True, slots=True)
class CacheState:
    """The cache as the planner sees it: entries plus the space on the cache filesystem."""

    entries: tuple[CacheEntry, ...]
    total_bytes: int  # size of the cache filesystem
    free_bytes: int  # free space on it now
    block_size: int = DEFAULT_BLOCK  # allocation unit of the cache filesystem (see domain.space)
    roots: tuple[str, ...] = ()  # the cache roots (folders that exist); bounds the folders a copy creates

    @property
    def used_by_cacherr(self) -> int:
        return sum(e.size for e in self.entries)


class ActionKind(StrEnum):
    CACHE = "cache"  # array -> cache (copy, move or symlink per mode)
    RESTORE = "restore"  # cache -> array (or drop the cache copy in copy mode)


@dataclass(frozen=True, slots=True)
class Action:
    """One file operation a plan asks for, with why."""

    kind: ActionKind
    array_path: str
    cache_path: str
    size: int
    reason: Reason
    why: str  # human sentence: "next episode after S01E03 for alice"
    item_key: str | None = None
    title: str = ""
    users: frozenset[str] = frozenset()
    sidecars: tuple[str, ...] = ()
    library: str = ""  # Plex library (section) title, recorded in the registry for the dashboard's filter
    # a restore of an outdated cache copy (a same-name upgrade): the array's newer file stays, the cache copy goes
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Skip:
    """Something the plan chose not to do, with why (budget, in play, hardlinked, ...)."""

    path: str
    title: str
    why: str
    size: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """The outcome of ``build_plan``: ordered actions (restores first), skips and the budget."""

    created_at: datetime
    actions: tuple[Action, ...]
    skips: tuple[Skip, ...] = ()
    budget_bytes: int = 0
    usage_before: int = 0
    usage_after: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def to_cache(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind is ActionKind.CACHE)

    @property
    def to_restore(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind is ActionKind.RESTORE)
