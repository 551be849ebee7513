"""Regressions from issue 14's first-contact pass: messages said once and named right, urllib3 retry
noise demoted to DEBUG, a failed cycle logged as an error."""

from __future__ import annotations

import logging

import pytest

from cacherr.logs import RetryNoiseToDebug
from cacherr.services.cycle import plex_failure_message
from cacherr.settings import build_settings


def test_missing_plex_token_is_not_called_unreachable() -> None:
    msg = plex_failure_message("no token", build_settings({}, {}))
    assert msg.startswith("PLEX_TOKEN is not set") and "unreachable" not in msg


def test_plex_is_unreachable_is_not_doubled() -> None:
    s = build_settings({"PLEX_TOKEN": "abcdefgh1234"}, {})
    msg = plex_failure_message("Plex is unreachable: connection refused", s)
    assert msg.count("Plex is unreachable") == 1
    assert plex_failure_message("connection refused", s).startswith("Plex is unreachable: connection refused.")


@pytest.mark.parametrize(("root_level", "kept"), [(logging.INFO, False), (logging.DEBUG, True)])
def test_urllib3_retry_warnings_become_debug(root_level: int, kept: bool) -> None:
    root = logging.getLogger()
    before = root.level
    root.setLevel(root_level)
    try:
        record = logging.LogRecord("urllib3.connectionpool", logging.WARNING, __file__, 1,
                                   "Retrying (%r) after connection broken by '%r': %s", (None, None, "/x"), None)
        assert RetryNoiseToDebug().filter(record) is kept
        assert record.levelno == logging.DEBUG
        other = logging.LogRecord("urllib3.connectionpool", logging.WARNING, __file__, 1, "Certificate odd", (), None)
        assert RetryNoiseToDebug().filter(other) and other.levelno == logging.WARNING
    finally:
        root.setLevel(before)
