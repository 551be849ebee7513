"""Serving the app with waitress: in the foreground for ``cacherr serve`` (SIGTERM stops it cleanly), or
in a thread for tests and the demo (``start_in_thread(app) -> handle`` with ``.url`` and ``.stop()``)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from waitress import create_server
from waitress.server import BaseWSGIServer, MultiSocketServer

log = logging.getLogger(__name__)
THREADS = 8  # dashboard polls + API clients; file copies run in their own threads


def make_server(app: Any, host: str, port: int, threads: int = THREADS) -> BaseWSGIServer | MultiSocketServer:
    # clear_untrusted_proxy_headers: the app reads X-Forwarded-* itself, from WEB_TRUSTED_PROXIES only
    # (web/proxy.py); waitress must not drop them
    return create_server(app, host=host, port=port, threads=threads, ident="cacherr",
                         clear_untrusted_proxy_headers=False, channel_timeout=60)


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
            trigger.pull_trigger(lambda: _close_sockets(self.server))
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
    """Serve in the foreground until SIGTERM or SIGINT, then run ``on_stop``."""
    server = make_server(app, host, port)
    stopping = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
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


def recover_at_start(container: Any) -> list[str]:
    """Finish or roll back file operations a crash left half-done, before anything else runs."""
    from cacherr.domain.errors import CycleBusy
    from cacherr.web.services import optional

    engine = optional(container, "file_engine")
    if engine is None or not hasattr(engine, "recover"):
        return []
    service = optional(container, "cycle_service")
    try:
        # Under the cycle lock: a `cacherr cycle` running in another process owns its operations.
        with service.lock.hold("recovery") if service is not None else contextlib.nullcontext():
            notes: list[str] = engine.recover()
    except CycleBusy:
        log.info("recovery at start skipped: a cycle is running in another process (each cycle recovers first)")
        return []
    for note in notes:
        log.warning("recovery: %s", note)
    return notes


STOP_GRACE_SECONDS = 60.0


def wait_for_cycle_end(container: Any, timeout: float) -> bool:
    """Wait (bounded) for a running cycle to record its end after the engine was told to stop."""
    import time

    from cacherr.web.services import optional

    service = optional(container, "cycle_service")
    deadline = time.monotonic() + timeout
    while service is not None and getattr(service, "running_here", False):
        if time.monotonic() > deadline:
            log.warning("a cycle is still running after %.0f s; exiting anyway (the journal recovers it)", timeout)
            return False
        time.sleep(0.1)
    return True


def serve_container(container: Any) -> None:
    """``cacherr serve``: recovery, then the scheduler, then the web server until SIGTERM."""
    from cacherr.web.app import create_app
    from cacherr.web.services import optional

    recover_at_start(container)
    scheduler = optional(container, "scheduler")
    if scheduler is not None and hasattr(scheduler, "start"):
        scheduler.start()
    app = create_app(container)

    def stop() -> None:
        stop_operations = getattr(container, "stop_file_operations", None)
        if stop_operations is not None:
            stop_operations()
        for name in ("shutdown", "stop"):
            fn = getattr(scheduler, name, None)
            if fn is not None:
                fn()
                break
        wait_for_cycle_end(container, STOP_GRACE_SECONDS)

    def reload(signum: int, frame: FrameType | None) -> None:
        # `kill -HUP` (or `docker kill -s HUP cacherr`): re-read cacherr_config.json after editing it by hand.
        try:
            container.store.reload()
            log.info("settings reloaded on SIGHUP")
        except Exception as exc:  # a bad file keeps the running settings; say why
            log.error("settings not reloaded on SIGHUP: %s", exc)

    signal.signal(signal.SIGHUP, reload)
    settings = container.settings
    serve_forever(app, settings.WEB_HOST, settings.WEB_PORT, on_stop=stop)
