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
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from cacherr.domain.cache import CacheEntry, CacheState, Plan
from cacherr.domain.errors import CacherrError, PlexUnavailable
from cacherr.domain.media import PlaySession, Reason, Snapshot
from cacherr.domain.paths import PathMapper
from cacherr.domain.report import CycleReport, CycleStatus, Trigger
from cacherr.domain.viewing import Exclusion, HitRate
from cacherr.planning import Policy, aggregate_wants, build_plan
from cacherr.planning.library_rules import apply_rules
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
    ProgressCallback,
    SingleFlight,
    TraktPick,
    TraktSource,
)
from cacherr.services.cache_scan import Adoption, adopt, cache_state, moved_back
from cacherr.services.cycle_exec import ReportBuilder, execute_plan
from cacherr.services.fresh_downloads import MoverFiles, gone_upgrades, notes, sort_adoption
from cacherr.services.gc_pause import collector_paused
from cacherr.services.realtime import Realtime, WebhookResult, cache_next
from cacherr.services.restore import Restorer
from cacherr.services.runner import ActionRunner, MediaServers, SystemClock, failure_message
from cacherr.services.upgrades import SameName, only_on_cache, only_on_cache_note, same_name, with_discards
from cacherr.services.upgrades import notes as same_name_notes
from cacherr.settings import Settings

__all__ = ["CycleService", "Prepared", "SystemClock", "plex_failure_message"]
log = logging.getLogger(__name__)
UNKNOWN_RECHECK = timedelta(hours=6)


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


class CycleService:
    """Runs cache cycles; the front door (CLI, web, scheduler) to the restores and real time beside them."""

    def __init__(self, *, settings: Callable[[], Settings], media_server: Callable[[], MediaServer],
                 engine: Callable[[], FileEngine], registry: CacheRegistry, history: CycleHistory,
                 lock: SingleFlight, disk: DiskProbe, clock: Clock | None = None,
                 notifier: Callable[[], Notifier | None] | None = None,
                 trakt: Callable[[], TraktSource | None] | None = None,
                 mover: Callable[[], MoverWatch | None] | None = None, kept_off: KeptOff | None = None,
                 plays: PlayStarts | None = None) -> None:
        self._settings = settings
        self.runner = ActionRunner(settings=settings, engine=engine, registry=registry, history=history, lock=lock,
                                   disk=disk, clock=clock, notifier=notifier, mover=mover, kept_off=kept_off,
                                   plays=plays)
        self.servers = MediaServers(settings, media_server)
        self.restorer = Restorer(self.runner, self.servers)
        self._trakt = trakt or (lambda: None)
        self._unknown: dict[str, datetime] = {}  # cache path -> when Plex last did not know it
        self._unknown_lock = threading.Lock()  # preview() adopts outside the cycle lock, concurrently with a cycle
        self._mover_files = MoverFiles()  # fresh downloads left to the mover (FRESH_DOWNLOAD_DAYS)

    # --- the collaborators, for callers and tests -------------------------------------------------
    @property
    def lock(self) -> SingleFlight:
        return self.runner.lock

    @property
    def registry(self) -> CacheRegistry:
        return self.runner.registry

    @property
    def recorder(self) -> CycleHistory:
        return self.runner.history

    @property
    def clock(self) -> Clock:
        return self.runner.clock

    @property
    def disk(self) -> DiskProbe:
        return self.runner.disk

    def current_settings(self) -> Settings:
        return self._settings()

    def media_server(self) -> MediaServer:
        """The media server for the current settings (``MediaServers``)."""
        return self.servers.current()

    def usage(self) -> tuple[int, int]:
        """(total, free) bytes of the cache filesystem(s)."""
        return self.runner.usage()

    def mover_running(self) -> str | None:
        """Why Unraid's mover counts as running now (cycles and real time wait for it), or None."""
        return self.runner.mover_running()

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
        return self.servers.sessions()

    def preview(self) -> Plan:
        """The plan a cycle would carry out now. Changes nothing, records nothing."""
        settings = self._settings()
        return self._prepare(self.media_server(), settings, self.clock.now()).plan

    # --- the cycle ----------------------------------------------------------------------------
    def run(self, trigger: Trigger = Trigger.MANUAL, dry_run: bool = False,
            on_progress: ProgressCallback | None = None) -> CycleReport:
        """One full cycle. Raises ``CycleBusy`` when another one holds the lock; every other failure
        is recorded and returned as a report with status ``failed`` (Plex unreachable: nothing touched)."""
        with self.lock.hold(trigger):
            return self._run(trigger, dry_run, on_progress)

    def _run(self, trigger: Trigger, dry_run: bool, on_progress: ProgressCallback | None) -> CycleReport:
        settings = self._settings()
        dry = dry_run or settings.TEST_MODE
        started = self.clock.now()
        self.recorder.close_interrupted(started)
        rb = self.runner.begin(trigger, started, dry)
        finish = self.runner.finish
        prepared: Prepared | None = None
        try:
            moving = self.mover_running()
            if moving:
                return finish(rb, None, CycleStatus.SKIPPED, f"skipped: {moving}; the next cycle runs as usual "
                              "(Cacherr never fights the mover)")
            server = self.media_server()
            active = server.sessions() if settings.EXIT_IF_ACTIVE_SESSION else ()
            if active:
                users = ", ".join(sorted({s.user for s in active}))
                return finish(rb, None, CycleStatus.SKIPPED, f"skipped: {len(active)} active play session(s) "
                              f"({users}) and EXIT_IF_ACTIVE_SESSION is on")
            prepared = self._prepare(server, settings, started, rb=None if dry else rb)
            rb.problems.extend(prepared.problems)
            rb.add_plan_skips(prepared.plan)
            if dry:
                rb.add_planned(prepared.plan)
                return finish(rb, prepared.plan, CycleStatus.DRY_RUN, "")
            self._execute(rb, prepared, on_progress)
            self._after_execute(rb, prepared, settings)
            return finish(rb, prepared.plan, rb.status(), failure_message(rb))
        except PlexUnavailable as exc:
            return finish(rb, None, CycleStatus.FAILED, plex_failure_message(str(exc), settings))
        except CacherrError as exc:
            return finish(rb, prepared.plan if prepared else None, CycleStatus.FAILED, str(exc))
        except Exception as exc:
            log.exception("cycle %s failed", rb.cycle_id)
            return finish(rb, prepared.plan if prepared else None, CycleStatus.FAILED,
                          f"unexpected error: {type(exc).__name__}: {exc} (see the log)")

    def recover_interrupted(self) -> list[str]:
        """The start-up step (``runtime.start_up``; the caller holds the lock): see ``ActionRunner``."""
        return self.runner.recover_interrupted()

    def _recover(self, rb: ReportBuilder) -> None:
        """Finish or roll back operations a crash left half done (we hold the cycle lock, so no other
        process is running one)."""
        done = self.runner.engine().recover()
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
        adoption = sort_adoption(adoption, snapshot, settings.FRESH_DOWNLOAD_DAYS, now, self._mover_files)
        if rb is not None:
            self._recover(rb)
            current = self.registry.entries()  # recovery may have changed it; read once more, not per step
            stale = moved_back(current, self.disk)
            upgraded = gone_upgrades([e for e in current if e not in stale], snapshot, self.disk)
            for e in (*stale, *upgraded):
                self.registry.remove(e.cache_path)
            gone = {e.cache_path for e in (*stale, *upgraded)}
            kept = [e for e in current if e.cache_path not in gone]
            known = {e.cache_path for e in current}
            saved = [self.registry.upsert(e) for e in adoption.entries if e.cache_path not in known]
            entries = sorted([*kept, *saved], key=lambda e: e.cache_path)
        else:
            stale = moved_back(entries, self.disk)
            upgraded = gone_upgrades([e for e in entries if e not in stale], snapshot, self.disk)
            gone = {e.cache_path for e in (*stale, *upgraded)}
            entries = [*(e for e in entries if e.cache_path not in gone), *adoption.entries]
        same = same_name(entries, snapshot, self.disk)  # same-name upgrades (services.upgrades)
        orphans = only_on_cache(entries, snapshot, self.disk)
        entries = self._same_name_rows(entries, same, saving=rb is not None)
        state = cache_state(self.disk, mapper, entries)
        policy = self.runner.policy(settings, state.total_bytes)
        snapshot = apply_rules(snapshot, settings.library_rules(), settings.NUMBER_EPISODES,
                               settings.EPISODES_AHEAD_MINUTES)
        with collector_paused():  # a full collection over the snapshot's heap costs more than the plan
            plan = with_discards(build_plan(snapshot, state, policy, now), same.stale if policy.give_back else ())
        problems = list(snapshot.problems)
        if stale:
            problems.append(f"{len(stale)} cached file(s) were moved back to the array outside Cacherr (Unraid's "
                            "mover?); no longer tracked as cached: "
                            + ", ".join(e.title or e.cache_path for e in stale[:5])
                            + (" ..." if len(stale) > 5 else ""))
        problems.extend(notes(upgraded, entries, snapshot, adoption.entries, settings.FRESH_DOWNLOAD_DAYS))
        problems.extend([*same_name_notes(same), *only_on_cache_note(orphans)])
        return Prepared(snapshot, state, policy, plan, adoption.entries, tuple(problems), scrobbled)

    def _same_name_rows(self, entries: list[CacheEntry], same: SameName, *, saving: bool) -> list[CacheEntry]:
        """The entries the planner sees: stale copies hidden (their discard comes first, then the new file may be
        cached), rows whose cache copy is the new file refreshed (and saved, in a real cycle)."""
        fresh = {e.cache_path: (self.registry.upsert(e) if saving else e) for e in same.replaced}
        return [fresh.get(e.cache_path, e) for e in entries if e.cache_path not in same.hidden]

    def _adopt(self, server: MediaServer, mapper: PathMapper, entries: Sequence[CacheEntry],
               now: datetime) -> Adoption:
        """Adopt files found on the cache. A video file Plex does not know (not scanned yet, or outside its
        libraries) is asked about again only after UNKNOWN_RECHECK, not every cycle: each question may
        cost a listing of a whole library section."""
        with self._unknown_lock:
            recent = {p for p, when in self._unknown.items() if now - when < UNKNOWN_RECHECK}
        recent |= self._mover_files.skip(now)
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

    def _execute(self, rb: ReportBuilder, prepared: Prepared, on_progress: ProgressCallback | None) -> None:
        plan = prepared.plan
        if not plan.actions:
            return
        engine = self.runner.engine()
        rb.add_results(execute_plan(engine, plan, prepared.policy.mode, prepared.state.entries, on_progress))

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
        problem = self.runner.write_exclude(settings)
        if problem:
            rb.problems.append(problem)

    # --- single operations (services.restore, services.realtime) ------------------------------
    def restore_item(self, entry_id: int, keep_off: bool = False) -> CycleReport:
        """Give one cached file back to the array; ``keep_off``: every file of its item, and keep the item off the
        cache until it is let back in (``let_back_in``). Raises ``EntryNotFound``, ``CycleBusy``."""
        return self.restorer.restore_item(entry_id, keep_off=keep_off)

    def exclusions(self) -> list[Exclusion]:
        """The items kept off the cache, newest first."""
        return self.runner.kept_off.all() if self.runner.kept_off is not None else []

    def let_back_in(self, exclusion_id: int) -> Exclusion | None:
        """The next cycle may cache the item again; the removed exclusion, or None when unknown."""
        return self.runner.kept_off.remove(exclusion_id) if self.runner.kept_off is not None else None

    def note_play_start(self, user: str, item_key: str, source: str = "session") -> bool:
        """A play started (session watcher, webhook): recorded for the hit rate. Never raises."""
        return self.runner.note_play_start(user, item_key, source)

    def hit_rate(self, days: int = 7) -> HitRate:
        """Of the plays started in the last ``days``, how many were served from the cache, per user."""
        if self.runner.plays is None:
            return HitRate("", days, 0, 0, ())
        return self.runner.plays.hit_rate(self.clock.now(), days)

    def restore_path(self, path: str) -> CycleReport:
        """Give back the cached file at ``path`` (inside the roots; else ``UnsafePath``)."""
        return self.restorer.restore_path(path)

    def restore_all(self) -> CycleReport:
        """Give the whole cache back to the array (uninstalling, changing disks), pinned items too."""
        return self.restorer.restore_all()

    def pin(self, entry_id: int, pinned: bool) -> CacheEntry:
        """Pin (never given back by a cycle) or unpin a cached file. Raises ``EntryNotFound``."""
        return self.restorer.pin(entry_id, pinned)

    def cache_next_for_session(self, user: str, item_key: str, *, trigger: Trigger = Trigger.REALTIME,
                               wait: float = 0.0) -> CycleReport | None:
        """Cache the next NUMBER_EPISODES episodes after ``item_key`` for ``user`` now (never gives back).
        None when nothing was needed. Raises ``CycleBusy`` when a cycle holds the lock past ``wait``."""
        return cache_next(self.runner, self.servers, user, item_key, trigger=trigger, wait=wait)

    def mark_scrobbled(self, item_key: str, user: str) -> None:
        """``user`` finished ``item_key``: count it as watched at the next cycle (Plex may lag)."""
        self.runner.mark_scrobbled(item_key, user)

    @cached_property
    def realtime(self) -> Realtime:
        """The background dispatcher for session starts and Plex webhooks."""
        return Realtime(self.runner, self.servers)

    def handle_plex_webhook(self, payload: Mapping[str, Any]) -> WebhookResult:
        return self.realtime.handle_plex_webhook(payload)


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
