"""A Trakt API emulator: the six public list endpoints over real HTTP, for the tests and the demo.

Serves the real JSON shapes (``trakt/trakt-api`` contracts, see PLEX_API_NOTES.md §3):

- ``/movies/trending``    -> ``[{"watchers": n, "movie": Movie}]``
- ``/movies/popular``     -> ``[Movie]`` (no wrapper)
- ``/movies/anticipated`` -> ``[{"list_count": n, "movie": Movie}]``
- ``/shows/...``          -> the same with ``"show": Show`` (shows also carry ``ids.tvdb``)

with ``page``/``limit`` paging (limits over ``max_limit`` are clamped, as Trakt does) and the
``X-Pagination-Page``, ``-Limit``, ``-Page-Count``, ``-Item-Count`` headers. A request without the right
``trakt-api-key`` gets 401; without ``trakt-api-version: 2``, 400. It counts and records requests, and
can misbehave on demand: ``fail_next(500)``, ``fail_next(429, retry_after=1)``, ``delay = 2.0``,
``malformed = True``.

The default catalogue mixes titles with their public imdb/tmdb/tvdb ids (so that a demo library
holding them matches: Amélie is imdb tt0211915 / tmdb 194 and "Example Show" is tvdb 121361, as in
the Plex emulator's demo world) with made-up upcoming titles (``tt99…`` ids) that match nothing, to
show "trending, not in your library". A demo world that wants more matches must use the same ids.
The ``trakt`` ids and slugs are made up.

Usage::

    with TraktEmulator() as trakt:
        client = TraktClient(DEMO_CLIENT_ID, base_url=trakt.url, lists=["movies/trending"])
"""

from __future__ import annotations

import json
import math
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEMO_CLIENT_ID = "demo-trakt-client-id-0123456789abcdef"


def _movie(title: str, year: int | None, trakt: int, imdb: str, tmdb: int) -> dict[str, Any]:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = "-".join("".join(c for c in ascii_title.lower() if c.isalnum() or c == " ").split())
    return {"title": title, "year": year,
            "ids": {"trakt": trakt, "slug": f"{slug}-{year}" if year else slug, "imdb": imdb, "tmdb": tmdb}}


def _show(title: str, year: int | None, trakt: int, imdb: str, tmdb: int, tvdb: int) -> dict[str, Any]:
    show = _movie(title, year, trakt, imdb, tmdb)
    show["ids"]["tvdb"] = tvdb
    return show


# Well-known films with their public ids, most watched first.
DEFAULT_MOVIES: tuple[dict[str, Any], ...] = (
    _movie("Amélie", 2001, 100001, "tt0211915", 194),
    _movie("Dune", 2021, 100002, "tt1160419", 438631),
    _movie("The Matrix", 1999, 100003, "tt0133093", 603),
    _movie("Inception", 2010, 100004, "tt1375666", 27205),
    _movie("Interstellar", 2014, 100005, "tt0816692", 157336),
    _movie("Parasite", 2019, 100006, "tt6751668", 496243),
    _movie("Spirited Away", 2001, 100007, "tt0245429", 129),
    _movie("Arrival", 2016, 100008, "tt2543164", 329865),
    _movie("Fight Club", 1999, 100009, "tt0137523", 550),
    _movie("Pulp Fiction", 1994, 100010, "tt0110912", 680),
    _movie("The Godfather", 1972, 100011, "tt0068646", 238),
    _movie("Heat", 1995, 100012, "tt0113277", 949),
)
# Made-up upcoming films: ids that no library holds.
DEFAULT_UPCOMING_MOVIES: tuple[dict[str, Any], ...] = (
    _movie("The Quiet Orbit", 2027, 190001, "tt9900001", 9900001),
    _movie("Harbour Lights", 2027, 190002, "tt9900002", 9900002),
    _movie("A Map of Small Rivers", 2027, 190003, "tt9900003", 9900003),
    _movie("Ninth Signal", None, 190004, "tt9900004", 9900004),
)
DEFAULT_SHOWS: tuple[dict[str, Any], ...] = (
    _show("Example Show", 2019, 200001, "tt9900201", 9900201, 121361),
    _show("Breaking Bad", 2008, 200002, "tt0903747", 1396, 81189),
    _show("Stranger Things", 2016, 200003, "tt4574334", 66732, 305288),
    _show("The Office", 2005, 200004, "tt0386676", 2316, 73244),
)
DEFAULT_UPCOMING_SHOWS: tuple[dict[str, Any], ...] = (
    _show("Lanterns of Vell", 2027, 290001, "tt9900101", 9900101, 9900101),
    _show("Midwinter Station", 2027, 290002, "tt9900102", 9900102, 9900102),
)


def default_catalogue() -> dict[str, list[dict[str, Any]]]:
    """List name -> media objects in rank order (the emulator wraps them per list shape)."""
    return {
        "movies/trending": list(DEFAULT_MOVIES),
        "movies/popular": sorted(DEFAULT_MOVIES, key=lambda m: m["year"] or 0),
        "movies/anticipated": list(DEFAULT_UPCOMING_MOVIES),
        "shows/trending": list(DEFAULT_SHOWS),
        "shows/popular": list(reversed(DEFAULT_SHOWS)),
        "shows/anticipated": list(DEFAULT_UPCOMING_SHOWS),
    }


def shape(list_name: str, objects: list[dict[str, Any]], start_rank: int = 1) -> list[Any]:
    """Wrap media objects the way Trakt's endpoint for ``list_name`` does."""
    kind, name = list_name.split("/")
    key = "movie" if kind == "movies" else "show"
    if name == "popular":
        return list(objects)
    field_name = "watchers" if name == "trending" else "list_count"
    return [{field_name: 1000 // (start_rank + i), key: obj} for i, obj in enumerate(objects)]


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Failure:
    status: int
    retry_after: float | None = None


@dataclass
class TraktEmulator:
    """Real HTTP on 127.0.0.1, an OS-chosen port. Start/stop, or use as a context manager."""

    api_key: str = DEMO_CLIENT_ID
    catalogue: dict[str, list[dict[str, Any]]] = field(default_factory=default_catalogue)
    default_limit: int = 10
    max_limit: int = 100
    delay: float = 0.0  # seconds before each answer
    malformed: bool = False  # answer lists with broken JSON
    requests: list[RecordedRequest] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> TraktEmulator:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, args=(0.05,), name="trakt-emulator",
                             daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TraktEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Trakt emulator is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- control ----------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        return len(self.requests)

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (429 with ``Retry-After`` when given)."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after) for _ in range(times))

    def _next_failure(self) -> _Failure | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    # --- answering --------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one GET (the HTTP handler only transports this)."""
        self.requests.append(RecordedRequest(path, query, headers))
        if self.delay:
            time.sleep(self.delay)
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get("trakt-api-key") != self.api_key:
            return _error(401, "invalid or missing trakt-api-key")
        if lower.get("trakt-api-version") != "2":
            return _error(400, "trakt-api-version: 2 is required")
        failure = self._next_failure()
        if failure is not None:
            extra = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            status, hdrs, body = _error(failure.status, "injected failure")
            return status, {**hdrs, **extra}, body
        name = path.strip("/")
        if name not in self.catalogue:
            return _error(404, f"no such list: {name}")
        return self._page(name, query)

    def _page(self, name: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        objects = self.catalogue[name]
        try:
            page = max(1, int(query.get("page", "1")))
            limit = min(self.max_limit, max(1, int(query.get("limit", str(self.default_limit)))))
        except ValueError:
            return _error(400, "page and limit must be integers")
        start = (page - 1) * limit
        body = json.dumps(shape(name, objects[start:start + limit], start + 1)).encode()
        if self.malformed:
            body = body[: max(1, len(body) // 2)]
        headers = {
            "Content-Type": "application/json",
            "X-Pagination-Page": str(page),
            "X-Pagination-Limit": str(limit),
            "X-Pagination-Page-Count": str(max(1, math.ceil(len(objects) / limit))),
            "X-Pagination-Item-Count": str(len(objects)),
        }
        return 200, headers, body


def _error(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps({"error": message}).encode()


def _make_handler(emulator: TraktEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            status, headers, body = emulator.answer(split.path, query, dict(self.headers))
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (timeout): nothing to do
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
