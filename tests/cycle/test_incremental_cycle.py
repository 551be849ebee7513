"""Whole cycles with incremental Plex reads (the store as bootstrap wires it): the first cycle reads Plex in
full, the next ones incrementally, and a watch seen only in the play history still gives the episode back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.adapters.plex import PlexMediaServer
from cacherr.adapters.sqlite_plex_cache import SqlitePlexCache
from tests.cycle.real_world import RealWorld


class IncrementalWorld(RealWorld):
    def media_server(self) -> PlexMediaServer:
        return PlexMediaServer.from_settings(self.settings, self._mapper(), session=self.session,
                                             clock=self.clock.now, retries=0, cache=SqlitePlexCache(self.db))


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[IncrementalWorld]:
    w = IncrementalWorld(tmp_path)
    yield w
    w.close()


def test_cycles_read_plex_incrementally_and_see_a_watch(rw: IncrementalWorld) -> None:
    andor = rw.show("Andor", 5)
    rw.plex.mark_watched("alice", andor.episode(1, 1))
    first = rw.service.run("cli")
    assert first.status == "ok" and rw.on_cache(andor.episode(1, 2))
    rw.clock.advance(minutes=30)
    rw.service.run("schedule")  # the keys cached by the first cycle: bob's watched state of them read once
    rw.clock.advance(minutes=30)
    rw.emu.reset_counts()
    steady = rw.service.run("schedule")
    assert steady.status == "ok" and not steady.cached and not steady.restored
    assert rw.emu.count("/library/metadata/{keys}") == 0, [(r.path, r.user) for r in rw.emu.log if "metadata" in r.path]
    rw.clock.advance(minutes=30)
    rw.plex.mark_watched("alice", andor.episode(1, 2))
    report = rw.service.run("schedule")
    assert [o.title for o in report.restored] and not rw.on_cache(andor.episode(1, 2))
    assert rw.on_cache(andor.episode(1, 4))  # the new next episode
    notes = [h["summary"]["plex_read"] for h in rw.service.history(10)]
    assert notes[-1].startswith("Plex read: full (first read)")
    assert all(n.startswith("Plex read: incremental") for n in notes[:-1]), notes
