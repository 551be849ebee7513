"""The cache cycle: snapshot -> plan -> execute -> record -> notify, one at a time.

``CycleService`` is what the CLI, the web API, the scheduler and the real-time triggers call. It
receives every outside capability by injection (providers, so settings changes take effect on the
next call) and never imports an adapter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from cacherr.domain.cache import CacheEntry, CacheState, Plan
from cacherr.domain.errors import CacherrError, PlexUnavailable
from cacherr.domain.media import PlaySession, Reason, Snapshot
from cacherr.domain.paths import PathMapper
from cacherr.domain.report import CycleReport
from cacherr.planning import Policy, aggregate_wants, build_plan
from cacherr.planning.library_rules import apply_rules
from cacherr.ports import (
    CacheRegistry,
    Clock,
    DiskProbe,
    FileEngine,
    MediaServer,
    MoverWatch,
    Notifier,
    ProgressCallback,
    TraktPick,
    TraktSource,
)
from cacherr.services import restore
from cacherr.services.cache_scan import Adoption, adopt, cache_roots, cache_state, moved_back
from cacherr.services.cycle_exec import ReportBuilder, execute_plan, notify
from cacherr.services.cycle_lock import LOCK_FILE, CycleLock
from cacherr.services.cycle_record import CycleRecorder, SqlDatabase
from cacherr.services.realtime import Realtime, WebhookResult, cache_next
from cacherr.settings import Settings

log = logging.getLogger(__name__)
UNKNOWN_RECHECK = timedelta(hours=6)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a plan was built from."""

    snapshot: Snapshot
    state: CacheState
    policy: Policy
    plan: Plan
    adopted: tuple[CacheEntry, ...]
    problems: tuple[str, ...]
    scrobbled: tuple[str, ...] = ()  # item keys of the pending scrobbles this plan counted as watched


def _exclude_writer_for(settings: Settings) -> Callable[[str, Sequence[CacheEntry]], object]:
    """The real writer: UMASK respected, never inside a media root (see fileops.exclude)."""
    from cacherr.fileops.exclude import sync_exclude_file

    roots = [p for m in settings.path_mappings() for p in (m.plex_path, m.array_path, m.cache_path)]

    def write(path: str, entries: Sequence[CacheEntry]) -> object:
        return sync_exclude_file(path, entries, umask=int(settings.UMASK, 8), media_roots=roots)

    return write


class CycleService:
    """Runs cache cycles and the single-file operations around them (restore, pin, real-time)."""

    def __init__(self, *, settings: Callable[[], Settings], media_server: Callable[[], MediaServer],
                 engine: Callable[[], FileEngine], registry: CacheRegistry, db: SqlDatabase, config_dir: Path,
                 clock: Clock | None = None, notifier: Callable[[], Notifier | None] | None = None,
                 trakt: Callable[[], TraktSource | None] | None = None, disk: DiskProbe,
                 mover: Callable[[], MoverWatch | None] | None = None) -> None:
        self._settings = settings
        self._media_server = media_server
        self._engine = engine
        self.registry = registry
        self.recorder = CycleRecorder(db)
        self.lock = CycleLock(Path(config_dir) / LOCK_FILE)
        self.clock: Clock = clock or SystemClock()
        self._notifier = notifier or (lambda: None)
        self._trakt = trakt or (lambda: None)
        self._mover = mover or (lambda: None)
        self.disk: DiskProbe = disk
        self._server: tuple[Settings, MediaServer] | None = None
        self._server_lock = threading.Lock()
        self._unknown: dict[str, datetime] = {}  # cache path -> when Plex last did not know it
        self._unknown_lock = threading.Lock()  # preview() adopts outside the cycle lock, concurrently with a cycle

    # --- providers ----------------------------------------------------------------------------
    def current_settings(self) -> Settings:
        return self._settings()

    def media_server(self) -> MediaServer:
        """The media server for the current settings: built once per settings value (a reload that
        changes any setting builds a new one), shared by cycles, the session watcher and real time."""
        settings = self._settings()
        with self._server_lock:
            if self._server is None or self._server[0] is not settings:
                self._server = (settings, self._media_server())
            return self._server[1]

    def usage(self) -> tuple[int, int]:
        """(total, free) bytes of the cache filesystem(s)."""
        return self.disk.usage(cache_roots(PathMapper(self._settings().path_mappings())))

    def mover_running(self) -> str | None:
        """Why Unraid's mover counts as running now (cycles and real time wait for it), or None."""
        watch = self._mover()
        return watch.running() if watch is not None else None

    # --- queries ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.lock.busy

    @property
    def running_here(self) -> bool:
        """A cycle of this process is running (what a clean shutdown waits for)."""
        return self.lock.held_here

    def last_plan(self) -> Plan | None:
        return self.recorder.last_plan()

    def history(self, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
        return self.recorder.history(limit, offset)

    def sessions(self) -> tuple[PlaySession, ...]:
        return self.media_server().sessions()

    def preview(self) -> Plan:
        """The plan a cycle would carry out now. Changes nothing, records nothing."""
        settings = self._settings()
        return self._prepare(self.media_server(), settings, self.clock.now()).plan

    # --- the cycle ----------------------------------------------------------------------------
    def run(self, trigger: str = "manual", dry_run: bool = False,
            on_progress: ProgressCallback | None = None) -> CycleReport:
        """One full cycle. Raises ``CycleBusy`` when another one holds the lock; every other failure
        is recorded and returned as a report with status ``failed`` (Plex unreachable: nothing touched)."""
        with self.lock.hold(trigger):
            return self._run(trigger, dry_run, on_progress)

    def _run(self, trigger: str, dry_run: bool, on_progress: ProgressCallback | None) -> CycleReport:
        settings = self._settings()
        dry = dry_run or settings.TEST_MODE
        started = self.clock.now()
        self.recorder.close_interrupted(started)
        rb = ReportBuilder(self.recorder.start(trigger, started, dry), trigger, started, dry)
        prepared: Prepared | None = None
        try:
            moving = self.mover_running()
            if moving:
                return self._finish(rb, None, "skipped", f"skipped: {moving}; the next cycle runs as usual "
                                    "(Cacherr never fights the mover)")
            server = self.media_server()
            active = server.sessions() if settings.EXIT_IF_ACTIVE_SESSION else ()
            if active:
                users = ", ".join(sorted({s.user for s in active}))
                return self._finish(rb, None, "skipped", f"skipped: {len(active)} active play session(s) "
                                    f"({users}) and EXIT_IF_ACTIVE_SESSION is on")
            prepared = self._prepare(server, settings, started, rb=None if dry else rb)
            rb.problems.extend(prepared.problems)
            rb.add_plan_skips(prepared.plan)
            if dry:
                rb.add_planned(prepared.plan)
                return self._finish(rb, prepared.plan, "dry-run", "")
            self._execute(rb, prepared, settings, on_progress)
            self._after_execute(rb, prepared, settings)
            return self._finish(rb, prepared.plan, rb.status(), _failure_message(rb))
        except PlexUnavailable as exc:
            return self._finish(rb, None, "failed", plex_failure_message(str(exc), settings))
        except CacherrError as exc:
            return self._finish(rb, prepared.plan if prepared else None, "failed", str(exc))
        except Exception as exc:
            log.exception("cycle %s failed", rb.cycle_id)
            return self._finish(rb, prepared.plan if prepared else None, "failed",
                                f"unexpected error: {type(exc).__name__}: {exc} (see the log)")

    def recover_interrupted(self) -> list[str]:
        """The start-up step (``runtime.start_up``; the caller holds the lock): mark cycles a crash left
        "running" as failed, then finish or roll back the file operations it left half done."""
        self.recorder.close_interrupted(self.clock.now())
        return self._engine().recover()

    def recover_before_actions(self) -> list[str]:
        """``recover_interrupted`` for a restore or a real-time cache (caller holds the lock). When the engine
        cannot be built (``CacherrError``, e.g. a root that is a union view), this returns nothing and the
        hand-made plan's execution records that failure like any other (``run_actions``)."""
        try:
            return self.recover_interrupted()
        except CacherrError as exc:
            log.warning("recovery before the operation skipped: %s", exc)
            return []

    def _recover(self, rb: ReportBuilder) -> None:
        """Finish or roll back operations a crash left half done (we hold the cycle lock, so no other
        process is running one)."""
        done = self._engine().recover()
        if done:
            rb.problems.append(f"recovered {len(done)} interrupted file operation(s) first")
            rb.extra["recovered"] = list(done)

    def _prepare(self, server: MediaServer, settings: Settings, now: datetime, *,
                 rb: ReportBuilder | None = None) -> Prepared:
        """Read Plex first (it may be unreachable: then nothing has been touched). With ``rb`` (a real
        cycle) recover interrupted operations and save adopted files; without (dry run) change nothing."""
        mapper = PathMapper(settings.path_mappings())
        entries = self.registry.entries()
        adoption = self._adopt(server, mapper, entries, now)
        tracked = {e.item_key for e in (*entries, *adoption.entries) if e.item_key}
        snapshot, scrobbled = self._snapshot(server, tracked)
        if rb is not None and snapshot.read_note:
            rb.extra["plex_read"] = snapshot.read_note
        if rb is not None:
            self._recover(rb)
            current = self.registry.entries()  # recovery may have changed it; read once more, not per step
            stale = moved_back(current, self.disk)
            for e in stale:
                self.registry.remove(e.cache_path)
            gone = {e.cache_path for e in stale}
            kept = [e for e in current if e.cache_path not in gone]
            known = {e.cache_path for e in current}
            saved = [self.registry.upsert(e) for e in adoption.entries if e.cache_path not in known]
            entries = sorted([*kept, *saved], key=lambda e: e.cache_path)
        else:
            stale = moved_back(entries, self.disk)
            gone = {e.cache_path for e in stale}
            entries = [*(e for e in entries if e.cache_path not in gone), *adoption.entries]
        state = cache_state(self.disk, mapper, entries)
        policy = Policy.from_settings(settings, state.total_bytes)
        snapshot = apply_rules(snapshot, settings.library_rules(), settings.NUMBER_EPISODES)
        plan = build_plan(snapshot, state, policy, now)
        problems = list(snapshot.problems)
        if stale:
            problems.append(f"{len(stale)} cached file(s) were moved back to the array outside Cacherr (Unraid's "
                            "mover?); no longer tracked as cached: "
                            + ", ".join(e.title or e.cache_path for e in stale[:5])
                            + (" ..." if len(stale) > 5 else ""))
        if adoption.entries:
            problems.append(f"found {len(adoption.entries)} file(s) already on the cache; tracked as "
                            "pre-existing (they go back once watched)")
        return Prepared(snapshot, state, policy, plan, adoption.entries, tuple(problems), scrobbled)

    def _adopt(self, server: MediaServer, mapper: PathMapper, entries: Sequence[CacheEntry],
               now: datetime) -> Adoption:
        """Adopt files found on the cache. A video file Plex does not know (not scanned yet, or outside its
        libraries) is asked about again only after UNKNOWN_RECHECK, not every cycle: each question may
        cost a listing of a whole library section."""
        with self._unknown_lock:
            recent = {p for p, when in self._unknown.items() if now - when < UNKNOWN_RECHECK}
        adoption = adopt(server, self.disk, mapper, {e.cache_path for e in entries}, now, skip=recent)
        with self._unknown_lock:
            self._unknown = {p: w for p, w in self._unknown.items() if now - w < UNKNOWN_RECHECK}
            self._unknown.update((p, now) for p in adoption.unknown)
        return adoption

    def _snapshot(self, server: MediaServer, tracked: set[str]) -> tuple[Snapshot, tuple[str, ...]]:
        """The Plex snapshot with pending scrobbles merged into its watched state; and their item keys."""
        picks: tuple[TraktPick, ...] = ()
        source = self._trakt()
        if source is not None and self._settings().secret("TRAKT_CLIENT_ID"):
            try:
                picks = source.picks()
            except Exception:
                log.exception("Trakt lists could not be read; this cycle goes on without them")
        snap = server.snapshot(tracked, trakt=picks) if picks else server.snapshot(tracked)
        scrobbled = self.recorder.scrobbles()
        if not scrobbled:
            return snap, ()
        watched = dict(snap.watched_by)
        for key, users in scrobbled.items():
            watched[key] = watched.get(key, frozenset()) | users
        return replace(snap, watched_by=watched), tuple(sorted(scrobbled))

    def _execute(self, rb: ReportBuilder, prepared: Prepared, settings: Settings,
                 on_progress: ProgressCallback | None) -> None:
        plan = prepared.plan
        if not plan.actions:
            return
        results = execute_plan(self._engine(), plan, prepared.policy.mode, prepared.state.entries, on_progress)
        rb.add_results(results)

    def _after_execute(self, rb: ReportBuilder, prepared: Prepared, settings: Settings) -> None:
        """Registry bookkeeping after a real cycle: wanted items marked, scrobbles consumed, exclude file."""
        now = self.clock.now()
        cached = self.registry.paths()
        groups: dict[tuple[int, frozenset[str]], list[str]] = {}
        for wi in aggregate_wants(prepared.snapshot):
            paths = [f.cache_path for f in wi.item.files if f.cache_path in cached]
            if paths:
                groups.setdefault((int(wi.reason), wi.users), []).extend(paths)
        for (reason, users), paths in groups.items():
            self.registry.mark_wanted(paths, now, Reason(reason), users)
        # Only the scrobbles this plan used: one that arrived during the cycle counts at the next one.
        self.recorder.clear_scrobbles(prepared.scrobbled)
        problem = self.write_exclude(settings)
        if problem:
            rb.problems.append(problem)

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

    def _finish(self, rb: ReportBuilder, plan: Plan | None, status: str, message: str) -> CycleReport:
        settings = self._settings()
        try:
            total, free = self.disk.usage(cache_roots(PathMapper(settings.path_mappings())))
        except CacherrError:
            total, free = 0, 0
        used = self.registry.total_bytes()
        report = rb.build(self.clock.now(), status, free=free, used=used, message=message)
        self.recorder.finish(report, plan)
        if status not in ("dry-run",):
            self.recorder.sample_usage(report.finished_at, total - free, total, used, report.bytes_moved)
        notify(self._notifier(), report)
        level = logging.ERROR if status == "failed" else logging.WARNING if report.failed else logging.INFO
        log.log(level, "cycle %s (%s) %s: %d cached, %d given back, %d failed%s", report.cycle_id, rb.trigger, status,
                 len(report.cached), len(report.restored), len(report.failed), f" - {message}" if message else "")
        return report

    # --- single operations (services.restore, services.realtime) ------------------------------
    def restore_item(self, entry_id: int) -> CycleReport:
        """Give one cached file back to the array. Raises ``EntryNotFound``, ``CycleBusy``."""
        return restore.restore_item(self, entry_id)

    def restore_path(self, path: str) -> CycleReport:
        """Give back the cached file at ``path`` (inside the roots; else ``UnsafePath``)."""
        return restore.restore_path(self, path)

    def restore_all(self) -> CycleReport:
        """Give the whole cache back to the array (uninstalling, changing disks), pinned items too."""
        return restore.restore_all(self)

    def pin(self, entry_id: int, pinned: bool) -> CacheEntry:
        """Pin (never given back by a cycle) or unpin a cached file. Raises ``EntryNotFound``."""
        return restore.pin(self, entry_id, pinned)

    def cache_next_for_session(self, user: str, item_key: str, *, trigger: str = "realtime",
                               wait: float = 0.0) -> CycleReport | None:
        """Cache the next NUMBER_EPISODES episodes after ``item_key`` for ``user`` now (never gives back).
        None when nothing was needed. Raises ``CycleBusy`` when a cycle holds the lock past ``wait``."""
        return cache_next(self, user, item_key, trigger=trigger, wait=wait)

    def mark_scrobbled(self, item_key: str, user: str) -> None:
        """``user`` finished ``item_key``: count it as watched at the next cycle (Plex may lag)."""
        self.recorder.add_scrobble(item_key, user, self.clock.now())

    @cached_property
    def realtime(self) -> Realtime:
        """The background dispatcher for session starts and Plex webhooks."""
        return Realtime(self)

    def handle_plex_webhook(self, payload: Mapping[str, Any]) -> WebhookResult:
        return self.realtime.handle_plex_webhook(payload)

    # --- hand-made plans (restore, restore-all, real-time; see services.restore and .realtime) ---
    def run_actions(self, trigger: str, plan: Plan, entries: Sequence[CacheEntry], settings: Settings,
                    problems: Sequence[str] = ()) -> CycleReport:
        """Execute a hand-made plan (restore, restore-all, real-time) and record it like a cycle.
        The caller holds the lock."""
        started = self.clock.now()
        dry = settings.TEST_MODE
        rb = ReportBuilder(self.recorder.start(trigger, started, dry), trigger, started, dry)
        rb.problems.extend(problems)
        rb.add_plan_skips(plan)
        if dry:
            rb.add_planned(plan)
            return self._finish(rb, plan, "dry-run", "TEST_MODE is on: nothing was changed")
        try:
            if plan.actions:
                mode = Policy.from_settings(settings, 0).mode
                rb.add_results(execute_plan(self._engine(), plan, mode, entries))
                problem = self.write_exclude(settings)
                if problem:
                    rb.problems.append(problem)
        except CacherrError as exc:
            return self._finish(rb, plan, "failed", str(exc))
        except Exception as exc:
            log.exception("%s %s failed", trigger, rb.cycle_id)
            return self._finish(rb, plan, "failed", f"unexpected error: {type(exc).__name__}: {exc} (see the log)")
        return self._finish(rb, plan, rb.status(), _failure_message(rb))


def _failure_message(rb: ReportBuilder) -> str:
    if not rb.failed:
        return ""
    first = rb.failed[0]
    more = f" (and {len(rb.failed) - 1} more)" if len(rb.failed) > 1 else ""
    return f"{len(rb.failed)} operation(s) failed: {first.title}: {first.error}{more}"


def plex_failure_message(problem: str, settings: Any) -> str:
    """Why a cycle could not read Plex, said once ("PLEX_TOKEN is not set" is not "unreachable")."""
    tail = " Nothing was changed; check PLEX_URL and PLEX_TOKEN (cacherr doctor)"
    if not settings.secret("PLEX_TOKEN"):
        return "PLEX_TOKEN is not set: sign in with Plex in the dashboard's Setup, or set PLEX_TOKEN." \
               " Nothing was changed"
    problem = problem.rstrip(". ")
    prefix = "Plex is unreachable"
    while problem.lower().startswith(prefix.lower()):
        problem = problem[len(prefix):].lstrip(":. ")
    return f"{prefix}: {problem}.{tail}" if problem else f"{prefix}.{tail}"
