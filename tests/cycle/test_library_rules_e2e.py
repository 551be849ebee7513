"""LIBRARY_RULES through the real stack (plexapi against the emulator, the real engine, real files)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cycle.real_world import RealWorld

RULES = {"TV Shows": {"episodes": 4}, "Movies": {"watchlist": False, "retention_hours": 48}}


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"NUMBER_EPISODES": "2", "CACHE_RETENTION_HOURS": "12",
                                    "LIBRARY_RULES": json.dumps(RULES)})
    yield w
    w.close()


def test_each_library_follows_its_rule(rw: RealWorld) -> None:
    andor = rw.show("Andor", 8)
    alien = rw.movie("Alien", 1979)
    heat = rw.movie("Heat", 1995)
    rw.plex.mark_watched("alice", andor.episode(1, 1))
    rw.plex.add_to_watchlist("bob", alien)
    rw.plex.set_progress("bob", heat, 120_000)
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert all(rw.on_cache(andor.episode(1, n)) for n in range(2, 7)), "On Deck + 4 ahead (the library's rule)"
    assert not rw.on_cache(andor.episode(1, 7))
    assert not rw.on_cache(alien), "watchlists are off for Movies"
    assert rw.on_cache(heat)
    rw.plex.mark_unwatched("bob", heat)
    rw.plex.set_progress("bob", heat, 0)
    rw.plex.mark_watched("alice", andor.episode(1, 2))
    rw.clock.advance(hours=13)
    rw.service.run("manual")
    rw.clock.advance(hours=13)  # 26 h after Heat left every list: past 12 h, within the library's 48 h
    rw.service.run("manual")
    assert rw.on_cache(heat), "Movies keep an idle file 48 hours"
    rw.clock.advance(hours=30)
    back = rw.service.run("manual")
    assert not rw.on_cache(heat) and rw.intact(heat)
    assert any("LIBRARY_RULES[Movies]" in o.reason for o in back.restored), [o.reason for o in back.restored]
