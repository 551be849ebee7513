"""A video on the cache that Plex does not know yet is not asked about every cycle (each question can cost a
listing of a whole library section, 100,000 episodes on a big server)."""

from __future__ import annotations

from pathlib import Path

from cacherr.testing import movie
from tests.cycle.world import KB, World


def test_unknown_cache_file_is_asked_about_once_per_recheck_window(world: World) -> None:
    item = movie("dl1", "Fresh Download", 4 * KB, roots=world.roots)
    path = Path(item.files[0].cache_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * (4 * KB))  # on the cache only; Plex has not scanned it yet

    def asked() -> int:
        return world.fake.calls.count("items_for_paths")

    world.service.run("schedule")
    assert asked() == 1 and world.registry.entries() == []
    world.clock.advance(hours=1)
    world.service.run("schedule")
    assert asked() == 1, "asked again within the recheck window"
    world.fake.add(item)  # Plex scans it
    world.clock.advance(hours=6)
    world.service.run("schedule")
    assert asked() == 2
    (entry,) = world.registry.entries()
    assert entry.cache_path == str(path) and entry.pre_existing and entry.item_key == "dl1"
    assert path.read_bytes() == b"x" * (4 * KB)  # adopted, not touched
