"""Trakt's trending, popular and anticipated lists (``ports.TraktSource``), on plain ``requests``.

The maintained Trakt packages do not cover these lists (with paging) well, and six public GETs need no
OAuth: headers ``trakt-api-key``, ``trakt-api-version: 2``, ``Content-Type: application/json``; paging
with ``page``/``limit`` read back from ``X-Pagination-*``; 429 answered by waiting ``Retry-After``
(bounded). Results are cached in memory for ``cache_hours``. Any failure (outage, bad key, garbage)
degrades to "no Trakt items this cycle": ``picks()`` returns ``()``, logs once and records a message in
``health()``; it never raises into a cycle.

Matching picks to the library (imdb/tmdb/tvdb ids against Plex guids) is the Plex adapter's job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from cacherr import __version__
from cacherr.ports import TraktPick
from cacherr.settings import TRAKT_LIST_NAMES, Settings

log = logging.getLogger(__name__)

TRAKT_API = "https://api.trakt.tv"
ID_KEYS = ("imdb", "tmdb", "tvdb", "slug", "trakt")
MAX_PAGES = 10


class TraktUnavailable(Exception):
    """Trakt could not give us this list now (the message is for the user)."""


class TraktRefused(TraktUnavailable):
    """Trakt refused the client id (401/403): no point asking for the other lists."""


def parse_entry(list_name: str, entry: Any, rank: int) -> TraktPick | None:
    """One list entry in any of the three shapes (``watchers`` wrapper, plain, ``list_count`` wrapper)."""
    kind = "movie" if list_name.startswith("movies") else "show"
    if not isinstance(entry, dict):
        return None
    wrapped = entry.get(kind)
    obj: dict[str, Any] = wrapped if isinstance(wrapped, dict) else entry
    title = obj.get("title")
    if not isinstance(title, str) or not title:
        return None
    year = obj.get("year")
    ids_field = obj.get("ids")
    raw_ids: dict[str, Any] = ids_field if isinstance(ids_field, dict) else {}
    ids = {k: str(raw_ids[k]) for k in ID_KEYS if raw_ids.get(k) not in (None, "")}
    return TraktPick(kind=kind, title=title, year=year if isinstance(year, int) else None, ids=ids,
                     rank=rank, list_name=list_name)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (a number, or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _now() -> datetime:
    return datetime.now(UTC)


class TraktClient:
    """A small Trakt client for the public list endpoints, cached, that never raises from ``picks()``."""

    def __init__(self, client_id: str, *, lists: Sequence[str] = ("movies/trending",), count: int = 10,
                 base_url: str = TRAKT_API, cache_hours: float = 6.0, timeout: float = 10.0,
                 max_retries: int = 2, max_retry_wait: float = 30.0, backoff: float = 1.0,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], datetime] = _now) -> None:
        unknown = [name for name in lists if name not in TRAKT_LIST_NAMES]
        if unknown:
            raise ValueError(f"unknown Trakt list {unknown[0]!r}; expected some of {', '.join(TRAKT_LIST_NAMES)}")
        self.lists = tuple(lists)
        self.count = count
        self.base_url = base_url.rstrip("/")
        self.cache_for = timedelta(hours=cache_hours)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self._client_id = client_id
        self._session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[TraktPick, ...] | None = None
        self._cached_until: datetime | None = None
        self._wait_budget = max_retry_wait
        self._requests = 0
        self._state: dict[str, Any] = {"ok": None, "message": "not fetched yet", "last_attempt": None,
                                       "last_success": None, "items": 0, "problems": []}

    @classmethod
    def from_settings(cls, settings: Settings, session: requests.Session | None = None) -> TraktClient:
        return cls(settings.secret("TRAKT_CLIENT_ID"), lists=settings.TRAKT_LISTS, count=settings.TRAKT_COUNT,
                   base_url=settings.TRAKT_URL, cache_hours=settings.TRAKT_CACHE_HOURS, session=session)

    # --- the port ---------------------------------------------------------------------------
    def picks(self) -> tuple[TraktPick, ...]:
        """Entries of every configured list in rank order, from the cache while it is fresh."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and self._cached_until is not None and now < self._cached_until:
                return self._cached
            return self._refresh(now)

    def problem(self) -> str:
        """One line for the cycle report when the last fetch went wrong, else empty."""
        return "" if self._state["ok"] is not False and not self._state["problems"] else str(self._state["message"])

    def health(self) -> dict[str, Any]:
        """For the dashboard: whether Trakt answered, what it gave, when; no secrets."""
        state = dict(self._state)
        return {"configured": bool(self._client_id), **state, "lists": list(self.lists), "requests": self._requests,
                "cached_until": self._cached_until.isoformat() if self._cached_until else None}

    # --- fetching ---------------------------------------------------------------------------
    def _refresh(self, now: datetime) -> tuple[TraktPick, ...]:
        self._wait_budget = self.max_retry_wait
        self._state["last_attempt"] = now.isoformat()
        picks: list[TraktPick] = []
        problems: list[str] = []
        for name in self.lists:
            try:
                picks.extend(self._fetch_list(name))
            except TraktRefused as exc:
                return self._failed(str(exc))
            except TraktUnavailable as exc:
                problems.append(f"{name}: {exc}")
            except Exception as exc:  # never into the cycle
                log.exception("Trakt list %s: unexpected error", name)
                problems.append(f"{name}: unexpected {type(exc).__name__}")
        if problems and not picks:
            return self._failed("; ".join(problems))
        result = tuple(picks)
        self._state.update(ok=not problems, items=len(result), problems=problems, last_success=now.isoformat())
        if problems:  # partial: use what came, ask again next time
            self._state["message"] = f"Trakt partly unavailable ({'; '.join(problems)})"
            log.warning("%s", self._state["message"])
            return result
        self._state["message"] = f"{len(result)} items from {', '.join(self.lists)}"
        if self.cache_for > timedelta(0):
            self._cached, self._cached_until = result, now + self.cache_for
        return result

    def _failed(self, reason: str) -> tuple[TraktPick, ...]:
        message = f"No Trakt items this cycle: {reason}"
        self._state.update(ok=False, message=message, items=0, problems=[reason])
        log.warning("%s", message)
        return ()

    def _fetch_list(self, name: str) -> list[TraktPick]:
        picks: list[TraktPick] = []
        page = 1
        while len(picks) < self.count and page <= MAX_PAGES:
            response = self._get(f"/{name}", {"page": page, "limit": self.count})
            try:
                data = response.json()
            except ValueError:
                raise TraktUnavailable("Trakt sent a malformed answer (not JSON)") from None
            if not isinstance(data, list):
                raise TraktUnavailable("Trakt sent an unexpected answer (not a list)")
            for entry in data:
                pick = parse_entry(name, entry, len(picks) + 1)
                if pick is not None and len(picks) < self.count:
                    picks.append(pick)
            if not data or page >= _int_header(response, "X-Pagination-Page-Count", page):
                break
            page += 1
        return picks

    def _get(self, path: str, params: dict[str, Any]) -> requests.Response:
        headers = {"Content-Type": "application/json", "trakt-api-key": self._client_id,
                   "trakt-api-version": "2", "User-Agent": f"Cacherr/{__version__}"}
        for attempt in range(self.max_retries + 1):
            response = self._send(path, params, headers)
            status = response.status_code
            if status == 200:
                return response
            if status in (401, 403):
                raise TraktRefused(f"Trakt refused the client id (HTTP {status}); check TRAKT_CLIENT_ID")
            if status != 429 and status < 500:
                raise TraktUnavailable(f"Trakt answered HTTP {status}")
            if attempt == self.max_retries:
                break
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            self._wait(self.backoff * 2**attempt if wait is None else wait, status)
        if status == 429:
            raise TraktUnavailable(f"rate limited by Trakt (HTTP 429) after {self.max_retries + 1} tries")
        raise TraktUnavailable(f"Trakt answered HTTP {status} after {self.max_retries + 1} tries")

    def _send(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> requests.Response:
        self._requests += 1
        try:
            return self._session.get(self.base_url + path, params=params, headers=headers, timeout=self.timeout)
        except requests.Timeout:
            raise TraktUnavailable(f"Trakt did not answer within {self.timeout:g}s") from None
        except requests.RequestException as exc:
            raise TraktUnavailable(f"Trakt unreachable ({type(exc).__name__})") from None

    def _wait(self, seconds: float, status: int) -> None:
        """Wait before retrying, within the per-refresh budget; give up beyond it."""
        if seconds > self._wait_budget:
            raise TraktUnavailable(f"Trakt asks to wait {seconds:g}s (HTTP {status}); more than the "
                                   f"{self.max_retry_wait:g}s allowed per refresh, trying next cycle")
        self._wait_budget -= seconds
        log.info("Trakt answered HTTP %s; retrying in %.1fs", status, seconds)
        self._sleep(seconds)


def _int_header(response: requests.Response, name: str, default: int) -> int:
    try:
        return int(response.headers.get(name, default))
    except (TypeError, ValueError):
        return default
