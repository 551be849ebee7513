"""Notifications through Apprise (``ports.Notifier``), and Unraid's own notification system.

The only module that imports apprise. Every send runs in a worker thread that the caller waits for at
most ``timeout`` seconds: a receiver that fails or hangs is logged and recorded in ``health()``, and
never fails or delays a cycle beyond that. URLs are secrets: logs, health and messages show them
masked (``discord://****``).

Unraid: when the host's notify script is mounted into the container (``-v /usr/local/emhttp:
/usr/local/emhttp:ro`` and ``-v /tmp/notifications:/tmp/notifications``), it is called as
``notify -e Cacherr -s <title> -d <first line> -i normal|warning|alert -m <body>``.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import apprise

from cacherr.adapters.notify_secrets import SCRUBBER, install_scrubber, mask_urls_in
from cacherr.domain.report import CycleReport, OpOutcome
from cacherr.services.notify_text import (
    cycle_has_errors,
    cycle_is_quiet,
    cycle_severity,
    format_cycle_summary,
    format_operation,
)
from cacherr.settings import Settings, mask

log = logging.getLogger(__name__)

DEFAULT_UNRAID_NOTIFY = "/usr/local/emhttp/webGui/scripts/notify"
LEVELS = ("summary", "errors", "every")
SEVERITIES = ("info", "success", "warning", "failure")
UNRAID_IMPORTANCE = {"info": "normal", "success": "normal", "warning": "warning", "failure": "alert"}
_APPRISE_TYPE = {"info": apprise.NotifyType.INFO, "success": apprise.NotifyType.SUCCESS,
                 "warning": apprise.NotifyType.WARNING, "failure": apprise.NotifyType.FAILURE}
UNRAID_LABEL = "unraid"
QUEUE_SIZE = 200  # background (per-operation) messages waiting to be sent


def _now() -> datetime:
    return datetime.now(UTC)


class _LastWarning(logging.Handler):
    """Remembers apprise's latest warning (it says why a delivery failed; its result does not)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seq = 0
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.text = SCRUBBER.scrub(record.getMessage())
        except Exception:  # never let logging break a send
            return
        self.seq += 1


_APPRISE_WARNINGS = _LastWarning()


@dataclass
class _Target:
    label: str  # masked, safe to show
    url: str = ""  # empty for the Unraid script
    client: Any = None  # apprise.Apprise
    error: str = ""  # why the URL could not be loaded


@dataclass
class _Health:
    sent: int = 0
    failed: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str = ""
    last_title: str = ""
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)


class AppriseNotifier:
    """``ports.Notifier`` over Apprise URLs and, where mounted, Unraid's notify script."""

    def __init__(self, urls: Sequence[str] = (), *, level: str = "summary", timeout: float = 10.0,
                 unraid_script: str = DEFAULT_UNRAID_NOTIFY, max_pending: int = 2,
                 clock: Callable[[], datetime] = _now) -> None:
        self._lock = threading.Lock()
        self._health = _Health()
        self._pending = 0
        self._max_pending = max_pending
        self._clock = clock
        self.timeout = timeout
        self.level = "summary"
        self.unraid_script = ""
        self._targets: list[_Target] = []
        self._queue: queue.Queue[tuple[str, str, str]] = queue.Queue(maxsize=QUEUE_SIZE)
        self._queue_worker: threading.Thread | None = None
        apprise_log = logging.getLogger("apprise")
        if _APPRISE_WARNINGS not in apprise_log.handlers:
            apprise_log.addHandler(_APPRISE_WARNINGS)
        self.configure(urls, level=level, unraid_script=unraid_script, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppriseNotifier:
        return cls(**cls.settings_kwargs(settings))

    @staticmethod
    def settings_kwargs(settings: Settings) -> dict[str, Any]:
        return {"urls": [u.get_secret_value() for u in settings.NOTIFY_URLS], "level": settings.NOTIFY_LEVEL,
                "timeout": settings.NOTIFY_TIMEOUT, "unraid_script": settings.UNRAID_NOTIFY_SCRIPT}

    def configure(self, urls: Sequence[str], *, level: str, unraid_script: str, timeout: float) -> None:
        """Apply new settings (after a reload); the health record is kept."""
        if level not in LEVELS:
            raise ValueError(f"NOTIFY_LEVEL={level!r}: expected one of {', '.join(LEVELS)}")
        install_scrubber(urls)
        targets = [self._load(i, url) for i, url in enumerate(u.strip() for u in urls if u.strip())]
        with self._lock:
            self._targets, self.level, self.unraid_script, self.timeout = targets, level, unraid_script, timeout

    @staticmethod
    def _load(index: int, url: str) -> _Target:
        target = _Target(label=f"#{index + 1} {mask(url)}", url=url)
        client = apprise.Apprise(asset=apprise.AppriseAsset(secure_logging=True))
        if client.add(url):
            target.client = client
        else:
            target.error = "not a valid Apprise URL (check its scheme and parts)"
            log.warning("notification target %s: %s", target.label, target.error)
        return target

    # --- what to send ---------------------------------------------------------------------
    @property
    def unraid_available(self) -> bool:
        path = self.unraid_script
        return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)

    @property
    def enabled(self) -> bool:
        return bool(self._targets) or self.unraid_available

    def cycle_finished(self, report: CycleReport) -> bool:
        """Send the cycle summary when the level asks for it; True when delivered."""
        if self.level == "errors" and not cycle_has_errors(report):
            return False
        if self.level != "errors" and cycle_is_quiet(report):
            return False
        title, body = format_cycle_summary(report)
        return self.notify(title, body, level=cycle_severity(report))

    def operation_done(self, outcome: OpOutcome) -> bool:
        """At level ``every``, send one message per operation without waiting for it (True when queued)."""
        if self.level != "every":
            return False
        title, body, severity = format_operation(outcome)
        return self.notify(title, body, level=severity, wait=False)

    def send_test(self) -> tuple[bool, str]:
        """The dashboard's "send test notification": (delivered, what happened, secrets masked)."""
        if not self.enabled:
            return False, ("No notification targets: set NOTIFY_URLS, or mount Unraid's notify script "
                           f"at {self.unraid_script or DEFAULT_UNRAID_NOTIFY}.")
        ok = self.notify("Cacherr test notification",
                         "If you can read this, Cacherr's notifications reach you.", level="info")
        labels = ", ".join(self._labels())
        if ok:
            return True, f"Delivered to {labels}."
        return False, f"Not delivered: {self._health.last_error or 'unknown error'}"

    # --- sending ----------------------------------------------------------------------------
    def notify(self, title: str, body: str, *, level: str = "info", wait: bool = True) -> bool:
        """Send to every target; True when all delivered. Never raises; waits at most ``timeout``."""
        severity = level if level in SEVERITIES else "info"
        if not self.enabled:
            log.debug("notification not sent (no targets): %s", title)
            return False
        if not wait:
            return self._enqueue(title, body, severity)
        with self._lock:
            busy = self._pending
            if busy < self._max_pending:
                self._pending += 1
        if busy >= self._max_pending:
            self._record_failure(title, f"{busy} earlier notifications still hanging; skipped")
            return False
        done = threading.Event()
        state = {"late": False}
        failures: list[str] = []
        state_lock = threading.Lock()

        def work() -> None:
            try:
                errors = self._deliver(title, body, severity)
            except Exception as exc:  # the worker must never die silently
                errors = [f"{type(exc).__name__}: {mask_urls_in(str(exc))}"]
            with self._lock:
                self._pending -= 1
            with state_lock:  # record before waking the caller, so health is current when it returns
                if state["late"]:  # the caller already recorded the timeout
                    log.info("late notification result for %r: %s", title, "; ".join(errors) or "delivered")
                else:
                    self._record(title, errors)
                failures.extend(errors)
                done.set()

        threading.Thread(target=work, name="cacherr-notify", daemon=True).start()
        if done.wait(self.timeout):
            return not failures
        with state_lock:
            timed_out = not done.is_set()
            state["late"] = timed_out
        if timed_out:
            self._record_failure(title, f"timed out after {self.timeout:g}s (receiver did not answer)")
            return False
        return not failures

    def _enqueue(self, title: str, body: str, severity: str) -> bool:
        try:
            self._queue.put_nowait((title, body, severity))
        except queue.Full:
            self._record_failure(title, f"{QUEUE_SIZE} notifications already waiting; skipped")
            return False
        with self._lock:
            if self._queue_worker is None or not self._queue_worker.is_alive():
                self._queue_worker = threading.Thread(target=self._drain, name="cacherr-notify-queue",
                                                      daemon=True)
                self._queue_worker.start()
        return True

    def _drain(self) -> None:
        while True:
            title, body, severity = self._queue.get()
            try:
                self._record(title, self._deliver(title, body, severity))
            except Exception as exc:  # the worker must outlive any one message
                self._record_failure(title, f"{type(exc).__name__}: {mask_urls_in(str(exc))}")
            finally:
                self._queue.task_done()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until background messages are sent (tests, shutdown); False if some still wait."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._queue.unfinished_tasks

    def _deliver(self, title: str, body: str, severity: str) -> list[str]:
        errors = []
        for target in list(self._targets):
            error = target.error or self._send_apprise(target, title, body, severity)
            self._record_target(target.label, error)
            if error:
                errors.append(f"{target.label}: {error}")
        if self.unraid_available:
            error = self._send_unraid(title, body, severity)
            self._record_target(UNRAID_LABEL, error)
            if error:
                errors.append(f"{UNRAID_LABEL}: {error}")
        return errors

    @staticmethod
    def _send_apprise(target: _Target, title: str, body: str, severity: str) -> str:
        seq = _APPRISE_WARNINGS.seq
        ok = target.client.notify(title=title, body=body, notify_type=_APPRISE_TYPE[severity])
        if ok:
            return ""
        return _APPRISE_WARNINGS.text if _APPRISE_WARNINGS.seq != seq else "delivery failed"

    def _send_unraid(self, title: str, body: str, severity: str) -> str:
        first = body.strip().splitlines()[0] if body.strip() else title
        argv = [self.unraid_script, "-e", "Cacherr", "-s", title, "-d", first,
                "-i", UNRAID_IMPORTANCE[severity], "-m", body]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"notify script failed: {type(exc).__name__}: {exc}"
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()[:200]
            return f"notify script exited {done.returncode}" + (f": {detail}" if detail else "")
        return ""

    # --- health -----------------------------------------------------------------------------
    def _record_target(self, label: str, error: str) -> None:
        with self._lock:
            self._health.targets[label] = {"ok": not error, "at": self._clock().isoformat(), "error": error}

    def _record(self, title: str, errors: list[str]) -> None:
        if errors:
            self._record_failure(title, "; ".join(errors))
        else:
            self._record_success(title)

    def _record_success(self, title: str) -> None:
        with self._lock:
            self._health.sent += 1
            self._health.last_success = self._clock()
            self._health.last_title = title
        log.info("notification sent: %s", title)

    def _record_failure(self, title: str, error: str) -> None:
        error = SCRUBBER.scrub(error)
        with self._lock:
            self._health.failed += 1
            self._health.last_failure = self._clock()
            self._health.last_error = error
            self._health.last_title = title
        log.warning("notification %r not delivered: %s", title, error)

    def _labels(self) -> list[str]:
        labels = [t.label for t in self._targets]
        return [*labels, UNRAID_LABEL] if self.unraid_available else labels

    def health(self) -> dict[str, Any]:
        """For the dashboard: targets (masked), level, last success/failure and why. No secrets."""
        with self._lock:
            h = self._health
            ok = h.last_failure is None or (h.last_success is not None and h.last_success > h.last_failure)
            return {
                "configured": self.enabled,
                "ok": ok,
                "level": self.level,
                "targets": self._labels(),
                "invalid_targets": [t.label for t in self._targets if t.error],
                "unraid_script": self.unraid_script if self.unraid_available else "",
                "sent": h.sent,
                "failed": h.failed,
                "last_success": h.last_success.isoformat() if h.last_success else None,
                "last_failure": h.last_failure.isoformat() if h.last_failure else None,
                "last_error": h.last_error,
                "last_title": h.last_title,
                "per_target": {k: dict(v) for k, v in h.targets.items()},
            }
