"""Logs: secrets are redacted from every handler, the ring buffer feeds the live tail."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from cacherr.bootstrap import build_container


def test_secrets_never_reach_the_log_file_or_tail(config_dir: Path, clean_env: dict[str, str]) -> None:
    token = "plexTOKENvalue1234567"
    url = "discord://1234/very-secret-webhook-token"
    container = build_container(config_dir, {"PLEX_TOKEN": token, "NOTIFY_URLS": url}, console_log=False)
    log = logging.getLogger("cacherr.test")
    log.warning("connecting with token %s to %s", token, url)
    try:
        raise ValueError(f"failed for {token}")
    except ValueError:
        log.exception("boom")
    for h in logging.getLogger().handlers:
        h.flush()
    text = (config_dir / "logs" / "cacherr.log").read_text()
    assert "connecting with token ****" in text
    assert token not in text and "very-secret-webhook-token" not in text
    tail = "\n".join(line for _, _, line in container.logs.ring.tail(limit=50))
    assert "boom" in tail and token not in tail
    # Rotating file handler is set up under CONFIG_DIR/logs.
    assert any(type(h).__name__ == "RotatingFileHandler" for h in logging.getLogger().handlers)
    container.close()


def test_settings_change_updates_redaction(config_dir: Path, clean_env: dict[str, str]) -> None:
    container = build_container(config_dir, {}, console_log=False)
    container.store.save({"API_KEY": "newly-saved-api-key-42"})
    logging.getLogger("cacherr.test").warning("key is newly-saved-api-key-42")
    assert container.logs.ring.tail(limit=1)[0][2].endswith("key is ****")


def test_two_containers_leave_one_set_of_handlers_and_each_redacts_its_own_secrets(
        tmp_path: Path, clean_env: dict[str, str]) -> None:
    """Issue 12 item 8: the ring buffer and the redactor belong to a container, not to the process."""
    root = logging.getLogger()
    first = build_container(tmp_path / "one", {"PLEX_TOKEN": "firstTOKEN-1111111"}, console_log=False)
    first_handlers = list(root.handlers)
    second = build_container(tmp_path / "two", {"PLEX_TOKEN": "secondTOKEN-222222"}, console_log=False)
    try:
        assert len(first_handlers) == len(root.handlers) == 2  # the ring and the file: one set, not two
        assert not set(first_handlers) & set(root.handlers)
        assert all(second.logs.redactor in h.filters for h in root.handlers)
        assert second.logs.ring in root.handlers and first.logs.ring not in root.handlers
        assert first.logs.ring is not second.logs.ring and first.logs.redactor is not second.logs.redactor
        first_file = next(h for h in first_handlers if isinstance(h, logging.handlers.RotatingFileHandler))
        assert first_file.stream is None  # closed when replaced: no open log file leaks
        seen_by_first = first.logs.ring.tail(limit=2000)
        second.store.save({"API_KEY": "saved-on-the-second-42"})
        logging.getLogger("cacherr.test").warning("token %s key %s", "secondTOKEN-222222", "saved-on-the-second-42")
        for h in root.handlers:
            h.flush()
        assert second.logs.ring.tail(limit=1)[0][2].endswith("token **** key ****")
        text = (tmp_path / "two" / "logs" / "cacherr.log").read_text()
        assert "token **** key ****" in text and "secondTOKEN" not in text
        assert first.logs.ring.tail(limit=2000) == seen_by_first  # the first container's tail got nothing
    finally:
        first.close()
        second.close()
