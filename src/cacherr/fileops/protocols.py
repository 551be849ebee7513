"""What the engine needs from the outside, as small Protocols (bootstrap injects the real objects).

fileops must not import ``cacherr.adapters`` nor see SQL: the journal's repository, the cache registry and
the progress board arrive by injection and are typed against these, in domain types only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from cacherr.domain.cache import CacheEntry
from cacherr.fileops.oplog import OpChange, OpRow, OpSpec, RegistryChange

TempNames = Callable[[OpSpec, int], tuple[str, str]]  # (spec, op id) -> (temp name, swap name)


class JournalStore(Protocol):
    """Where the journal persists (``adapters.sqlite_journal.SqliteJournal``). Each write is ONE durable
    transaction: committed before the side effect it announces, or not at all."""

    def insert(self, specs: Sequence[OpSpec], *, parent_id: int | None, boot_id: str, now: str,
               names: TempNames) -> list[OpRow]:
        """Record ``specs`` at PLANNED: the first is the head, the others get its id as parent (or
        ``parent_id`` for the head). Raises ``JournalBusy`` when an unfinished operation holds a file."""
        ...

    def update(self, changes: Sequence[OpChange], registry: RegistryChange | None, *, now: str) -> None:
        """Write the ``changes`` (each with its trail event) and the ``registry`` row change together."""
        ...

    def get(self, op_id: int) -> OpRow:
        """Raises ``KeyError`` for an unknown id."""
        ...

    def active(self) -> list[OpRow]: ...

    def recent(self, limit: int) -> list[OpRow]: ...

    def events(self, op_id: int) -> list[tuple[str, str]]: ...

    def temp_names(self) -> list[tuple[int, str, str]]:
        """(op id, tmp_path, swap_path) of every operation ever journaled, by id."""
        ...


class EntryRegistry(Protocol):
    """The part of ``SqliteCacheRegistry`` the engine reads; its journaled writes go through ``JournalStore``."""

    def entries(self) -> list[CacheEntry]: ...

    def total_bytes(self) -> int:
        """Bytes Cacherr holds on the cache, O(1) (the budget check runs before every copy)."""
        ...

    def by_path(self, cache_path: str) -> CacheEntry | None: ...

    def remove(self, cache_path: str) -> None: ...


class ProgressSink(Protocol):
    """``services.progress.ProgressBoard`` (fileops may not import services, so it is typed here)."""

    def start(self, op_id: int, kind: str, path: str, title: str, bytes_total: int) -> None: ...

    def update(self, op_id: int, bytes_done: int, bytes_total: int | None = None) -> None: ...

    def finish(self, op_id: int) -> None: ...


class SizeLimitLike(Protocol):
    """``settings.SizeLimit``: a size or a percentage of a filesystem, or no limit."""

    def resolve(self, total_bytes: int) -> int | None: ...
