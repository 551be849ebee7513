"""Real time for the next film of a collection (CACHE_COLLECTION_NEXT): a movie that starts playing (session
polling or the Plex webhook) gets the next film of its collection, the one the player has not watched, cached
within seconds, not at the next cycle. Real plexapi against the emulator over HTTP, the real engine, real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cacherr.demo.plex_emulator.collections import add_collection
from cacherr.domain.media import Reason
from cacherr.scheduler import CacheScheduler
from tests.cycle.real_world import RealWorld, SettingsView


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"CACHE_COLLECTION_NEXT": "true", "NUMBER_EPISODES": "2"})
    yield w
    w.close()


def alien_saga(rw: RealWorld) -> tuple[Any, Any, Any]:
    alien, aliens, resurrection = rw.movie("Alien", 1979), rw.movie("Aliens", 1986), rw.movie("Alien 4", 1997)
    add_collection(rw.plex, rw.movies, "Alien Collection", [resurrection, aliens, alien])  # release order
    return alien, aliens, resurrection


def poll(rw: RealWorld) -> None:
    sched = CacheScheduler(rw.service, SettingsView(rw))  # type: ignore[arg-type]
    sched.poll_sessions()
    rw.service.realtime.shutdown(wait=True)


def test_a_session_start_caches_the_next_film_of_the_collection(rw: RealWorld) -> None:
    alien, aliens, resurrection = alien_saga(rw)
    rw.plex.start_session("bob", alien)
    poll(rw)
    assert rw.on_cache(aliens) and rw.intact(aliens) and rw.on_array(aliens)
    assert not rw.on_cache(alien) and not rw.on_cache(resurrection), "only the next film"
    history = rw.service.history(1)[0]
    assert history["trigger"] == "session" and history["summary"]["cached"] == 1
    assert rw.entry(aliens).reason is Reason.COLLECTION


def test_the_next_film_is_the_first_the_player_has_not_watched(rw: RealWorld) -> None:
    alien, aliens, resurrection = alien_saga(rw)
    rw.plex.mark_watched("bob", aliens)  # bob has seen Aliens: Alien 4 is his next
    rw.plex.start_session("bob", alien)
    poll(rw)
    assert rw.on_cache(resurrection) and not rw.on_cache(aliens)
    assert rw.entry(resurrection).users == frozenset({"bob"})


def test_the_webhook_caches_the_next_film_of_the_collection(rw: RealWorld) -> None:
    alien, aliens, _ = alien_saga(rw)
    payload = {"event": "media.play", "Account": {"title": "bob"},
               "Metadata": {"ratingKey": str(alien.rating_key), "type": "movie"}}
    result = rw.service.handle_plex_webhook(payload)
    assert result.action == "cache-next" and result.future is not None, result
    report = result.future.result(timeout=120)
    assert report is not None and report.status == "ok", report
    assert rw.on_cache(aliens) and rw.intact(aliens)
    assert [o.reason for o in report.cached] == ["next film of a collection for bob"], report.cached
    assert rw.service.history(1)[0]["trigger"] == "webhook"


def test_off_caches_nothing_on_a_movie_start(rw: RealWorld) -> None:
    rw.set(CACHE_COLLECTION_NEXT="false")
    alien, aliens, _ = alien_saga(rw)
    payload = {"event": "media.play", "Account": {"title": "bob"},
               "Metadata": {"ratingKey": str(alien.rating_key), "type": "movie"}}
    assert rw.service.handle_plex_webhook(payload).action == "ignored"
    rw.plex.start_session("bob", alien)
    poll(rw)
    assert not rw.on_cache(aliens) and rw.service.history(1) == []


def test_a_movie_in_no_collection_or_the_last_film_caches_nothing(rw: RealWorld) -> None:
    _, _, resurrection = alien_saga(rw)
    heat = rw.movie("Heat", 1995)
    rw.plex.start_session("bob", heat)
    rw.plex.start_session("alice", resurrection)
    poll(rw)
    assert rw.cached_titles() == set() and rw.service.history(1) == []


def test_the_plex_webhook_over_http_caches_the_next_film(tmp_path: Path, clean_env: dict[str, str]) -> None:
    """Plex POSTs its multipart webhook to the real web app built by the real bootstrap."""
    import json
    import os
    import time

    from cacherr.bootstrap import build_container
    from cacherr.web.app import create_app

    world = RealWorld(tmp_path / "world")
    secret = "hook-secret-0123456789"
    env = {"PLEX_URL": world.emu.url, "PLEX_TV_URL": world.emu.url, "PLEX_TOKEN": "owner-token",
           "PLEX_SOURCE": "/data", "REAL_SOURCE": str(world.lab.array_root),
           "CACHE_DESTINATION": str(world.lab.cache_root), "CACHE_COLLECTION_NEXT": "true", "SCHEDULE": "off",
           "SESSION_POLL_SECONDS": "0", "WEBHOOK_SECRET": secret, "PUID": str(os.getuid()),
           "PGID": str(os.getgid()), "UNRAID_NOTIFY_SCRIPT": ""}
    container = build_container(tmp_path / "config", env=env, console_log=False, requests_session=world.session)
    try:
        alien, aliens, _ = alien_saga(world)
        client = create_app(container).test_client()
        payload = {"event": "media.play", "Account": {"id": 101, "title": "alice"},
                   "Metadata": {"ratingKey": str(alien.rating_key), "type": "movie"}}
        r = client.post(f"/api/v1/webhook/plex?secret={secret}", data={"payload": json.dumps(payload)},
                        content_type="multipart/form-data")
        assert r.status_code == 200 and r.get_json()["accepted"] is True, r.get_json()
        service = container.cycle_service()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and [h["status"] for h in service.history(1)] in ([], ["running"]):
            time.sleep(0.1)
        assert world.on_cache(aliens) and world.intact(aliens) and not world.on_cache(alien)
        assert service.history(1)[0]["trigger"] == "webhook"
    finally:
        container.close()
        world.close()
