"""The app built from the real bootstrap container (real cycle service, scheduler, notifier, Trakt client):
the wiring, error mapping with Plex down, and no secret in any answer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from cacherr.bootstrap import Container, build_container
from cacherr.web.app import create_app
from tests.web.conftest import SECRETS

NOTIFY = "json://127.0.0.1:9/notifySECRETpath-31337"


@pytest.fixture
def real(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[tuple[Container, FlaskClient]]:
    for d in ("array", "cache"):
        (tmp_path / d).mkdir()
    env = {**SECRETS, "REAL_SOURCE": str(tmp_path / "array"), "CACHE_DESTINATION": str(tmp_path / "cache"),
           "PLEX_SOURCE": "/data", "PLEX_URL": "http://127.0.0.1:9", "PLEX_TIMEOUT": "2", "SCHEDULE": "off",
           "NOTIFY_URLS": NOTIFY, "UNRAID_NOTIFY_SCRIPT": ""}
    container = build_container(tmp_path / "config", env=env, console_log=False)
    app = create_app(container)
    yield container, app.test_client()
    container.close()


def test_status_reports_integrations_without_secrets(real: tuple[Container, FlaskClient]) -> None:
    _, client = real
    headers = {"X-Api-Key": SECRETS["API_KEY"]}
    body = client.get("/api/v1/status", headers=headers).get_data(as_text=True)
    status = client.get("/api/v1/status", headers=headers).get_json()
    assert status["integrations"]["notifications"]["configured"] is True
    assert "trakt" in status["integrations"]
    texts = [body] + [client.get(p, headers=headers).get_data(as_text=True)
                      for p in ("/api/v1/settings", "/health", "/api/v1/cycles", "/api/v1/media")]
    for raw in [*SECRETS.values(), "notifySECRETpath-31337"]:
        assert all(raw not in t for t in texts), raw


def test_plex_down_gives_a_clear_answer_not_a_500(real: tuple[Container, FlaskClient]) -> None:
    _, client = real
    headers = {"X-Api-Key": SECRETS["API_KEY"]}
    r = client.post("/api/v1/plan/preview", headers=headers)
    assert r.status_code == 503 and r.get_json()["error"]
    run = client.post("/api/v1/cycles", headers=headers)
    assert run.status_code == 202
    client.application.extensions["cacherr"].jobs.join(30)
    job = client.get("/api/v1/status", headers=headers).get_json()["job"]
    assert job["running"] is False and job["ok"] is False and "failed" in job["message"]
    assert client.post("/api/v1/media/12345/restore", headers=headers).status_code == 404
    health = client.get("/health").get_json()
    assert health["database"] is True and health["scheduler"] is False  # not started by create_app
