"""Background jobs started from the web (run a cycle, restore): one at a time, in a thread.

A request that starts one gets 202 and the job's id at once; the dashboard follows it through
``/api/v1/status``. A second start while one runs (or while the cycle service reports busy) gets 409.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from cacherr.domain.errors import CacherrError, CycleBusy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str  # cycle, dry-run, restore, restore-all
    started_at: str
    finished_at: str | None = None
    running: bool = True
    ok: bool | None = None
    message: str = ""


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class JobRunner:
    def __init__(self, busy: Callable[[], bool] = lambda: False) -> None:
        self._busy = busy
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._job: Job | None = None
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Job | None:
        return self._job

    def running(self) -> bool:
        return (self._job is not None and self._job.running) or bool(self._busy())

    def submit(self, kind: str, fn: Callable[[], object], describe: Callable[[object], str] = str) -> Job:
        """Start ``fn`` in a thread; raise ``CycleBusy`` when a job (or a cycle) is running."""
        with self._lock:
            if self.running():
                raise CycleBusy("a cycle or restore is already running; wait for it to finish")
            job = Job(next(self._ids), kind, _now())
            self._job = job
            self._thread = threading.Thread(target=self._run, args=(job, fn, describe),
                                            name=f"web-{kind}-{job.id}", daemon=True)
            self._thread.start()
            return job

    def _run(self, job: Job, fn: Callable[[], object], describe: Callable[[object], str]) -> None:
        ok, message = False, ""
        try:
            result = fn()
            ok, message = getattr(result, "status", "ok") != "failed", describe(result)
        except CycleBusy as exc:
            message = str(exc) or "another cycle is running"
        except CacherrError as exc:
            message = str(exc)
        except Exception as exc:
            log.exception("%s job failed", job.kind)
            message = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._job = replace(job, running=False, ok=ok, message=message, finished_at=_now())

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
