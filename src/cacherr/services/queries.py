"""Read models for the dashboard and the API: cache usage, cached media pages, history, usage series.

Read-only SQL over the state database (through the small ``SqlReader`` protocol, so this module needs
no adapter), plus the size of the cache filesystem. Writers live elsewhere (the cycle service records
cycles and usage samples, the file engine its journal).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from cacherr.domain.media import Reason
from cacherr.settings import Settings

MAX_PER_PAGE = 200
T = TypeVar("T")


class SqlReader(Protocol):
    """What queries need from the database (``adapters.sqlite_store.Database`` fits)."""

    def query(self, sql: str, params: Iterable[Any] = ()) -> Sequence[Any]: ...


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


@dataclass(frozen=True, slots=True)
class MediaFilter:
    user: str = ""
    reason: str = ""
    library: str = ""
    q: str = ""
    pinned: bool | None = None


def reason_value(name: str) -> int | None:
    """``on deck`` / ``on_deck`` / ``ON_DECK`` -> Reason value; None when unknown."""
    key = name.strip().upper().replace(" ", "_").replace("-", "_")
    return Reason[key].value if key in Reason.__members__ else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filesystem(path: str) -> tuple[str, int, int, int]:
    """(measured path, total, used, free) of the filesystem holding ``path`` or its nearest parent."""
    probe = Path(path or "/")
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        st = os.statvfs(probe)
    except OSError:
        return path, 0, 0, 0
    total = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    return str(probe), total, total - st.f_bfree * st.f_frsize, free


class Queries:
    """Every read the dashboard makes."""

    def __init__(self, db: SqlReader) -> None:
        self.db = db

    # --- cache ---------------------------------------------------------------------------------
    def cache_usage(self, settings: Settings) -> CacheUsage:
        root = settings.path_mappings()[0].cache_path
        measured, total, used, free = _filesystem(root)
        row = self.db.query("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS s FROM cache_entries")[0]
        budget = settings.CACHE_LIMIT.resolve(total)
        min_free = settings.MIN_FREE_SPACE.resolve(total)
        return CacheUsage(measured, total, used, free, int(row["s"]), int(row["n"]), budget, min_free)

    def entry(self, entry_id: int) -> EntryRow | None:
        rows = self.db.query("SELECT * FROM cache_entries WHERE id = ?", (entry_id,))
        return _entry(rows[0]) if rows else None

    def media_page(self, flt: MediaFilter, page: int = 1, per_page: int = 50) -> Page[EntryRow]:
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        where, params = _media_where(flt)
        total = int(self.db.query(f"SELECT COUNT(*) AS n FROM cache_entries {where}", params)[0]["n"])  # noqa: S608
        rows = self.db.query(
            f"SELECT * FROM cache_entries {where} ORDER BY pinned DESC, reason, title, cache_path "  # noqa: S608
            "LIMIT ? OFFSET ?", [*params, per_page, (page - 1) * per_page])
        return Page([_entry(r) for r in rows], total, page, per_page)

    def facets(self) -> dict[str, list[str]]:
        """Values for the filter drop-downs."""
        libs = [r["library"] for r in self.db.query(
            "SELECT DISTINCT library FROM cache_entries WHERE library != '' ORDER BY library")]
        users = [r["value"] for r in self.db.query(
            "SELECT DISTINCT j.value AS value FROM cache_entries, json_each(cache_entries.users) AS j "
            "ORDER BY j.value")]
        return {"libraries": libs, "users": users, "reasons": [r.label for r in Reason]}

    # --- history -------------------------------------------------------------------------------
    def cycles_page(self, page: int = 1, per_page: int = 20) -> Page[CycleRow]:
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        total = int(self.db.query("SELECT COUNT(*) AS n FROM cycles")[0]["n"])
        rows = self.db.query("SELECT * FROM cycles ORDER BY id DESC LIMIT ? OFFSET ?",
                             (per_page, (page - 1) * per_page))
        return Page([_cycle(r) for r in rows], total, page, per_page)

    def last_cycle(self, *, finished: bool = True) -> CycleRow | None:
        cond = "WHERE finished_at IS NOT NULL" if finished else "WHERE finished_at IS NULL"
        rows = self.db.query(f"SELECT * FROM cycles {cond} ORDER BY id DESC LIMIT 1")  # noqa: S608
        return _cycle(rows[0]) if rows else None

    def operations_page(self, page: int = 1, per_page: int = 50) -> Page[OperationRow]:
        """Media file operations from the engine's journal (``file_ops``), newest first."""
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        if not self._has_table("file_ops"):
            return Page([], 0, page, per_page)
        where = "WHERE role = 'media'"
        total = int(self.db.query(f"SELECT COUNT(*) AS n FROM file_ops {where}")[0]["n"])  # noqa: S608
        rows = self.db.query(f"SELECT * FROM file_ops {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
                             (per_page, (page - 1) * per_page))
        return Page([_operation(r) for r in rows], total, page, per_page)

    def _has_table(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    # --- usage over time -----------------------------------------------------------------------
    def usage_series(self, limit: int = 200) -> list[UsageSample]:
        rows = self.db.query("SELECT * FROM (SELECT * FROM usage_samples ORDER BY ts DESC LIMIT ?) "
                             "ORDER BY ts", (max(1, min(limit, 2000)),))
        return [UsageSample(r["ts"], r["cache_used"], r["cache_total"], r["by_cacherr"], r["bytes_moved"])
                for r in rows]


def _media_where(flt: MediaFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.user:
        clauses.append("EXISTS (SELECT 1 FROM json_each(cache_entries.users) WHERE value = ?)")
        params.append(flt.user)
    if flt.reason:
        value = reason_value(flt.reason)
        clauses.append("reason = ?")
        params.append(-1 if value is None else value)
    if flt.library:
        clauses.append("library = ?")
        params.append(flt.library)
    if flt.q:
        clauses.append("(title LIKE ? ESCAPE '\\' OR cache_path LIKE ? ESCAPE '\\')")
        like = f"%{_escape_like(flt.q)}%"
        params.extend([like, like])
    if flt.pinned is not None:
        clauses.append("pinned = ?")
        params.append(int(flt.pinned))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _entry(r: Any) -> EntryRow:
    try:
        users = sorted(json.loads(r["users"] or "[]"))
    except json.JSONDecodeError:
        users = []
    reason = Reason(r["reason"]).label if r["reason"] in Reason._value2member_map_ else str(r["reason"])
    return EntryRow(id=r["id"], title=r["title"] or Path(r["cache_path"]).name,
                    library=r["library"], reason=reason, users=users, size=r["size"],
                    cached_at=r["cached_at"], mode=r["mode"], pinned=bool(r["pinned"]),
                    pre_existing=bool(r["pre_existing"]), cache_path=r["cache_path"],
                    last_wanted_at=r["last_wanted_at"])


def _cycle(r: Any) -> CycleRow:
    try:
        summary = json.loads(r["summary"] or "{}")
    except json.JSONDecodeError:
        summary = {}
    return CycleRow(id=r["id"], started_at=r["started_at"], finished_at=r["finished_at"],
                    trigger=r["trigger"], dry_run=bool(r["dry_run"]), status=r["status"], error=r["error"],
                    summary=summary if isinstance(summary, dict) else {})


def _operation(r: Any) -> OperationRow:
    status = str(r["status"])
    return OperationRow(id=int(r["id"]), kind=f"{r['kind']} ({r['mode']})", state=status, path=r["cache_path"],
                        size=int(r["size"] or 0), started_at=r["created_at"],
                        finished_at=None if status == "active" else r["updated_at"],
                        error=(r["message"] or None) if status in ("failed", "conflict", "rolled_back") else None)
