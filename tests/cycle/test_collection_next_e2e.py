"""CACHE_COLLECTION_NEXT through the real stack: the next film of a collection lands on the cache, and goes back
once the user has watched it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.demo.plex_emulator.collections import add_collection
from tests.cycle.real_world import RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"CACHE_COLLECTION_NEXT": "true", "CACHE_RETENTION_HOURS": "0"})
    yield w
    w.close()


def test_next_film_of_the_collection_is_cached_and_given_back_once_watched(rw: RealWorld) -> None:
    alien, aliens, resurrection = rw.movie("Alien", 1979), rw.movie("Aliens", 1986), rw.movie("Alien 4", 1997)
    add_collection(rw.plex, rw.movies, "Alien Collection", [resurrection, aliens, alien])  # release order: by year
    rw.plex.set_progress("bob", alien, 600_000)
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert rw.on_cache(alien) and rw.on_cache(aliens) and not rw.on_cache(resurrection)
    assert any("next film of a collection for bob" in o.reason for o in report.cached), [o.reason for o in report.cached]
    rw.plex.mark_watched("bob", aliens)  # bob skipped ahead and watched Aliens: Alien 4 is next
    rw.service.run("manual")
    assert rw.on_cache(resurrection) and not rw.on_cache(aliens) and rw.intact(aliens)
