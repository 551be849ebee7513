"""The planner's working state: the plan as it grows (``Work``) and a unit of cached media that is given back
together (``Unit``). Pure."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheState, Skip
from cacherr.domain.media import MediaFile, Reason, Snapshot
from cacherr.domain.space import SIDECAR_ALLOWANCE, copy_cost
from cacherr.domain.versions import Choice
from cacherr.planning.policy import Policy, WantedItem

UNLIMITED = 1 << 62


@dataclass(slots=True)
class Unit:
    """Cached entries of one item (or one lone entry) that are given back together."""

    key: str
    entries: list[CacheEntry]
    priority: int  # higher = evicted first
    reason: Reason
    label: str  # what it is, for the why of an eviction
    wanted: WantedItem | None = None

    @property
    def what(self) -> str:
        return self.wanted.why if self.wanted is not None else self.label

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def title(self) -> str:
        return self.entries[0].title or self.entries[0].cache_path


@dataclass(slots=True)
class Work:
    snapshot: Snapshot
    state: CacheState
    policy: Policy
    now: datetime
    restores: list[Action] = field(default_factory=list)
    caches: list[Action] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    used: int = 0
    free: int = 0
    trakt_used: int = 0
    choices: dict[str, Choice] = field(default_factory=dict)  # item key -> the version chosen (several only)
    folders: set[str] = field(default_factory=set)  # cache folders known to exist (or planned)

    def files_of(self, wi: WantedItem) -> Choice:
        return self.choices.get(wi.item.key) or Choice(wi.item.files)

    @property
    def headroom(self) -> int:
        limit = self.policy.limit_bytes
        by_limit = UNLIMITED if limit is None else limit - self.used
        return min(by_limit, self.free - self.policy.min_free_bytes)

    def deficit(self, size: int, disk: int) -> int:
        """Bytes still to free before a copy of ``size`` bytes taking ``disk`` bytes of free space fits
        (<= 0: it fits). CACHE_LIMIT counts sizes; free space counts blocks, folders and sidecars."""
        limit = self.policy.limit_bytes
        by_limit = -UNLIMITED if limit is None else size - (limit - self.used)
        return max(by_limit, disk - (self.free - self.policy.min_free_bytes))

    def disk_cost(self, f: MediaFile) -> int:
        """What caching ``f`` takes from the free space, counted as the engine counts it (domain.space)."""
        folder = posixpath.dirname(f.cache_path)
        new = 0
        while folder not in self.folders and folder not in self.state.roots and folder not in ("/", ""):
            new += 1
            folder = posixpath.dirname(folder)
        return copy_cost(f.size, block=self.state.block_size, new_folders=new,
                         sidecars=[SIDECAR_ALLOWANCE] * len(f.sidecars))

    def give_back(self, entries: Sequence[CacheEntry], reason: Reason, why: str) -> None:
        for e in entries:
            self.restores.append(Action(ActionKind.RESTORE, e.array_path, e.cache_path, e.size, reason, why,
                                        e.item_key, e.title, e.users, library=e.library))
            self.used -= e.size
            self.free += e.size
