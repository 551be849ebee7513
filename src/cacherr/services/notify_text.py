"""Pure text for notifications: what a cycle or an operation came to, in a few readable lines.

No I/O and no secrets: the notifier adapter decides *whether* to send, this module says *what*.
Severity levels are the notifier's: ``info``, ``success``, ``warning``, ``failure``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cacherr.domain.report import CycleReport, CycleStatus, OpOutcome
from cacherr.domain.units import human_bytes

MAX_LISTED = 10  # items listed per section before "... and N more"
APP = "Cacherr"


def human_duration(seconds: float) -> str:
    """``75`` -> ``1m 15s``; ``3700`` -> ``1h 1m``; ``4.2`` -> ``4.2s``."""
    if seconds < 10:
        return f"{max(seconds, 0):.1f}s"
    s = round(seconds)
    if s < 3600:
        return f"{s // 60}m {s % 60}s" if s >= 60 else f"{s}s"
    return f"{s // 3600}h {s % 3600 // 60}m"


def cycle_severity(report: CycleReport) -> str:
    """``failure`` for a failed cycle, ``warning`` when something failed or went wrong, else ``success``."""
    if report.status == CycleStatus.FAILED:
        return "failure"
    if report.failed or report.status == CycleStatus.PARTIAL or report.problems:
        return "warning"
    if report.status == CycleStatus.SKIPPED:
        return "info"
    return "success"


def cycle_has_errors(report: CycleReport) -> bool:
    return report.status in (CycleStatus.FAILED, CycleStatus.PARTIAL) or bool(report.failed)


def cycle_is_quiet(report: CycleReport) -> bool:
    """Nothing moved, nothing failed, nothing to report: not worth a message."""
    return (report.status in (CycleStatus.OK, CycleStatus.DRY_RUN) and not report.cached and not report.restored
            and not report.failed and not report.problems)


def _title(report: CycleReport) -> str:
    prefix = f"{APP} dry run" if report.dry_run else f"{APP} cycle"
    if report.status == CycleStatus.FAILED:
        return f"{prefix} failed"
    if report.status == CycleStatus.SKIPPED:
        return f"{prefix} skipped"
    parts = []
    if report.cached:
        parts.append(f"{len(report.cached)} cached")
    if report.restored:
        parts.append(f"{len(report.restored)} given back")
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    return f"{prefix}: " + (", ".join(parts) if parts else "nothing to do")


def _section(heading: str, outcomes: Sequence[OpOutcome], *, errors: bool = False) -> list[str]:
    if not outcomes:
        return []
    total = sum(o.size for o in outcomes)
    lines = [f"{heading} ({len(outcomes)}, {human_bytes(total)}):"]
    for o in outcomes[:MAX_LISTED]:
        detail = (o.error or "unknown error") if errors else human_bytes(o.size)
        lines.append(f"- {o.title}: {detail}")
    if len(outcomes) > MAX_LISTED:
        lines.append(f"- ... and {len(outcomes) - MAX_LISTED} more")
    return lines


def _problems(problems: Sequence[str]) -> list[str]:
    if not problems:
        return []
    lines = ["Problems:"] + [f"- {p}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"- ... and {len(problems) - MAX_LISTED} more")
    return lines


def format_cycle_summary(report: CycleReport) -> tuple[str, str]:
    """Title and body of the message for one cycle: what was cached and given back, bytes moved, time
    taken, space left, and what failed and why."""
    lines: list[str] = []
    if report.message:
        lines.append(report.message)
    verb = "would move" if report.dry_run else "moved"
    lines.append(f"{human_bytes(report.bytes_moved)} {verb} in {human_duration(report.seconds)} "
                 f"(trigger: {report.trigger}).")
    lines.append(f"Cache: {human_bytes(report.cache_free_bytes)} free, "
                 f"{human_bytes(report.cache_used_by_cacherr)} held by {APP}.")
    for block in (_section("Cached", report.cached), _section("Given back", report.restored),
                  _section("Failed", report.failed, errors=True), _problems(report.problems)):
        if block:
            lines.append("")
            lines.extend(block)
    return _title(report), "\n".join(lines)


def format_operation(outcome: OpOutcome) -> tuple[str, str, str]:
    """Title, body and severity for one file operation (level ``every``)."""
    action = "Cached" if outcome.kind == "cache" else "Gave back"
    if not outcome.ok:
        action = "Failed to cache" if outcome.kind == "cache" else "Failed to give back"
    title = f"{APP}: {action} {outcome.title}"
    lines = [f"{outcome.path} ({human_bytes(outcome.size)}, {human_duration(outcome.seconds)})"]
    if outcome.reason:
        lines.append(f"Why: {outcome.reason}")
    if not outcome.ok:
        lines.append(f"Error: {outcome.error or 'unknown error'}")
    return title, "\n".join(lines), ("success" if outcome.ok else "failure")
