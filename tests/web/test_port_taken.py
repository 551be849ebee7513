"""Regression: a taken port is one line naming the port, not a traceback (issue 14, item 11)."""

from __future__ import annotations

import socket

import pytest
from flask import Flask

from cacherr.web.server import serve_forever


def test_taken_port_is_one_line_naming_the_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            serve_forever(Flask(__name__), "127.0.0.1", port)
    message = str(exc.value)
    assert message == f"error: port {port} on 127.0.0.1 is already in use: stop what uses it or set WEB_PORT"


def test_taken_port_leaves_no_unclosed_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (issue 12.9): waitress made its socket and trigger before the bind failed; they were left to the
    garbage collector, an "unclosed socket" ResourceWarning in whichever test ran next."""
    import gc
    import sys

    leaked: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: leaked.append(repr(u.exc_value)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(SystemExit):
            serve_forever(Flask(__name__), "127.0.0.1", s.getsockname()[1])
    gc.collect()
    assert leaked == []
