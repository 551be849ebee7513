"""Logs: secrets are redacted from every handler, the ring buffer feeds the live tail."""

from __future__ import annotations

import logging
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
    from cacherr.logs import RING

    tail = "\n".join(line for _, _, line in RING.tail(limit=50))
    assert "boom" in tail and token not in tail
    # Rotating file handler is set up under CONFIG_DIR/logs.
    assert any(type(h).__name__ == "RotatingFileHandler" for h in logging.getLogger().handlers)
    container.close()


def test_settings_change_updates_redaction(config_dir: Path, clean_env: dict[str, str]) -> None:
    container = build_container(config_dir, {}, console_log=False)
    container.store.save({"API_KEY": "newly-saved-api-key-42"})
    logging.getLogger("cacherr.test").warning("key is newly-saved-api-key-42")
    from cacherr.logs import RING

    assert RING.tail(limit=1)[0][2].endswith("key is ****")
