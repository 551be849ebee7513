"""Issue 11, item 6, through the real `cacherr` command: no password characters in `cacherr config`, one
clear line for a broken settings file, WEB_PASSWORD without WEB_USERNAME refused, and no forged log lines."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cacherr.logs import RedactSecrets, RingBuffer
from tests.foundation.test_cli import run


def test_issue11_config_output_never_shows_password_characters(config_dir: Path) -> None:
    password = "correct-horse-battery-staple-7788"
    r = run(["config", "--json"], config_dir, env={"WEB_USERNAME": "owner", "WEB_PASSWORD": password})
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["WEB_PASSWORD"]["value"] == "****"
    assert "7788" not in r.stdout


@pytest.mark.parametrize(("content", "words"), [
    (b'{"NUMBER_EPISODES": "\xff\xfe"}', "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_issue11_broken_settings_file_is_one_clear_line(config_dir: Path, content: bytes, words: str) -> None:
    (config_dir / "cacherr_config.json").write_bytes(content)
    r = run(["config"], config_dir)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert words in r.stderr and "Traceback" not in r.stderr


def test_issue11_password_without_username_stops_the_start(config_dir: Path) -> None:
    r = run(["config"], config_dir, env={"WEB_PASSWORD": "a-password-123"})
    assert r.returncode == 2
    assert "WEB_PASSWORD: is set but WEB_USERNAME is empty" in r.stderr


def test_issue11_newline_in_a_file_name_cannot_forge_a_log_line() -> None:
    ring = RingBuffer(10)
    ring.addFilter(RedactSecrets())
    logger = logging.getLogger("cacherr.test.forge")
    logger.addHandler(ring)
    logger.setLevel(logging.INFO)
    try:
        logger.info("cached %s", "/mnt/cache/x.mkv\n2026-01-01 00:00:00 ERROR cacherr: owner token is abc")
    finally:
        logger.removeHandler(ring)
    lines = [line for _, _, line in ring.tail()]
    assert len(lines) == 1 and "\n" not in lines[0] and "x.mkv\\n2026-01-01" in lines[0]
