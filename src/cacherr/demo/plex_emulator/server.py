"""The emulator's real HTTP server: a threaded stdlib server on 127.0.0.1, serving PMS and plex.tv XML.

    with PlexEmulator(sample_world()) as emu:
        plex = PlexServer(emu.url, "owner-token", session=emu.session())
        emu.inject("/library/onDeck", "500", times=1)   # next onDeck answer is a 500
        emu.count("/library/onDeck", user="alice")      # requests made with alice's token

Fault kinds: ``"500"`` (and any other status as text, e.g. ``"503"``), ``"429"`` (with Retry-After),
``"slow"`` (answer after ``delay`` seconds), ``"malformed"`` (truncated XML), ``"drop"`` (close the
connection without an answer). Connection refused: ``emu.stop()``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from cacherr.demo.plex_emulator import collections, plextv, plextv_pins, pms
from cacherr.demo.plex_emulator.model import User, World
from cacherr.demo.plex_emulator.routing import Request, Response, Route, error, match
from cacherr.demo.plex_emulator.transport import mount_plex_tv

log = logging.getLogger(__name__)
ROUTES: list[Route] = [*plextv.ROUTES, *plextv_pins.ROUTES, *collections.ROUTES, *pms.ROUTES]


@dataclass
class Fault:
    """One injected failure. ``times`` None = every matching request until cleared."""

    endpoint: str
    kind: str
    times: int | None = 1
    delay: float = 0.0
    retry_after: int = 1
    user: str | None = None
    hits: int = 0
    path: str | None = None  # only requests whose path contains this (e.g. one show's allLeaves)

    def applies(self, label: str, user: User | None, target: str = "") -> bool:
        if self.endpoint not in (label, "*"):
            return False
        if self.path is not None and self.path not in target:
            return False
        if self.user is not None and (user is None or user.name != self.user):
            return False
        return self.times is None or self.hits < self.times


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    endpoint: str
    user: str | None
    status: int
    seconds: float = 0.0  # time the emulator spent answering (not counting injected delays)


class PlexEmulator:
    """A PMS + plex.tv emulator over real HTTP, backed by a ``World``."""

    def __init__(self, world: World | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        from cacherr.demo.plex_emulator.generate import sample_world

        self.world = world if world is not None else sample_world()
        self._host, self._port = host, port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.log: list[RequestRecord] = []
        self._counts: Counter[tuple[str, str | None]] = Counter()
        self.overrides: dict[str, bytes] = {}
        self._connections: set[socket.socket] = set()

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> PlexEmulator:
        if self._httpd is not None:
            return self
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._httpd = ThreadingHTTPServer((self._host, self._port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="plex-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; the port then refuses connections (``start()`` again binds the same port), and
        kept-alive connections are closed (a client sees a dropped connection, then refusals)."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns, self._connections = list(self._connections), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread:
            self._thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> PlexEmulator:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def session(self) -> requests.Session:
        """A requests.Session whose plex.tv / discover / metadata calls reach this emulator."""
        s = requests.Session()
        mount_plex_tv(s, self.url)
        return s

    # --- faults and counters -----------------------------------------------------------------
    def inject(self, endpoint: str, kind: str, *, times: int | None = 1, delay: float = 0.0, retry_after: int = 1,
               user: str | None = None, path: str | None = None) -> Fault:
        """Fail requests to ``endpoint`` (a route label such as ``/library/onDeck`` or ``*``); ``path``:
        only those whose path contains it (one item's 5xx)."""
        fault = Fault(endpoint, kind, times, delay, retry_after, user, path=path)
        with self._lock:
            self.faults.append(fault)
        return fault

    def override(self, path: str, xml_body: bytes) -> None:
        """Answer ``path`` (query ignored, token still checked) with a fixed XML body, e.g. a
        recorded-style fixture for an odd case. ``None``-free: remove with ``overrides.pop(path)``."""
        with self._lock:
            self.overrides[path] = xml_body

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def count(self, endpoint: str | None = None, user: str | None = None) -> int:
        """Requests received, optionally for one endpoint label and/or one user name."""
        with self._lock:
            return sum(n for (ep, u), n in self._counts.items()
                       if (endpoint is None or ep == endpoint) and (user is None or u == user))

    def counts(self) -> dict[str, int]:
        """Requests per endpoint label."""
        out: Counter[str] = Counter()
        with self._lock:
            for (ep, _), n in self._counts.items():
                out[ep] += n
        return dict(out)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self.log.clear()

    def _take_fault(self, label: str, user: User | None, target: str = "") -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.applies(label, user, target):
                    f.hits += 1
                    return f
        return None

    def _record(self, method: str, path: str, label: str, user: User | None, status: int,
                seconds: float = 0.0) -> None:
        with self._lock:
            self._counts[(label, user.name if user else None)] += 1
            self.log.append(RequestRecord(method, path, label, user.name if user else None, status, seconds))

    # --- dispatch ----------------------------------------------------------------------------
    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[Response, str]:
        """Answer one request (without faults). Returns the response and the endpoint label."""
        parts = urlsplit(target)
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        found = match(ROUTES, method, path)
        if found is None:
            log.warning("plex emulator: no route for %s %s", method, path)
            return error(404, "Not Found"), path
        rt, params = found
        token = headers.get("x-plex-token") or query.get("X-Plex-Token") or ""
        user = self.world.by_token.get(token)
        req = Request(method, path, query, headers, self.world, user, params, body)
        fixed = self.overrides.get(path)
        if fixed is not None:
            rt = Route(rt.method, rt.pattern, rt.label, lambda _req: Response(200, fixed), rt.auth)
        return self._authorised(rt, req), rt.label

    def _authorised(self, rt: Route, req: Request) -> Response:
        user = req.user
        if rt.auth != "none":
            pms_side = not req.path.startswith(tuple(plextv.PREFIXES.values()))
            if user is None or (pms_side and not user.token_valid):
                return error(401, "Unauthorized")
            if not pms_side and user.kind == "shared":  # a friend's token is scoped to the server
                return error(401, "Unauthorized")
            if rt.auth == "owner" and not user.is_owner:
                return error(401, "Unauthorized")
        with self.world.lock:
            try:
                return rt.handler(req)
            except (KeyError, ValueError) as exc:
                log.warning("plex emulator: %s %s -> 400 (%s)", req.method, req.path, exc)
                return error(400, "Bad Request")


def _label_user(emu: PlexEmulator, method: str, target: str, headers: dict[str, str]) -> tuple[str, User | None]:
    parts = urlsplit(target)
    found = match(ROUTES, method, parts.path or "/")
    token = headers.get("x-plex-token") or dict(parse_qsl(parts.query)).get("X-Plex-Token") or ""
    return (found[0].label if found else parts.path), emu.world.by_token.get(token)


class _Handler(BaseHTTPRequestHandler):
    emulator: PlexEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls
    server_version = "PlexMediaServer/1.41.3"

    def setup(self) -> None:
        super().setup()
        with self.emulator._lock:
            self.emulator._connections.add(self.connection)

    def finish(self) -> None:
        with self.emulator._lock:
            self.emulator._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("plex emulator: " + format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        emu = self.emulator
        if not emu.running:  # stopped: a kept-alive connection gets no answer
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        label, user = _label_user(emu, method, self.path, headers)
        fault = emu._take_fault(label, user, self.path)
        if fault is not None and fault.kind == "drop":
            emu._record(method, self.path, label, user, 0)
            self.close_connection = True
            self.connection.close()
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        started = time.perf_counter()
        response, label = emu.dispatch(method, self.path, headers, body)
        response = _apply_fault(fault, response)
        emu._record(method, self.path, label, user, response.status, time.perf_counter() - started)
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for k, v in response.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
            self.close_connection = True


def _apply_fault(fault: Fault | None, response: Response) -> Response:
    if fault is None:
        return response
    if fault.kind == "malformed":
        cut = response.body[: max(1, len(response.body) // 2)]
        return Response(200, cut + b"<<not xml", response.content_type, response.headers)
    if fault.kind == "429":
        return Response(429, b"Too Many Requests", "text/plain", {"Retry-After": str(fault.retry_after)})
    if fault.kind.isdigit():
        return error(int(fault.kind), "Injected failure")
    raise ValueError(f"unknown fault kind {fault.kind!r}")
