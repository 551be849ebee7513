"""Logging: readable console lines, a rotating file under ``$CONFIG_DIR/logs``, a ring buffer for the
dashboard's live tail, and a filter that redacts every configured secret from every record.

No logging state lives in this module: the composition root (bootstrap) owns a ``LogSinks`` (its ring buffer
and its redactor) and installs it with ``setup_logging``, which replaces the handlers an earlier call installed."""

from __future__ import annotations

import collections
import logging
import logging.handlers
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029\x85]")


def redact(text: str, terms: Iterable[str]) -> str:
    """``text`` with every term (longest first, see ``redaction.secret_terms``) replaced by ``****``."""
    for term in terms:
        if term in text:
            text = text.replace(term, "****")
    return text


class RedactSecrets(logging.Filter):
    """Replaces any configured secret value in a formatted message with ``****``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()

    def set_secrets(self, secrets: Iterable[str]) -> None:
        # Longest first so a secret containing another is redacted whole.
        self._secrets = tuple(sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  a bad format string: let the handler report it as usual
            return True
        if self._secrets:
            message = self.redact(message)
        if _CONTROL.search(message):  # a file name with a line break must not forge a log line
            message = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], message)
        record.msg, record.args = message, None
        if self._secrets:
            if record.exc_info and not record.exc_text:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = self.redact(record.exc_text)
        return True


class IsoTimeFormatter(logging.Formatter):
    """``FORMAT`` with the time as ISO 8601 with its UTC offset: the dashboard shows it with its one clock."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: ARG002  logging's signature
        from datetime import datetime

        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")


class RingBuffer(logging.Handler):
    """Keeps the last ``capacity`` formatted lines, numbered, for the dashboard's live tail."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self._lines: collections.deque[tuple[int, str, str]] = collections.deque(maxlen=capacity)
        self._seq = 0
        self._lock2 = threading.Lock()
        self.setFormatter(IsoTimeFormatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001  never let logging break the app
            return
        with self._lock2:
            self._seq += 1
            self._lines.append((self._seq, record.levelname, line))

    def tail(self, after: int = 0, limit: int = 200) -> list[tuple[int, str, str]]:
        with self._lock2:
            rows = [r for r in self._lines if r[0] > after]
        return rows[-limit:]


@dataclass(frozen=True)
class LogSinks:
    """One process's log state, made and owned by the composition root: the ring buffer the dashboard's live
    tail reads and the redactor every installed handler filters with."""

    ring: RingBuffer = field(default_factory=RingBuffer)
    redactor: RedactSecrets = field(default_factory=RedactSecrets)


def _installed_here(handler: logging.Handler) -> bool:
    """A handler ``setup_logging`` installed: it carries a ``RedactSecrets`` filter."""
    return any(isinstance(f, RedactSecrets) for f in handler.filters)


def setup_logging(level: str = "INFO", log_dir: Path | None = None, *, sinks: LogSinks,
                  console: bool = True) -> LogSinks:
    """Configure the root logger with ``sinks`` (idempotent: every handler is replaced, not added; the ones an
    earlier call installed are closed, so building a second container leaves one set of handlers)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
        if _installed_here(h):
            h.close()  # an earlier file or console handler (an open log file otherwise leaks)
    root.setLevel(level)
    handlers: list[logging.Handler] = [sinks.ring]
    if console:
        handlers.append(logging.StreamHandler())
    if log_dir is not None:
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.handlers.RotatingFileHandler(
                log_dir / "cacherr.log", maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"))
        except OSError as exc:
            logging.getLogger(__name__).warning("file log disabled: cannot write %s (%s)", log_dir, exc.strerror)
    fmt = logging.Formatter(FORMAT, DATEFMT)
    for h in handlers:
        if h is not sinks.ring:
            h.setFormatter(fmt)
        if sinks.redactor not in h.filters:
            h.addFilter(sinks.redactor)
        root.addHandler(h)
    for noisy in ("urllib3", "waitress", "apscheduler.executors.default", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    pool = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RetryNoiseToDebug) for f in pool.filters):
        pool.addFilter(RetryNoiseToDebug())
        logging.getLogger("urllib3.util.retry").addFilter(RetryNoiseToDebug())
    return sinks


class RetryNoiseToDebug(logging.Filter):
    """urllib3's "Retrying (Retry(total=2, ...))" warnings are library noise: the outcome is logged by
    Cacherr. They become DEBUG records, dropped unless LOG_LEVEL=DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith(("Retrying", "Connection pool is full")):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True
