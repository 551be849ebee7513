"""Triggers inside ``cacherr serve``: the scheduled cycle (APScheduler 3, ``SCHEDULE`` as cron or interval),
the session watcher (polls Plex sessions every ``SESSION_POLL_SECONDS`` and caches next episodes when
someone starts playing) and the Plex webhook handler the web layer calls.

Every trigger goes through the ``CycleService``; its lock keeps one cycle at a time, so a scheduled
run that meets a manual one is skipped (and logged), never queued twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from cacherr.domain.errors import CycleBusy
from cacherr.domain.media import PlaySession
from cacherr.domain.quiet_hours import next_allowed, parse_windows
from cacherr.domain.report import CycleStatus, Trigger
from cacherr.services.cycle import CycleService
from cacherr.services.gates import quiet_reason
from cacherr.services.realtime_playing import playing_enabled
from cacherr.settings import Schedule, Settings

log = logging.getLogger(__name__)
CYCLE_JOB = "cycle"
SESSIONS_JOB = "sessions"


class SettingsSource(Protocol):
    @property
    def current(self) -> Settings: ...

    def subscribe(self, listener: Callable[[Settings], None]) -> None: ...


def trigger_for(schedule: Schedule, timezone: str) -> BaseTrigger | None:
    """The APScheduler trigger for ``SCHEDULE``; None for manual only."""
    if schedule.cron:
        return CronTrigger.from_crontab(schedule.cron, timezone=timezone)
    if schedule.interval_seconds:
        return IntervalTrigger(seconds=schedule.interval_seconds, timezone=timezone)
    return None


class CacheScheduler:
    """The background triggers. ``start()`` once; it follows settings changes until ``shutdown()``."""

    def __init__(self, service: CycleService, settings: SettingsSource) -> None:
        self.service = service
        self.settings = settings
        self._applied: tuple[Schedule, str, int] | None = None
        self._seen: set[tuple[str, str]] = set()
        self._first_seen: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()
        self._sched = BackgroundScheduler(
            timezone=settings.current.TZ,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
        self._subscribed = False

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._sched.running:
            return
        self.apply(self.settings.current)
        if not self._subscribed:
            self.settings.subscribe(self.apply)
            self._subscribed = True
        self._sched.start()
        log.info("scheduler started; next cycle: %s", self.next_run_time or "manual only")

    def shutdown(self, wait: bool = False) -> None:
        if self._sched.running:
            self._sched.shutdown(wait=wait)
        self.service.realtime.shutdown(wait=wait)

    @property
    def running(self) -> bool:
        return bool(self._sched.running)

    @property
    def next_run_time(self) -> datetime | None:
        """When the next scheduled cycle runs, quiet hours skipped (None: manual only, or not started)."""
        job = self._job(CYCLE_JOB)
        first = getattr(job, "next_run_time", None) if job is not None else None
        if first is None or job is None:
            return None
        s = self.settings.current
        windows = parse_windows(s.QUIET_HOURS)
        zone = ZoneInfo(s.TZ)
        trigger = job.trigger

        def following(previous: datetime) -> datetime | None:
            nxt: datetime | None = trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
            return nxt

        found = next_allowed(first.astimezone(zone), following, windows)
        return found.astimezone(zone) if found is not None else None

    def status(self) -> dict[str, Any]:
        s = self.settings.current
        return {"running": self.running, "next_run": self.next_run_time, "schedule": _describe(s.SCHEDULE),
                "quiet_hours": list(s.QUIET_HOURS),
                "session_poll_seconds": s.SESSION_POLL_SECONDS, "cycle_busy": self.service.busy}

    # --- settings -----------------------------------------------------------------------------
    def apply(self, settings: Settings) -> None:
        """(Re)schedule the jobs for these settings; a no-op when nothing relevant changed."""
        wanted = (settings.SCHEDULE, settings.TZ, settings.SESSION_POLL_SECONDS)
        with self._lock:
            if wanted == self._applied:
                return
            self._applied = wanted
            self._replace(CYCLE_JOB, trigger_for(settings.SCHEDULE, settings.TZ), self.run_scheduled_cycle)
            poll = settings.SESSION_POLL_SECONDS
            self._replace(SESSIONS_JOB, IntervalTrigger(seconds=poll) if poll > 0 else None, self.poll_sessions)
        log.info("schedule: %s; session polling: %s", _describe(settings.SCHEDULE),
                 f"every {settings.SESSION_POLL_SECONDS}s" if settings.SESSION_POLL_SECONDS else "off")

    def _replace(self, job_id: str, trigger: BaseTrigger | None, func: Callable[[], object]) -> None:
        if self._job(job_id) is not None:
            self._sched.remove_job(job_id)
        if trigger is not None:
            self._sched.add_job(func, trigger, id=job_id, name=job_id, replace_existing=True)

    def _job(self, job_id: str) -> Job | None:
        try:
            return self._sched.get_job(job_id)
        except Exception:  # noqa: BLE001  the job store may be gone after shutdown
            return None

    # --- jobs ---------------------------------------------------------------------------------
    def run_scheduled_cycle(self) -> None:
        quiet = quiet_reason(self.settings.current, self.service.clock.now())
        if quiet:
            log.info("scheduled cycle skipped: %s", quiet)
            return
        try:
            report = self.service.run(Trigger.SCHEDULE)
        except CycleBusy as exc:
            log.info("scheduled cycle skipped: %s", exc)
            return
        except Exception:
            log.exception("scheduled cycle failed")
            return
        if report.status == CycleStatus.FAILED:
            log.error("scheduled cycle failed: %s", report.message)

    def poll_sessions(self) -> list[tuple[str, str]]:
        """Start real-time caching for play sessions that were not there at the last poll."""
        try:
            sessions = self.service.sessions()
        except Exception as exc:  # noqa: BLE001  a failed poll is retried at the next tick
            log.debug("session poll failed: %s", exc)
            return []
        live = [s for s in sessions if s.state != "stopped"]
        current = {(s.user, s.item_key) for s in live}
        started = sorted(current - self._seen)
        self._seen = current
        for user, key in started:
            self.service.note_play_start(user, key, "session")
            self.service.realtime.submit(user, key, Trigger.SESSION)
        self._poll_playing(live, current)
        return started

    def _poll_playing(self, live: list[PlaySession], current: set[tuple[str, str]]) -> None:
        """Cache the playing item itself once it has played long enough (services.realtime_playing)."""
        now = self.service.clock.now()
        self._first_seen = {k: t for k, t in self._first_seen.items() if k in current}
        self.service.realtime.forget_playing(current)
        if not playing_enabled(self.settings.current):
            return
        for s in live:
            first = self._first_seen.setdefault((s.user, s.item_key), now)
            self.service.realtime.submit_playing(s, (now - first).total_seconds(), Trigger.SESSION)

    def handle_plex_webhook(self, payload: Mapping[str, Any]) -> dict[str, str]:
        """For ``POST /api/v1/webhook/plex`` (the web layer checks the secret and parses ``payload``)."""
        return self.service.handle_plex_webhook(payload).as_dict()


def _describe(schedule: Schedule) -> str:
    if schedule.cron:
        return f"cron {schedule.cron}"
    if schedule.interval_seconds:
        return f"every {schedule.interval_seconds}s"
    return "manual only"
