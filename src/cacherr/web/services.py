"""What the web layer needs from the rest of Cacherr, behind small protocols.

``create_app`` takes a ``WebServices``, built by the composition root (``Container.web_services()`` in
bootstrap; the web layer may not import bootstrap or adapters). Tests hand-write fakes of the protocols below.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from cacherr.domain.cache import Plan
from cacherr.domain.report import CycleReport, Trigger
from cacherr.domain.viewing import Exclusion, HitRate
from cacherr.ports import Notifier
from cacherr.services.progress import ProgressBoard
from cacherr.services.queries import Queries
from cacherr.settings_store import SettingsStore

log = logging.getLogger(__name__)


class CycleRunner(Protocol):
    """The cycle service (``services/cycle.py``) as the web layer uses it."""

    @property
    def busy(self) -> bool:
        """A cycle runs, in this process or another one (never takes the lock to ask)."""
        ...

    def run(self, trigger: Trigger, dry_run: bool = False) -> CycleReport: ...

    def preview(self) -> Plan: ...

    def last_plan(self) -> Plan | None: ...

    def restore_item(self, entry_id: int, keep_off: bool = False) -> object: ...

    def exclusions(self) -> Sequence[Exclusion]: ...

    def let_back_in(self, exclusion_id: int) -> Exclusion | None: ...

    def hit_rate(self, days: int = 7) -> HitRate: ...

    def pin(self, entry_id: int, pinned: bool) -> object: ...

    def restore_all(self) -> object: ...


class SchedulerStatus(Protocol):
    """The scheduler (``scheduler.CacheScheduler``) as the web layer uses it."""

    @property
    def running(self) -> bool: ...

    @property
    def next_run_time(self) -> datetime | None:
        """When the next scheduled cycle runs (None: manual only, or not started)."""
        ...

    def handle_plex_webhook(self, payload: dict[str, Any]) -> Mapping[str, str]:
        """Queue the work a Plex webhook asks for and answer at once."""
        ...


@runtime_checkable
class HealthReporter(Protocol):
    """An optional extra (notifications, Trakt) that can say how it is doing; never with secrets."""

    def health(self) -> Mapping[str, Any]: ...


class PlexHealth:
    """Plex reachability as last seen: pinged at most every ``ttl`` seconds, in the background, so a
    health check or a status poll never waits on Plex."""

    def __init__(self, ping: Callable[[], bool] | None, ttl: float = 30.0) -> None:
        self._ping = ping
        self._ttl = ttl
        self._ok: bool | None = None
        self._checked: float = 0.0
        self._checked_at: datetime | None = None
        self._busy = threading.Lock()

    def last(self) -> tuple[bool | None, datetime | None]:
        if self._ping is not None and time.monotonic() - self._checked > self._ttl and self._busy.acquire(False):
            threading.Thread(target=self._refresh, name="plex-ping", daemon=True).start()
        return self._ok, self._checked_at

    def record(self, ok: bool) -> None:
        self._ok, self._checked, self._checked_at = ok, time.monotonic(), datetime.now().astimezone()

    def _refresh(self) -> None:
        try:
            assert self._ping is not None
            ok = bool(self._ping())
        except Exception:  # noqa: BLE001  an unreachable Plex in any form reads as "not reachable"
            ok = False
        finally:
            self._busy.release()
        self.record(ok)


@dataclass
class WebServices:
    """Everything the web layer calls. Only ``store``, ``queries`` and ``progress`` are required."""

    store: SettingsStore
    queries: Queries
    progress: ProgressBoard = field(default_factory=ProgressBoard)
    cycle: CycleRunner | None = None
    scheduler: SchedulerStatus | None = None
    notifier: Callable[[], Notifier | None] | None = None
    plex_ping: Callable[[], bool] | None = None
    db_ping: Callable[[], bool] = lambda: True
    log_tail: Callable[[int, int], list[tuple[int, str, str]]] = lambda _after, _limit: []  # the container's ring
    path_mapper: Callable[[], Any] | None = None
    trakt: Callable[[], object | None] | None = None
    plex_account: Callable[[], Any] | None = None  # adapters.plex_account.PlexAccount, for setup
    checks: Callable[[], list[Any]] | None = None  # doctor.run_checks, wired by `cacherr serve`
    plex: PlexHealth = field(init=False)

    def __post_init__(self) -> None:
        self.plex = PlexHealth(self.plex_ping)

    # --- scheduler -----------------------------------------------------------------------------
    def next_run(self) -> datetime | None:
        return self.scheduler.next_run_time if self.scheduler is not None else None

    def scheduler_running(self) -> bool | None:
        return self.scheduler.running if self.scheduler is not None else None

    def integrations(self) -> dict[str, dict[str, Any]]:
        """Health of the optional extras (notifications, Trakt) when they report one; never secrets."""
        out: dict[str, dict[str, Any]] = {}
        for name, factory in (("notifications", self.notifier), ("trakt", self.trakt)):
            try:
                obj = factory() if factory is not None else None
                if isinstance(obj, HealthReporter):
                    out[name] = dict(obj.health())
            except Exception:
                log.debug("%s health failed", name, exc_info=True)
        return out

    def cycle_busy(self) -> bool:
        return self.cycle is not None and self.cycle.busy

    def webhook_handler(self) -> Callable[[dict[str, Any]], Mapping[str, str]] | None:
        """The scheduler's Plex webhook handler; None without a scheduler."""
        return self.scheduler.handle_plex_webhook if self.scheduler is not None else None


class ProvidesWebServices(Protocol):
    """What ``create_app`` accepts besides a ``WebServices``: the composition root (bootstrap's ``Container``)."""

    def web_services(self) -> WebServices: ...
