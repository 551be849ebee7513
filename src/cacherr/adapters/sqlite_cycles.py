"""``CycleHistory`` in SQLite: one ``cycles`` row per cycle (summary + full plan JSON), usage samples,
and pending scrobbles. Plans round-trip through plain JSON (``plan_to_dict`` / ``plan_from_dict``).

(Was ``services/cycle_record.py``; the services see the ``ports.CycleHistory`` protocol only.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from cacherr.adapters.sqlite_store import Database
from cacherr.domain.cache import Action, ActionKind, Plan, Skip
from cacherr.domain.media import Reason
from cacherr.domain.report import CycleReport, CycleStatus, OpOutcome, Trigger


def action_to_dict(a: Action) -> dict[str, Any]:
    return {"kind": a.kind.value, "array_path": a.array_path, "cache_path": a.cache_path, "size": a.size,
            "reason": a.reason.label, "why": a.why, "item_key": a.item_key, "title": a.title,
            "users": sorted(a.users), "sidecars": list(a.sidecars), "library": a.library}


def action_from_dict(d: Mapping[str, Any]) -> Action:
    return Action(ActionKind(d["kind"]), d["array_path"], d["cache_path"], int(d["size"]),
                  Reason[str(d["reason"]).upper().replace(" ", "_")], d["why"], d.get("item_key"),
                  d.get("title", ""), frozenset(d.get("users", ())), tuple(d.get("sidecars", ())),
                  library=str(d.get("library", "")))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON: actions with reasons and sizes, skips, and the cache usage before/after."""
    return {
        "created_at": plan.created_at.isoformat(),
        "actions": [action_to_dict(a) for a in plan.actions],
        "skips": [asdict(s) for s in plan.skips],
        "budget_bytes": plan.budget_bytes,
        "usage_before": plan.usage_before,
        "usage_after": plan.usage_after,
        "bytes_to_cache": sum(a.size for a in plan.to_cache),
        "bytes_to_restore": sum(a.size for a in plan.to_restore),
        "notes": list(plan.notes),
    }


def plan_from_dict(d: Mapping[str, Any]) -> Plan:
    return Plan(created_at=datetime.fromisoformat(d["created_at"]),
                actions=tuple(action_from_dict(a) for a in d.get("actions", ())),
                skips=tuple(Skip(**s) for s in d.get("skips", ())), budget_bytes=int(d.get("budget_bytes", 0)),
                usage_before=int(d.get("usage_before", 0)), usage_after=int(d.get("usage_after", 0)),
                notes=tuple(d.get("notes", ())))


def _outcomes(items: Iterable[OpOutcome]) -> list[dict[str, Any]]:
    return [asdict(o) for o in items]


def summary_of(report: CycleReport) -> dict[str, Any]:
    return {
        "cached": len(report.cached), "restored": len(report.restored), "failed": len(report.failed),
        "skipped": len(report.skipped), "bytes_moved": report.bytes_moved,
        "cache_free_bytes": report.cache_free_bytes, "cache_used_by_cacherr": report.cache_used_by_cacherr,
        "message": report.message, "problems": list(report.problems), "seconds": report.seconds,
        "cached_items": _outcomes(report.cached), "restored_items": _outcomes(report.restored),
        "failed_items": _outcomes(report.failed), "skipped_items": list(report.skipped),
        "disks_woken": list(report.extra.get("disks_woken", ())),  # type: ignore[call-overload]
        "plex_read": str(report.extra.get("plex_read", "")),
    }


class SqliteCycleHistory:
    """``CycleHistory``: writes and reads the ``cycles``, ``usage_samples`` and ``scrobbles`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, trigger: Trigger, started_at: datetime, dry_run: bool) -> int:
        return self.db.execute("INSERT INTO cycles (started_at, trigger, dry_run, status) VALUES (?,?,?,?)",
                               (started_at.isoformat(), trigger, int(dry_run), CycleStatus.RUNNING))

    def finish(self, report: CycleReport, plan: Plan | None) -> None:
        self.db.execute(
            "UPDATE cycles SET finished_at = ?, status = ?, summary = ?, plan = ?, error = ? WHERE id = ?",
            (report.finished_at.isoformat(), report.status, json.dumps(summary_of(report), default=str),
             json.dumps(plan_to_dict(plan)) if plan is not None else "{}",
             report.message if report.status == CycleStatus.FAILED else None, report.cycle_id))

    def sample_usage(self, when: datetime, cache_used: int, cache_total: int, by_cacherr: int,
                     bytes_moved: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO usage_samples (ts, cache_used, cache_total, by_cacherr, "
                        "bytes_moved) VALUES (?,?,?,?,?)",
                        (when.isoformat(), cache_used, cache_total, by_cacherr, bytes_moved))

    def last_plan(self) -> Plan | None:
        rows = self.db.query("SELECT plan FROM cycles WHERE plan != '{}' AND finished_at IS NOT NULL "
                             "ORDER BY id DESC LIMIT 1")
        return plan_from_dict(json.loads(rows[0]["plan"])) if rows else None

    def history(self, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT id, started_at, finished_at, trigger, dry_run, status, summary, error "
                             "FROM cycles ORDER BY id DESC LIMIT ? OFFSET ?",
                             (max(1, min(limit, 500)), max(0, offset)))
        return [{"id": r["id"], "started_at": r["started_at"], "finished_at": r["finished_at"],
                 "trigger": r["trigger"], "dry_run": bool(r["dry_run"]), "status": r["status"],
                 "summary": json.loads(r["summary"] or "{}"), "error": r["error"]} for r in rows]

    def close_interrupted(self, when: datetime) -> int:
        """Mark cycles left 'running' by a crash as failed (called under the cycle lock)."""
        rows = self.db.query("SELECT id FROM cycles WHERE status = 'running'")
        for r in rows:
            self.db.execute("UPDATE cycles SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
                            (when.isoformat(), "interrupted: Cacherr stopped during this cycle", r["id"]))
        return len(rows)

    # --- scrobbles -------------------------------------------------------------------------------
    def add_scrobble(self, item_key: str, user: str, when: datetime) -> None:
        self.db.execute("INSERT OR REPLACE INTO scrobbles (item_key, user, at) VALUES (?,?,?)",
                        (item_key, user, when.isoformat()))

    def scrobbles(self) -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for r in self.db.query("SELECT item_key, user FROM scrobbles"):
            out.setdefault(r["item_key"], set()).add(r["user"])
        return {k: frozenset(v) for k, v in out.items()}

    def clear_scrobbles(self, keys: Iterable[str]) -> None:
        with self.db.transaction() as conn:
            for key in keys:
                conn.execute("DELETE FROM scrobbles WHERE item_key = ?", (key,))
