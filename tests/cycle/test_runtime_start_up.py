"""runtime.start_up, and the same start-up step before a restore and a real-time cache: the real file engine
recovers a copy really interrupted (a failpoint crashes it mid-copy, as kill -9 would)."""

from __future__ import annotations

from cacherr.domain.media import Reason
from cacherr.runtime import start_up
from tests.cycle.world import World


def test_start_up_closes_interrupted_cycles_then_recovers_under_the_lock(world: World) -> None:
    world.db.execute("INSERT INTO cycles (started_at, trigger) VALUES ('2026-01-01T00:00:00+00:00', 'cli')")
    film = world.movie("m1", "Jaws", year=1975)
    op = world.interrupt_a_copy(film)
    [note] = start_up(world.service)
    assert f"operation {op.id}" in note and "rolled" in note
    assert world.unfinished() == [] and world.partials() == [] and world.on_cache() == set()
    history = world.service.history(10)
    assert [h["status"] for h in history] == ["failed"] and "interrupted" in history[0]["error"]


def test_start_up_skips_while_a_cycle_of_another_holder_runs(world: World) -> None:
    film = world.movie("m1", "Jaws", year=1975)
    op = world.interrupt_a_copy(film)
    with world.service.lock.hold("cli"):
        assert start_up(world.service) == []
        assert [o.id for o in world.unfinished()] == [op.id] and world.partials(), "recovered without the lock"
    assert len(start_up(world.service)) == 1 and world.unfinished() == []


def test_a_restore_recovers_interrupted_operations_first(world: World) -> None:
    film = world.movie("m1", "Jaws", year=1975)
    world.want(film, "alice", Reason.WATCHLIST)
    world.service.run("cli")
    other = world.movie("m2", "Alien", year=1979)
    world.interrupt_a_copy(other)
    report = world.service.restore_all()
    assert any("recovered 1 interrupted" in p for p in report.problems)
    assert world.unfinished() == [] and world.partials() == []
    assert len(report.restored) == 1 and world.on_cache() == set() and world.registry.entries() == []
