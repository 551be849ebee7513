"""What the web layer needs from the rest of Cacherr, behind small protocols.

``create_app`` takes a ``WebServices``; ``WebServices.from_container`` builds one from the bootstrap
``Container`` by duck typing (the web layer may not import bootstrap or adapters). Tests hand-write
fakes of the protocols below.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cacherr.domain.cache import Plan
from cacherr.domain.report import CycleReport
from cacherr.logs import RING
from cacherr.ports import Notifier
from cacherr.services.progress import ProgressBoard
from cacherr.services.queries import Queries
from cacherr.settings_store import SettingsStore

log = logging.getLogger(__name__)


class CycleRunner(Protocol):
    """The cycle service (``services/cycle.py``) as the web layer uses it."""

    def run(self, trigger: str, dry_run: bool = False) -> CycleReport: ...

    def preview(self) -> Plan: ...

    def last_plan(self) -> Plan | None: ...

    def restore_item(self, entry_id: int) -> object: ...

    def pin(self, entry_id: int, pinned: bool) -> object: ...

    def restore_all(self) -> object: ...


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
        except Exception:
            ok = False
        finally:
            self._busy.release()
        self.record(ok)


def _call(obj: Any, *names: str) -> Any:
    """The first of ``names`` found on ``obj``: called when callable, else returned."""
    for name in names:
        attr = getattr(obj, name, None)
        if attr is not None:
            return attr() if callable(attr) else attr
    return None


@dataclass
class WebServices:
    """Everything the web layer calls. Only ``store``, ``queries`` and ``progress`` are required."""

    store: SettingsStore
    queries: Queries
    progress: ProgressBoard = field(default_factory=ProgressBoard)
    cycle: CycleRunner | None = None
    scheduler: Any = None  # scheduler.py: next run info, running flag, handle_plex_webhook
    notifier: Callable[[], Notifier | None] | None = None
    plex_ping: Callable[[], bool] | None = None
    db_ping: Callable[[], bool] = lambda: True
    log_tail: Callable[[int, int], list[tuple[int, str, str]]] = RING.tail
    path_mapper: Callable[[], Any] | None = None
    trakt: Callable[[], Any] | None = None
    plex_account: Callable[[], Any] | None = None  # adapters.plex_account.PlexAccount, for setup
    checks: Callable[[], list[Any]] | None = None  # doctor.run_checks, wired by `cacherr serve`
    plex: PlexHealth = field(init=False)

    def __post_init__(self) -> None:
        self.plex = PlexHealth(self.plex_ping)

    # --- scheduler, duck typed -----------------------------------------------------------------
    def next_run(self) -> datetime | None:
        if self.scheduler is None:
            return None
        value = _call(self.scheduler, "next_run_time", "next_run", "next_cycle_at")
        if isinstance(value, dict):
            value = value.get("next_run") or value.get("next_cycle")
        return value if isinstance(value, datetime) else None

    def scheduler_running(self) -> bool | None:
        if self.scheduler is None:
            return None
        value = _call(self.scheduler, "running", "is_running", "healthy")
        return None if value is None else bool(value)

    def integrations(self) -> dict[str, dict[str, Any]]:
        """Health of the optional extras (notifications, Trakt) when they report one; never secrets."""
        out: dict[str, dict[str, Any]] = {}
        for name, factory in (("notifications", self.notifier), ("trakt", self.trakt)):
            try:
                obj = factory() if factory is not None else None
                health = getattr(obj, "health", None)
                if callable(health):
                    out[name] = dict(health())
            except Exception:
                log.debug("%s health failed", name, exc_info=True)
        return out

    def cycle_busy(self) -> bool:
        value = _call(self.cycle, "busy", "is_busy", "running") if self.cycle is not None else None
        return bool(value)

    def webhook_handler(self) -> Callable[[dict[str, Any]], object] | None:
        """The scheduler's Plex webhook handler, else the cycle service's; None when neither exists."""
        for owner in (self.scheduler, self.cycle):
            handler = getattr(owner, "handle_plex_webhook", None)
            if handler is not None:
                return handler  # type: ignore[no-any-return]
        return None

    @classmethod
    def from_container(cls, container: Any) -> WebServices:
        """Wire from the bootstrap ``Container`` (duck typed; capabilities not built yet are left out)."""
        progress = _call(container, "progress_board", "progress") or ProgressBoard()
        if not isinstance(progress, ProgressBoard):
            progress = ProgressBoard()
        cycle = optional(container, "cycle_service", "cycle")
        scheduler = optional(container, "scheduler")
        return cls(
            store=container.store, queries=container.queries, progress=progress, cycle=cycle,
            scheduler=scheduler,
            notifier=(lambda: optional(container, "notifier")),
            plex_ping=_plex_ping(container), db_ping=container.db.ping,
            path_mapper=container.path_mapper, trakt=(lambda: optional(container, "trakt")),
            plex_account=(lambda: optional(container, "plex_account")),
            checks=getattr(container, "extras", {}).get("doctor_checks"),
        )


def optional(container: Any, *names: str) -> Any:
    """A capability from the container, or None when it is not built (NotImplementedError)."""
    try:
        return _call(container, *names)
    except NotImplementedError:
        return None
    except Exception:
        log.exception("building %s failed", names[0])
        return None


def _plex_ping(container: Any) -> Callable[[], bool] | None:
    def ping() -> bool:
        server = optional(container, "media_server")
        return bool(server is not None and server.ping())

    return ping
