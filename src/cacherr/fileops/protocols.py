"""What the engine needs from the outside, as small Protocols (bootstrap injects the real objects).

fileops must not import ``cacherr.adapters``: the state database, the cache registry and the
progress board arrive by injection and are typed against these.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from cacherr.domain.cache import CacheEntry


class JournalDatabase(Protocol):
    """The part of ``adapters.sqlite_store.Database`` the journal uses."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int: ...


class EntryRegistry(Protocol):
    """The part of ``SqliteCacheRegistry`` the engine uses; ``conn`` joins the journal's transaction."""

    def entries(self) -> list[CacheEntry]: ...

    def total_bytes(self) -> int:
        """Bytes Cacherr holds on the cache, O(1) (the budget check runs before every copy)."""
        ...

    def by_path(self, cache_path: str) -> CacheEntry | None: ...

    def upsert(self, entry: CacheEntry, conn: sqlite3.Connection | None = None) -> CacheEntry: ...

    def remove(self, cache_path: str, conn: sqlite3.Connection | None = None) -> None: ...


class ProgressSink(Protocol):
    """``services.progress.ProgressBoard`` (fileops may not import services, so it is typed here)."""

    def start(self, op_id: int, kind: str, path: str, title: str, bytes_total: int) -> None: ...

    def update(self, op_id: int, bytes_done: int, bytes_total: int | None = None) -> None: ...

    def finish(self, op_id: int) -> None: ...


class SizeLimitLike(Protocol):
    """``settings.SizeLimit``: a size or a percentage of a filesystem, or no limit."""

    def resolve(self, total_bytes: int) -> int | None: ...
