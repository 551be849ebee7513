"""The whole real-time path as Plex drives it: Plex POSTs its multipart webhook to the real web app built
from the real bootstrap container; the next episodes land on the cache, read from the Plex emulator by the
real adapter and copied by the real engine."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.bootstrap import Container, build_container
from tests.cycle.real_world import RealWorld

SECRET = "hook-secret-0123456789"


@pytest.fixture
def wired(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[tuple[RealWorld, Container]]:
    rw = RealWorld(tmp_path / "world")
    env = {"PLEX_URL": rw.emu.url, "PLEX_TV_URL": rw.emu.url, "PLEX_TOKEN": "owner-token", "PLEX_SOURCE": "/data",
           "REAL_SOURCE": str(rw.lab.array_root), "CACHE_DESTINATION": str(rw.lab.cache_root),
           "NUMBER_EPISODES": "2", "SCHEDULE": "off", "SESSION_POLL_SECONDS": "0", "WEBHOOK_SECRET": SECRET,
           "PUID": str(os.getuid()), "PGID": str(os.getgid()), "UNRAID_NOTIFY_SCRIPT": ""}
    container = build_container(tmp_path / "config", env=env, console_log=False, requests_session=rw.session)
    try:
        yield rw, container
    finally:
        container.close()
        rw.close()


def post(client: object, payload: dict[str, object], secret: str = SECRET) -> object:
    return client.post(f"/api/v1/webhook/plex?secret={secret}",  # type: ignore[attr-defined]
                       data={"payload": json.dumps(payload)}, content_type="multipart/form-data")


def test_plex_webhook_over_http_caches_the_next_episodes(wired: tuple[RealWorld, Container]) -> None:
    from cacherr.web.app import create_app

    rw, container = wired
    container.scheduler().start()
    client = create_app(container).test_client()
    dark = rw.show("Dark", 5)
    payload = {"event": "media.play", "user": True, "owner": False, "Account": {"id": 101, "title": "alice"},
               "Metadata": {"ratingKey": str(dark.episode(1, 1).rating_key), "type": "episode"}}
    assert post(client, payload, secret="wrong").status_code == 403  # type: ignore[attr-defined]
    r = post(client, payload)
    assert r.status_code == 200 and r.get_json()["accepted"] is True  # type: ignore[attr-defined]
    service = container.cycle_service()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and [h["status"] for h in service.history(1)] in ([], ["running"]):
        time.sleep(0.1)
    assert rw.on_cache(dark.episode(1, 2)) and rw.on_cache(dark.episode(1, 3))
    assert not rw.on_cache(dark.episode(1, 4)) and rw.intact(dark.episode(1, 2))
    history = service.history(5)
    assert history[0]["trigger"] == "webhook" and history[0]["status"] == "ok"
