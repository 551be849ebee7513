"""Process lifecycle, in one place: start-up, serve, stop.

- ``start_up(service)``: what every process does before anything else touches the cache: under the cycle lock,
  mark cycles a crash left "running" as failed, then finish or roll back the file operations it left half done.
  ``cacherr serve`` calls it at start; a cycle, a restore and a real-time cache take the same lock and run the same
  step (``CycleService.recover_interrupted``) before they execute anything, so the CLI needs no separate start-up.
- ``serve(container)``: ``cacherr serve``: start-up, the scheduler, the web server until SIGTERM/SIGINT, then stop.
- ``stop(container)``: the running copy is abandoned cleanly (its temporary file removed, journaled as rolled
  back), queued operations are not started, the scheduler stops; we wait up to ``STOP_GRACE_SECONDS`` for the
  cycle to record its end.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import TYPE_CHECKING

from cacherr.domain.errors import CycleBusy
from cacherr.domain.report import Trigger

if TYPE_CHECKING:
    from cacherr.bootstrap import Container
    from cacherr.services.cycle import CycleService

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 60.0


def start_up(service: CycleService) -> list[str]:
    """Close interrupted cycles and recover interrupted file operations, under the cycle lock. Skipped (with a
    log line) when a cycle of another process holds the lock: that process owns its operations."""
    try:
        with service.lock.hold(Trigger.RECOVERY):
            notes = service.recover_interrupted()
    except CycleBusy:
        log.info("recovery at start skipped: a cycle is running in another process (each cycle recovers first)")
        return []
    for note in notes:
        log.warning("recovery: %s", note)
    return notes


def wait_for_cycle_end(service: CycleService, timeout: float) -> bool:
    """Wait (bounded) for a cycle of this process to record its end after the engine was told to stop."""
    deadline = time.monotonic() + timeout
    while service.running_here:
        if time.monotonic() > deadline:
            log.warning("a cycle is still running after %.0f s; exiting anyway (the journal recovers it)", timeout)
            return False
        time.sleep(0.1)
    return True


def stop(container: Container, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop file operations and the scheduler, then wait (bounded) for the running cycle to record its end."""
    container.stop_file_operations()
    container.scheduler().shutdown()
    wait_for_cycle_end(container.cycle_service(), grace)


def serve(container: Container) -> None:
    """``cacherr serve``: start-up, then the scheduler, then the web server until SIGTERM."""
    from cacherr.web.app import create_app
    from cacherr.web.server import serve_forever

    start_up(container.cycle_service())
    container.scheduler().start()
    app = create_app(container.web_services())

    def reload(_signum: int, _frame: FrameType | None) -> None:
        # `kill -HUP` (or `docker kill -s HUP cacherr`): re-read cacherr_config.json after editing it by hand.
        try:
            container.store.reload()
            log.info("settings reloaded on SIGHUP")
        except Exception as exc:  # noqa: BLE001  a bad file keeps the running settings; say why
            log.error("settings not reloaded on SIGHUP: %s", exc)

    signal.signal(signal.SIGHUP, reload)
    settings = container.settings
    serve_forever(app, settings.WEB_HOST, settings.WEB_PORT, on_stop=lambda: stop(container))
