"""Rendering for ``cacherr cycle``, ``plan`` and ``restore``: rich tables, progress bars, JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn
from rich.table import Table

from cacherr.domain.cache import Plan
from cacherr.domain.report import CycleReport, CycleStatus, OpOutcome
from cacherr.domain.units import human_bytes
from cacherr.services.notify_text import human_duration

ProgressFn = Callable[[int, str, int, int], None]


@contextmanager
def progress_bars(console: Console, enabled: bool = True) -> Iterator[ProgressFn | None]:
    """A progress bar per running file operation (only on a terminal)."""
    if not enabled or not console.is_terminal:
        yield None
        return
    tasks: dict[int, TaskID] = {}
    lock = threading.Lock()
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(binary_units=True),
                  TransferSpeedColumn(), console=console, transient=True) as bars:

        def update(op_id: int, path: str, done: int, total: int) -> None:
            with lock:
                if op_id not in tasks:
                    tasks[op_id] = bars.add_task(escape(path.rsplit("/", 1)[-1][:60]), total=total or None)
                bars.update(tasks[op_id], completed=done, total=total or None)

        yield update


def _ops_table(title: str, rows: list[tuple[str, OpOutcome]]) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("", "title", "size", "why / error"):
        table.add_column(col, overflow="fold")
    for mark, o in rows:
        table.add_row(mark, escape(o.title), human_bytes(o.size), escape(o.error or o.reason))
    return table


def print_report(console: Console, report: CycleReport) -> None:
    verb = "would be" if report.dry_run else "were"
    rows = ([("cache", o) for o in report.cached] + [("back", o) for o in report.restored]
            + [("[red]failed[/]", o) for o in report.failed])
    if rows:
        console.print(_ops_table(f"Cycle {report.cycle_id} ({report.trigger})", rows))
    for line in report.skipped:
        console.print(f"[yellow]skipped:[/] {escape(line)}", soft_wrap=True, highlight=False)
    for line in report.problems:
        console.print(f"[yellow]note:[/] {escape(line)}", soft_wrap=True)
    console.print(f"{len(report.cached)} cached, {len(report.restored)} given back, {len(report.failed)} failed "
                  f"({human_bytes(report.bytes_moved)} {verb} moved in {human_duration(report.seconds)}); "
                  f"cache: {human_bytes(report.cache_free_bytes)} free, "
                  f"{human_bytes(report.cache_used_by_cacherr)} held by Cacherr. Status: {report.status}")
    if report.message:
        console.print(report.message, soft_wrap=True, markup=False, highlight=False)


def print_plan(console: Console, plan: Plan, as_json: bool) -> None:
    if as_json:  # the shape of POST /api/v1/plan/preview (and of GET /api/v1/plan's "plan")
        from cacherr.web.api_common import plan_out

        console.print_json(json.dumps(plan_out(plan).model_dump(mode="json")))
        return
    table = Table(title="Plan", show_lines=False)
    for col in ("action", "title", "size", "priority", "why"):
        table.add_column(col, overflow="fold")
    for a in plan.actions:
        table.add_row("cache" if a.kind.value == "cache" else "give back", escape(a.title), human_bytes(a.size),
                      a.reason.label, escape(a.why))
    if plan.actions:
        console.print(table)
    else:
        console.print("Nothing to do: the cache already holds what is wanted.")
    for s in plan.skips:
        console.print(f"[yellow]skip:[/] {escape(s.title)}: {escape(s.why)}", soft_wrap=True)
    for n in plan.notes:
        console.print(f"note: {escape(n)}", soft_wrap=True)
    console.print(f"Cache used by Cacherr: {human_bytes(plan.usage_before)} now, {human_bytes(plan.usage_after)} "
                  f"after (budget {human_bytes(plan.budget_bytes)}).")


def exit_code(report: CycleReport) -> int:
    return 1 if report.status in (CycleStatus.FAILED, CycleStatus.PARTIAL) else 0
