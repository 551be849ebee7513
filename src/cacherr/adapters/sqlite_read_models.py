"""``ReadModels`` on the state database: every read the dashboard and the API make.

The media list pages by keyset (``after``: an opaque cursor of the last row shown) over indexes made
for its sort and filters (migration 0004); page numbers still work and read from whichever end of
the list is nearer. Counts and the filter lists come from ``cache_totals``, which triggers keep in
step with the registry, so nothing here reads the whole registry.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cacherr.adapters.sqlite_store import Database, read_totals
from cacherr.domain.media import Reason
from cacherr.domain.views import CycleRow, EntryRow, MediaFilter, MediaPage, OperationRow, Page, UsageSample
from cacherr.ports import RegistryTotals

MAX_PER_PAGE = 200
_ORDER = "(1 - cache_entries.pinned), cache_entries.reason, cache_entries.title, cache_entries.cache_path"


def reason_value(name: str) -> int | None:
    """``on deck`` / ``on_deck`` / ``ON_DECK`` -> Reason value; None when unknown."""
    key = name.strip().upper().replace(" ", "_").replace("-", "_")
    return Reason[key].value if key in Reason.__members__ else None


def encode_cursor(row: Any) -> str:
    key = [1 - int(row["pinned"]), int(row["reason"]), str(row["title"]), str(row["cache_path"])]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[int, int, str, str] | None:
    """The sort key a cursor names; None when it is not one of ours (the list starts over)."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        k0, reason, title, path = raw
        return int(k0), int(reason), str(title), str(path)
    except (ValueError, TypeError, binascii.Error):
        return None


class SqliteReadModels:
    """``ReadModels`` over ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- cache ---------------------------------------------------------------------------------
    def totals(self) -> RegistryTotals:
        return read_totals(self.db)

    def entry(self, entry_id: int) -> EntryRow | None:
        rows = self.db.query("SELECT * FROM cache_entries WHERE id = ?", (entry_id,))
        return _entry(rows[0]) if rows else None

    def media_page(self, flt: MediaFilter, page: int = 1, per_page: int = 50,
                   after: str | None = None) -> MediaPage:
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        sel = _media_select(flt)
        total = self._count(flt, sel)
        key = decode_cursor(after) if after else None
        if key is not None:
            rows = self._rows_after(sel, key, per_page + 1)
            more = len(rows) > per_page
            rows = rows[:per_page]
        else:
            rows = self._rows_at(sel, total, (page - 1) * per_page, per_page)
            more = (page - 1) * per_page + len(rows) < total
        cursor = encode_cursor(rows[-1]) if rows and more else None
        return Page([_entry(r) for r in rows], total, page, per_page, cursor)

    def _count(self, flt: MediaFilter, sel: _Select) -> int:
        only = {k for k, v in (("user", flt.user), ("library", flt.library), ("reason", flt.reason),
                               ("q", flt.q), ("pinned", flt.pinned is not None)) if v}
        if not only:
            rows = self.db.query("SELECT entries FROM cache_totals WHERE kind = 'all'")
        elif only in ({"user"}, {"library"}):
            rows = self.db.query("SELECT entries FROM cache_totals WHERE kind = ? AND key = ?",
                                 (only.pop(), flt.user or flt.library))
        else:
            rows = self.db.query(f"SELECT COUNT(*) AS entries FROM {sel.source} {sel.where}", sel.params)  # noqa: S608
        return int(rows[0]["entries"]) if rows else 0

    def _rows_after(self, sel: _Select, key: tuple[int, int, str, str], limit: int) -> list[Any]:
        cond = f"({sel.order}) > (?, ?, ?, ?)"
        where = f"{sel.where} AND {cond}" if sel.where else f"WHERE {cond}"
        return self.db.query(f"SELECT cache_entries.* FROM {sel.source} {where} "  # noqa: S608
                             f"ORDER BY {sel.order} LIMIT ?", [*sel.params, *key, limit])

    def _rows_at(self, sel: _Select, total: int, offset: int, limit: int) -> list[Any]:
        """Rows ``offset`` .. ``offset + limit`` in list order, read from the nearer end of the list."""
        base = f"SELECT cache_entries.* FROM {sel.source} {sel.where} ORDER BY"  # noqa: S608
        if offset <= total // 2:
            return self.db.query(f"{base} {sel.order} LIMIT ? OFFSET ?", [*sel.params, limit, offset])
        end = min(total, offset + limit)
        desc = ", ".join(f"{col} DESC" for col in sel.order.split(", "))
        rows = self.db.query(f"{base} {desc} LIMIT ? OFFSET ?", [*sel.params, max(0, end - offset), total - end])
        return list(reversed(rows))

    def facets(self) -> dict[str, list[str]]:
        """Values for the filter drop-downs, from the running totals (never a scan of the registry)."""
        rows = self.db.query("SELECT kind, key FROM cache_totals WHERE kind IN ('library', 'user') "
                             "AND key != '' ORDER BY kind, key")
        return {"libraries": [r["key"] for r in rows if r["kind"] == "library"],
                "users": [r["key"] for r in rows if r["kind"] == "user"],
                "reasons": [r.label for r in Reason]}

    # --- history -------------------------------------------------------------------------------
    def cycles_page(self, page: int = 1, per_page: int = 20) -> Page[CycleRow]:
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        total = int(self.db.query("SELECT COUNT(*) AS n FROM cycles")[0]["n"])
        rows = self.db.query("SELECT * FROM cycles ORDER BY id DESC LIMIT ? OFFSET ?",
                             (per_page, (page - 1) * per_page))
        return Page([_cycle(r) for r in rows], total, page, per_page)

    def cycles_before(self, before: int | None, limit: int = 50) -> tuple[list[CycleRow], bool]:
        """Cycles older than id ``before`` (None: the newest), newest first, and whether there are more."""
        limit = max(1, min(limit, MAX_PER_PAGE))
        rows = self.db.query("SELECT * FROM cycles WHERE id < ? ORDER BY id DESC LIMIT ?",
                             (before if before is not None else 2**62, limit + 1))
        return [_cycle(r) for r in rows[:limit]], len(rows) > limit

    def cycle(self, cycle_id: int) -> CycleRow | None:
        rows = self.db.query("SELECT * FROM cycles WHERE id = ?", (cycle_id,))
        return _cycle(rows[0]) if rows else None

    def operations_before(self, before: int | None, limit: int = 50,
                          cycle_id: int | None = None) -> tuple[list[OperationRow], bool]:
        """Media file operations older than id ``before``, newest first (of one cycle when ``cycle_id``)."""
        limit = max(1, min(limit, MAX_PER_PAGE))
        rows = self.db.query(f"SELECT * FROM ({_OPS}) WHERE id < ? AND (? IS NULL OR cycle_id = ?) "  # noqa: S608
                             "ORDER BY id DESC LIMIT ?",
                             (before if before is not None else 2**62, cycle_id, cycle_id, limit + 1))
        return [_operation(r) for r in rows[:limit]], len(rows) > limit

    def last_cycle(self, *, finished: bool = True) -> CycleRow | None:
        cond = "WHERE finished_at IS NOT NULL" if finished else "WHERE finished_at IS NULL"
        rows = self.db.query(f"SELECT * FROM cycles {cond} ORDER BY id DESC LIMIT 1")  # noqa: S608
        return _cycle(rows[0]) if rows else None

    def operations_page(self, page: int = 1, per_page: int = 50) -> Page[OperationRow]:
        """Media file operations from the engine's journal (``file_ops``), newest first."""
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        where = "WHERE role = 'media'"
        total = int(self.db.query(f"SELECT COUNT(*) AS n FROM file_ops {where}")[0]["n"])  # noqa: S608
        rows = self.db.query(f"SELECT * FROM ({_OPS}) ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
                             (per_page, (page - 1) * per_page))
        return Page([_operation(r) for r in rows], total, page, per_page)

    # --- usage over time -----------------------------------------------------------------------
    def usage_series(self, limit: int = 200) -> list[UsageSample]:
        rows = self.db.query("SELECT * FROM (SELECT * FROM usage_samples ORDER BY ts DESC LIMIT ?) "
                             "ORDER BY ts", (max(1, min(limit, 2000)),))
        return [UsageSample(r["ts"], r["cache_used"], r["cache_total"], r["by_cacherr"], r["bytes_moved"])
                for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class _Select:
    source: str  # FROM ...
    where: str
    params: list[Any]
    order: str  # the sort key's columns, ascending


_LIKE_SPECIAL = ("%", "_", "\\")


def _media_select(flt: MediaFilter) -> _Select:
    """FROM, WHERE and sort key of the media list under ``flt``. A user's list is read from
    ``cache_entry_users`` (which carries the sort key); a search of 3+ characters from the trigram index."""
    clauses: list[str] = []
    params: list[Any] = []
    source, order = "cache_entries", _ORDER
    if flt.user:
        source = "cache_entry_users AS u JOIN cache_entries ON cache_entries.id = u.entry_id"
        order = "u.sort_pin, u.sort_reason, u.sort_title, u.sort_path"
        clauses.append("u.user = ?")
        params.append(flt.user)
    if flt.reason:
        value = reason_value(flt.reason)
        clauses.append("cache_entries.reason = ?")
        params.append(-1 if value is None else value)
    if flt.library:
        clauses.append("cache_entries.library = ?")
        params.append(flt.library)
    if flt.q:
        clause, values = _search(flt.q)
        clauses.append(clause)
        params.extend(values)
    if flt.pinned is not None:
        clauses.append("(1 - cache_entries.pinned) = ?")
        params.append(1 - int(flt.pinned))
    return _Select(source, ("WHERE " + " AND ".join(clauses)) if clauses else "", params, order)


def _search(q: str) -> tuple[str, list[Any]]:
    """Case-insensitive substring of the title or the path: the trigram index when it can answer."""
    if len(q) >= 3 and not any(c in q for c in _LIKE_SPECIAL):
        phrase = '"' + q.replace('"', '""') + '"'
        return "cache_entries.id IN (SELECT rowid FROM cache_search WHERE cache_search MATCH ?)", [phrase]
    like = f"%{_escape_like(q)}%"
    return ("(cache_entries.title LIKE ? ESCAPE '\\' OR cache_entries.cache_path LIKE ? ESCAPE '\\')",
            [like, like])


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


# Media operations with their title and why (from the journal's action) and their cycle: the last one that
# started before the operation did (every operation runs inside a recorded cycle, restore or top-up).
_OPS = ("SELECT f.*, json_extract(f.action, '$.title') AS title, json_extract(f.action, '$.why') AS why, "
        "(SELECT c.id FROM cycles AS c WHERE c.started_at <= f.created_at ORDER BY c.started_at DESC LIMIT 1) "
        "AS cycle_id FROM file_ops AS f WHERE f.role = 'media'")


def _operation(r: Any) -> OperationRow:
    status = str(r["status"])
    keys = r.keys()
    return OperationRow(id=int(r["id"]), kind=f"{r['kind']} ({r['mode']})", state=status, path=r["cache_path"],
                        size=int(r["size"] or 0), started_at=r["created_at"],
                        finished_at=None if status == "active" else r["updated_at"],
                        error=(r["message"] or None) if status in ("failed", "conflict", "rolled_back") else None,
                        title=str(r["title"] or "") if "title" in keys else "",
                        why=str(r["why"] or "") if "why" in keys else "",
                        cycle_id=r["cycle_id"] if "cycle_id" in keys else None)
