"""Serving the app with waitress: in the foreground for ``cacherr serve`` (SIGTERM stops it cleanly), or
in a thread for tests and the demo (``start_in_thread(app) -> handle`` with ``.url`` and ``.stop()``).

What runs around the server (recovery at start, the scheduler, a clean stop) is ``cacherr.runtime``."""

from __future__ import annotations

import contextlib
import errno
import logging
import resource
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from waitress import create_server
from waitress.server import BaseWSGIServer, MultiSocketServer

log = logging.getLogger(__name__)
CONNECTION_LIMIT = 1000
THREADS = 8  # dashboard polls + API clients; file copies run in their own threads


def _room_for_connections() -> None:
    """Raise the soft open-files limit so CONNECTION_LIMIT sockets fit beside the database and copies."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = CONNECTION_LIMIT + 1024
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard),
                                                        hard))


def make_server(app: Any, host: str, port: int, threads: int = THREADS) -> BaseWSGIServer | MultiSocketServer:
    _room_for_connections()
    # clear_untrusted_proxy_headers: the app reads X-Forwarded-* itself, from WEB_TRUSTED_PROXIES only
    # (web/proxy.py); waitress must not drop them
    # connection_limit: idle keep-alive connections must never starve /health (waitress' default is 100);
    # channel_timeout: an idle connection is closed after 30 s.
    # map={}: a socket map of its own (waitress' default is one process-wide map), so a stop finds this
    # server's trigger and channels only, never those of a server stopped before it.
    own_map: dict[int, Any] = {}
    try:
        return create_server(app, map=own_map, host=host, port=port, threads=threads, ident="cacherr",
                             clear_untrusted_proxy_headers=False, channel_timeout=30,
                             connection_limit=CONNECTION_LIMIT, cleanup_interval=10)
    except OSError:
        # A port that is taken fails waitress's bind after it made its socket and trigger: close them here
        # (left to the garbage collector, they were an "unclosed socket" ResourceWarning).
        from waitress import wasyncore

        wasyncore.close_all(own_map)
        raise


def _close(server: BaseWSGIServer | MultiSocketServer) -> None:
    """Stop accepting, finish the running requests' threads, close every channel."""
    from waitress import wasyncore

    server.task_dispatcher.shutdown()
    sockets = server.map if isinstance(server, MultiSocketServer) else server._map
    wasyncore.close_all(sockets)


def _close_sockets(server: BaseWSGIServer | MultiSocketServer) -> None:
    from waitress import wasyncore

    wasyncore.close_all(server.map if isinstance(server, MultiSocketServer) else server._map)


def _trigger_of(server: BaseWSGIServer | MultiSocketServer) -> Any:
    """The pipe that wakes waitress's loop and runs a function in it."""
    from waitress.trigger import trigger

    sockets = server.map if isinstance(server, MultiSocketServer) else server._map
    return next((d for d in list(sockets.values()) if isinstance(d, trigger)), None)


@dataclass
class ServerHandle:
    server: BaseWSGIServer | MultiSocketServer
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Close every socket from waitress's own loop (closing them from here, under its running ``select``,
        made that thread die of EBADF), then let the running requests finish."""
        trigger = _trigger_of(self.server)
        if trigger is not None and self.thread.is_alive():
            try:
                trigger.pull_trigger(lambda: _close_sockets(self.server))
            except OSError:  # the loop closed its trigger already (it is ending): close from here below
                trigger = None
            self.thread.join(timeout)
        if self.thread.is_alive() or trigger is None:
            _close(self.server)
            self.thread.join(timeout)
        self.server.task_dispatcher.shutdown()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS) -> ServerHandle:
    """Serve ``app`` from a daemon thread; ``port=0`` picks a free port (see ``handle.url``)."""
    server = make_server(app, host, port, threads)
    effective_port = int(getattr(server, "effective_port", port))
    thread = threading.Thread(target=server.run, name=f"waitress-{effective_port}", daemon=True)
    thread.start()
    return ServerHandle(server, thread, host, effective_port)


def serve_forever(app: Any, host: str, port: int, on_stop: Callable[[], None] = lambda: None) -> None:
    """Serve in the foreground until SIGTERM or SIGINT, then run ``on_stop``. A port already taken is one
    line naming it (no traceback)."""
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            why = "already in use" if exc.errno == errno.EADDRINUSE else "not allowed for this user"
            raise SystemExit(f"error: port {port} on {host} is {why}: stop what uses it or set WEB_PORT") from None
        raise
    stopping = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            log.info("received %s: shutting down", signal.Signals(signum).name)
            raise SystemExit(0)

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    log.info("dashboard and API on http://%s:%s", host, getattr(server, "effective_port", port))
    try:
        server.run()  # returns after SystemExit from the handler (waitress catches it)
    except SystemExit:
        pass
    finally:
        _close(server)
        for s, h in previous.items():
            signal.signal(s, h)
        on_stop()
        log.info("stopped")
