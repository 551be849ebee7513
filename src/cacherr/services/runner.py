"""What the cycle, the restores and real time share, as explicit collaborators (no callbacks into a service).

- ``MediaServers``: the media server for the current settings, built once per settings value.
- ``ActionRunner``: the single-flight lock, the registry, the file engine and the cycle history: it records a run
  like a cycle (``begin`` / ``finish``), carries out a hand-made plan (``run_actions``), runs the start-up recovery
  step, and keeps the Mover Tuning exclude file in step.

``CycleService`` (services/cycle.py), ``Restorer`` (services/restore.py) and ``Realtime`` (services/realtime.py)
each receive these; none of them calls back into another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cacherr.domain.cache import CacheEntry, Plan
from cacherr.domain.errors import CacherrError
from cacherr.domain.media import PlaySession
from cacherr.domain.paths import PathMapper
from cacherr.domain.report import CycleReport, CycleStatus, Trigger
from cacherr.domain.viewing import ExcludedSet
from cacherr.planning import Policy
from cacherr.ports import (
    CacheRegistry,
    Clock,
    CycleHistory,
    DiskProbe,
    FileEngine,
    KeptOff,
    MediaServer,
    MoverWatch,
    Notifier,
    PlayStarts,
    SingleFlight,
)
from cacherr.services.cache_scan import cache_roots
from cacherr.services.cycle_exec import ReportBuilder, execute_plan, notify
from cacherr.services.exclusions import with_exclusions
from cacherr.settings import Settings

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MediaServers:
    """The media server for the current settings: built once per settings value (a reload that changes any
    setting builds a new one), shared by cycles, restores, the session watcher and real time."""

    def __init__(self, settings: Callable[[], Settings], factory: Callable[[], MediaServer]) -> None:
        self._settings = settings
        self._factory = factory
        self._server: tuple[Settings, MediaServer] | None = None
        self._lock = threading.Lock()

    def current(self) -> MediaServer:
        settings = self._settings()
        with self._lock:
            if self._server is None or self._server[0] is not settings:
                self._server = (settings, self._factory())
            return self._server[1]

    def sessions(self) -> tuple[PlaySession, ...]:
        return self.current().sessions()


class ActionRunner:
    """Executes plans under the lock's rules and records every run (cycle, restore, real time) in the history."""

    def __init__(self, *, settings: Callable[[], Settings], engine: Callable[[], FileEngine],
                 registry: CacheRegistry, history: CycleHistory, lock: SingleFlight, disk: DiskProbe,
                 clock: Clock | None = None, notifier: Callable[[], Notifier | None] | None = None,
                 mover: Callable[[], MoverWatch | None] | None = None, kept_off: KeptOff | None = None,
                 plays: PlayStarts | None = None) -> None:
        self.settings = settings
        self.kept_off = kept_off  # items kept off the cache on request (None: the feature is not wired)
        self.plays = plays  # play starts for the hit rate (None: not recorded)
        self.engine = engine
        self.registry = registry
        self.history = history
        self.lock = lock
        self.disk = disk
        self.clock: Clock = clock or SystemClock()
        self._notifier = notifier or (lambda: None)
        self._mover = mover or (lambda: None)

    def usage(self) -> tuple[int, int]:
        """(total, free) bytes of the cache filesystem(s)."""
        return self.disk.usage(cache_roots(PathMapper(self.settings().path_mappings())))

    def mover_running(self) -> str | None:
        """Why Unraid's mover counts as running now (cycles and real time wait for it), or None."""
        watch = self._mover()
        return watch.running() if watch is not None else None

    def excluded(self) -> ExcludedSet:
        """What plans keep off the cache now."""
        return self.kept_off.excluded() if self.kept_off is not None else ExcludedSet()

    def policy(self, settings: Settings, total_bytes: int, *, give_back: bool = True) -> Policy:
        """The planning policy for ``settings``, keeping the excluded items off the cache."""
        return with_exclusions(Policy.from_settings(settings, total_bytes, give_back=give_back), self.excluded())

    def note_play_start(self, user: str, item_key: str, source: str = "session") -> bool:
        """A play started: record it with whether its file is on the cache now (the hit rate). Never raises."""
        if self.plays is None:
            return False
        try:
            return self.plays.record(user, item_key, self.clock.now(), source=source)
        except Exception:
            log.exception("could not record the play start of %s by %s", item_key, user)
            return False

    def mark_scrobbled(self, item_key: str, user: str) -> None:
        """``user`` finished ``item_key``: count it as watched at the next cycle (Plex may lag)."""
        self.history.add_scrobble(item_key, user, self.clock.now())

    # --- recovery (the caller holds the lock) ----------------------------------------------------
    def recover_interrupted(self) -> list[str]:
        """The start-up step (``runtime.start_up``): mark cycles a crash left "running" as failed, then finish or
        roll back the file operations it left half done."""
        self.history.close_interrupted(self.clock.now())
        return self.engine().recover()

    def recover_before_actions(self) -> list[str]:
        """``recover_interrupted`` for a restore or a real-time cache. When the engine cannot be built
        (``CacherrError``, e.g. a root that is a union view), this returns nothing and the hand-made plan's
        execution records that failure like any other (``run_actions``)."""
        try:
            return self.recover_interrupted()
        except CacherrError as exc:
            log.warning("recovery before the operation skipped: %s", exc)
            return []

    # --- recording a run -------------------------------------------------------------------------
    def begin(self, trigger: Trigger, started: datetime, dry: bool) -> ReportBuilder:
        return ReportBuilder(self.history.start(trigger, started, dry), trigger, started, dry)

    def finish(self, rb: ReportBuilder, plan: Plan | None, status: CycleStatus, message: str) -> CycleReport:
        """Record the run's end (history, usage sample), notify, log; the report."""
        try:
            total, free = self.usage()
        except CacherrError:
            total, free = 0, 0
        used = self.registry.total_bytes()
        report = rb.build(self.clock.now(), status, free=free, used=used, message=message)
        self.history.finish(report, plan)
        if status != CycleStatus.DRY_RUN:
            self.history.sample_usage(report.finished_at, total - free, total, used, report.bytes_moved)
        notify(self._notifier(), report)
        level = logging.ERROR if status == CycleStatus.FAILED else logging.WARNING if report.failed else logging.INFO
        log.log(level, "cycle %s (%s) %s: %d cached, %d given back, %d failed%s", report.cycle_id, rb.trigger, status,
                len(report.cached), len(report.restored), len(report.failed), f" - {message}" if message else "")
        return report

    def write_exclude(self, settings: Settings) -> str | None:
        """Keep the Mover Tuning exclude list in step with the registry; a problem line on failure."""
        if not settings.MOVER_EXCLUDE_FILE:
            return None
        try:
            _exclude_writer_for(settings)(settings.MOVER_EXCLUDE_FILE, self.registry.entries())
        except Exception as exc:
            log.exception("could not write MOVER_EXCLUDE_FILE=%s", settings.MOVER_EXCLUDE_FILE)
            return (f"MOVER_EXCLUDE_FILE={settings.MOVER_EXCLUDE_FILE} could not be written ({exc}); Unraid's "
                    "mover may move cached files back to the array")
        return None

    # --- hand-made plans (restore, restore-all, real time) --------------------------------------
    def run_actions(self, trigger: Trigger, plan: Plan, entries: Sequence[CacheEntry], settings: Settings,
                    problems: Sequence[str] = ()) -> CycleReport:
        """Execute a hand-made plan and record it like a cycle. The caller holds the lock."""
        started = self.clock.now()
        dry = settings.TEST_MODE
        rb = self.begin(trigger, started, dry)
        rb.problems.extend(problems)
        rb.add_plan_skips(plan)
        if dry:
            rb.add_planned(plan)
            return self.finish(rb, plan, CycleStatus.DRY_RUN, "TEST_MODE is on: nothing was changed")
        try:
            if plan.actions:
                mode = Policy.from_settings(settings, 0).mode
                rb.add_results(execute_plan(self.engine(), plan, mode, entries))
                problem = self.write_exclude(settings)
                if problem:
                    rb.problems.append(problem)
        except CacherrError as exc:
            return self.finish(rb, plan, CycleStatus.FAILED, str(exc))
        except Exception as exc:
            log.exception("%s %s failed", trigger, rb.cycle_id)
            return self.finish(rb, plan, CycleStatus.FAILED,
                               f"unexpected error: {type(exc).__name__}: {exc} (see the log)")
        return self.finish(rb, plan, rb.status(), failure_message(rb))


def failure_message(rb: ReportBuilder) -> str:
    if not rb.failed:
        return ""
    first = rb.failed[0]
    more = f" (and {len(rb.failed) - 1} more)" if len(rb.failed) > 1 else ""
    return f"{len(rb.failed)} operation(s) failed: {first.title}: {first.error}{more}"


def _exclude_writer_for(settings: Settings) -> Callable[[str, Sequence[CacheEntry]], object]:
    """The real writer: UMASK respected, never inside a media root (see fileops.exclude)."""
    from cacherr.fileops.exclude import sync_exclude_file

    roots = [p for m in settings.path_mappings() for p in (m.plex_path, m.array_path, m.cache_path)]

    def write(path: str, entries: Sequence[CacheEntry]) -> object:
        return sync_exclude_file(path, entries, umask=int(settings.UMASK, 8), media_roots=roots)

    return write
