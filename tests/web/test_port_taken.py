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
