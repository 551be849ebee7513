"""runtime.start_up, and the same start-up step before a restore and a real-time cache."""

from __future__ import annotations

from cacherr.domain.media import Reason
from cacherr.runtime import start_up
from cacherr.testing import CopyingFileEngine
from tests.cycle.world import World


def test_start_up_closes_interrupted_cycles_then_recovers_under_the_lock(world: World) -> None:
    world.db.execute("INSERT INTO cycles (started_at, trigger) VALUES ('2026-01-01T00:00:00+00:00', 'cli')")
    engine = world.engine
    assert isinstance(engine, CopyingFileEngine)
    engine.pending_recovery = ["rolled back copy of x.mkv"]
    assert start_up(world.service) == ["rolled back copy of x.mkv"]
    assert engine.recover_calls == 1
    history = world.service.history(10)
    assert [h["status"] for h in history] == ["failed"] and "interrupted" in history[0]["error"]


def test_start_up_skips_while_a_cycle_of_another_holder_runs(world: World) -> None:
    engine = world.engine
    assert isinstance(engine, CopyingFileEngine)
    with world.service.lock.hold("cli"):
        assert start_up(world.service) == []
    assert engine.recover_calls == 0


def test_a_restore_recovers_interrupted_operations_first(world: World) -> None:
    film = world.movie("m1", "Jaws", year=1975)
    world.want(film, "alice", Reason.WATCHLIST)
    world.service.run("cli")
    engine = world.engine
    assert isinstance(engine, CopyingFileEngine)
    calls = engine.recover_calls
    engine.pending_recovery = ["finished copy of y.mkv"]
    report = world.service.restore_all()
    assert engine.recover_calls == calls + 1
    assert any("recovered 1 interrupted" in p for p in report.problems)
    assert len(report.restored) == 1
