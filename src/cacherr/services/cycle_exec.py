"""Carrying out a plan and turning the results into a ``CycleReport``; notifications.

Restores run first, each with the mode its entry was cached in (a file found on the cache and absent
from the array must be moved back, whatever COPY_TO_CACHE says now); caches use the configured mode.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheMode, Plan
from cacherr.domain.report import CycleReport, CycleStatus, OpOutcome, Trigger
from cacherr.ports import FileEngine, Notifier, OpResult, ProgressCallback

log = logging.getLogger(__name__)


def execute_plan(engine: FileEngine, plan: Plan, mode: CacheMode, entries: Iterable[CacheEntry],
                 on_progress: ProgressCallback | None = None) -> list[OpResult]:
    """Run restores (grouped by each entry's own mode), then caches (in ``mode``)."""
    mode_of = {e.cache_path: e.mode for e in entries}
    groups: dict[CacheMode, list[Action]] = {}
    for a in plan.to_restore:
        groups.setdefault(mode_of.get(a.cache_path, mode), []).append(a)
    results: list[OpResult] = []
    for group_mode in sorted(groups, key=lambda m: m is not mode):
        results.extend(engine.execute(groups[group_mode], mode=group_mode, on_progress=on_progress))
    if plan.to_cache:
        results.extend(engine.execute(plan.to_cache, mode=mode, on_progress=on_progress))
    return results


def outcome(r: OpResult) -> OpOutcome:
    a = r.action
    return OpOutcome(a.kind.value, a.title or a.cache_path, a.cache_path, a.size, r.ok and not r.skipped,
                     a.why, "" if r.ok else (r.message or "failed"), r.seconds)


def planned_outcome(a: Action) -> OpOutcome:
    return OpOutcome(a.kind.value, a.title or a.cache_path, a.cache_path, a.size, True, a.why)


@dataclass
class ReportBuilder:
    """Collects what a cycle came to."""

    cycle_id: int
    trigger: Trigger
    started_at: datetime
    dry_run: bool
    cached: list[OpOutcome] = field(default_factory=list)
    restored: list[OpOutcome] = field(default_factory=list)
    failed: list[OpOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    bytes_moved: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def add_plan_skips(self, plan: Plan) -> None:
        self.skipped.extend(f"{s.title}: {s.why}" for s in plan.skips)

    def add_planned(self, plan: Plan) -> None:
        """Dry run: what would be done."""
        for a in plan.actions:
            (self.cached if a.kind is ActionKind.CACHE else self.restored).append(planned_outcome(a))
        self.bytes_moved = sum(a.size for a in plan.actions)

    def add_results(self, results: Sequence[OpResult]) -> None:
        woken = set(self.extra.get("disks_woken", ()))  # type: ignore[call-overload]
        woken.update(r.disk for r in results if r.disk and not r.skipped)
        self.extra["disks_woken"] = sorted(woken)
        for r in results:
            o = outcome(r)
            if r.skipped:
                self.skipped.append(f"{o.title}: {r.message or 'skipped by the file engine'}")
            elif not r.ok:
                self.failed.append(o)
            else:
                (self.cached if r.action.kind is ActionKind.CACHE else self.restored).append(o)
                self.bytes_moved += r.bytes_moved or r.action.size

    def build(self, finished_at: datetime, status: CycleStatus, *, free: int = 0, used: int = 0,
              message: str = "") -> CycleReport:
        return CycleReport(self.cycle_id, self.trigger, self.started_at, finished_at, status, self.dry_run,
                           tuple(self.cached), tuple(self.restored), tuple(self.failed), tuple(self.skipped),
                           tuple(self.problems), self.bytes_moved, free, used, message, dict(self.extra))

    def status(self) -> CycleStatus:
        if self.dry_run:
            return CycleStatus.DRY_RUN
        if self.failed:
            return CycleStatus.PARTIAL if (self.cached or self.restored) else CycleStatus.FAILED
        return CycleStatus.OK


def notify(notifier: Notifier | None, report: CycleReport) -> None:
    """Tell the user (never raises). Uses the notifier's own level rules when it has them."""
    if notifier is None:
        return
    try:
        for o in (*report.cached, *report.restored, *report.failed):
            notifier.operation_done(o)
        notifier.cycle_finished(report)
    except Exception:
        log.exception("sending the cycle notification failed (the cycle itself is recorded)")
