"""Keeping notification URLs out of the logs.

Apprise URLs carry their secrets in every part: ``discord://<webhook_id>/<token>``,
``tgram://<bot_token>/<chat_id>``, ``json://user:pass@host/path``, ``pover://<user>@<token>``. Apprise
masks passwords itself, but logs hosts and paths at DEBUG, and so does urllib3. ``SecretScrubber`` is a
filter on those loggers that replaces every part of every configured URL with ``****``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

from cacherr.settings import mask

_URL_RE = re.compile(r"\b([a-z][a-z0-9+.\-]{1,15})://[^\s'\"<>]*[^\s'\"<>.,:;)]", re.IGNORECASE)
_BENIGN = {"localhost", "127.0.0.1", "method", "post", "get", "true", "false", "yes", "no"}
_MIN_PART = 6  # shorter path or query pieces are words like "hook", not secrets
SCRUBBED_LOGGERS = ("apprise", "urllib3.connectionpool")


def mask_urls_in(text: str) -> str:
    """Replace every ``scheme://anything`` in ``text`` with ``scheme://****``."""
    return _URL_RE.sub(lambda m: mask(m.group(0)), text)


def secret_parts(url: str) -> set[str]:
    """The pieces of an Apprise URL that may be secret: credentials, host-as-token, path, query values."""
    parts = {url}
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    userinfo, _, hostport = split.netloc.rpartition("@")
    parts |= {unquote(p) for p in re.split(r"[:@]", userinfo) if len(p) >= 4}
    # The host is a token for many services (discord://<id>/<token>); real host names have dots.
    parts |= {p for p in hostport.split(":") if len(p) >= _MIN_PART and "." not in p}
    parts |= {unquote(p) for p in split.path.split("/") if len(p) >= _MIN_PART}
    parts |= {v for _k, v in parse_qsl(split.query) if len(v) >= _MIN_PART}
    return {p for p in parts if p.lower() not in _BENIGN}


class SecretScrubber(logging.Filter):
    """Redacts configured notification secrets from records of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add_urls(self, urls: Iterable[str]) -> None:
        """Redact these URLs' parts too. Earlier ones stay: a URL removed from the settings is no less
        secret, and several notifiers may share the process."""
        with self._lock:
            parts = set(self._parts)
            for url in urls:
                parts |= secret_parts(url)
            self._parts = tuple(sorted(parts, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for part in self._parts:
            text = text.replace(part, "****")
        return mask_urls_in(text) if "://" in text else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._parts:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001  a malformed record: leave it to logging's own error handling
                return True
            record.msg, record.args = self.scrub(message), None
        return True


SCRUBBER = SecretScrubber()


def install_scrubber(urls: Iterable[str]) -> SecretScrubber:
    """Add ``urls`` to the shared scrubber and attach it (once) to the noisy loggers."""
    SCRUBBER.add_urls(urls)
    for name in SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if SCRUBBER not in logger.filters:
            logger.addFilter(SCRUBBER)
    return SCRUBBER
