"""Stopping the threaded waitress server happens inside its own loop: no thread dies of EBADF."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cacherr.web.server import start_in_thread


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture
def thread_errors() -> Iterator[list[threading.ExceptHookArgs]]:
    seen: list[threading.ExceptHookArgs] = []
    previous = threading.excepthook
    threading.excepthook = seen.append
    try:
        yield seen
    finally:
        threading.excepthook = previous


def test_stopping_the_server_thread_never_raises_ebadf_in_its_loop(
        thread_errors: list[threading.ExceptHookArgs]) -> None:
    for _ in range(30):
        handle = start_in_thread(_app)
        idle = socket.create_connection(("127.0.0.1", handle.port))  # an open keep-alive channel in the loop
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in idle.recv(1024)
        handle.stop()
        idle.close()
        assert not handle.thread.is_alive()
    assert [f"{e.exc_type.__name__}: {e.exc_value}" for e in thread_errors] == []
