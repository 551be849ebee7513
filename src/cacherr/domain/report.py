"""What a cycle came to: the record the dashboard shows and notifications summarise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class CycleStatus(StrEnum):
    """How a cycle (or a restore, a real-time top-up) ended; the value is what the history stores."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # some operations failed, others went through
    FAILED = "failed"
    SKIPPED = "skipped"  # the mover ran, someone was playing (EXIT_IF_ACTIVE_SESSION)
    DRY_RUN = "dry-run"


class Trigger(StrEnum):
    """What started a run; the value is what the history stores."""

    MANUAL = "manual"
    CLI = "cli"
    API = "api"
    SCHEDULE = "schedule"
    REALTIME = "realtime"
    SESSION = "session"  # the session watcher
    WEBHOOK = "webhook"  # the Plex webhook
    RESTORE = "restore"
    RESTORE_ALL = "restore-all"
    RECOVERY = "recovery"  # the start-up step (runtime.start_up)


@dataclass(frozen=True, slots=True)
class OpOutcome:
    """One executed (or, in a dry run, planned) file operation."""

    kind: str  # "cache" or "restore"
    title: str
    path: str
    size: int
    ok: bool
    reason: str = ""  # why it was planned
    error: str = ""  # why it failed
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class CycleReport:
    """One cycle, start to end. ``status``: ok, partial (some operations failed), failed, skipped, dry-run."""

    cycle_id: int
    trigger: Trigger
    started_at: datetime
    finished_at: datetime
    status: CycleStatus
    dry_run: bool = False
    cached: tuple[OpOutcome, ...] = ()
    restored: tuple[OpOutcome, ...] = ()
    failed: tuple[OpOutcome, ...] = ()
    skipped: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # users skipped, unmapped paths, Trakt down, ...
    bytes_moved: int = 0
    cache_free_bytes: int = 0
    cache_used_by_cacherr: int = 0
    message: str = ""  # one line for the user when status is failed or skipped
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
