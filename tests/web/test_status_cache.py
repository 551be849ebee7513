"""``web.status_cache``: one refresh per ttl; while it runs, callers with the same key get the previous
value without waiting; a changed key is never answered from the old value. A fake clock, real threads,
events (no sleeps)."""

from __future__ import annotations

import threading

from cacherr.web.status_cache import BusyProbe, Coalesced

WAIT = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_value_is_reused_and_a_due_one_recomputed() -> None:
    clock, calls = Clock(), []
    cache: Coalesced[int] = Coalesced(0.5, clock)
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert cache.get("k", compute) == 1
    clock.now += 0.4
    assert cache.get("k", compute) == 1
    clock.now += 0.2
    assert cache.get("k", compute) == 2


def test_while_one_caller_refreshes_others_get_the_previous_value_at_once() -> None:
    clock = Clock()
    cache: Coalesced[str] = Coalesced(0.5, clock)
    cache.get("k", lambda: "old")
    clock.now += 1.0
    inside, release = threading.Event(), threading.Event()

    def slow() -> str:
        inside.set()
        assert release.wait(WAIT)
        return "new"

    got: list[str] = []
    refresher = threading.Thread(target=lambda: got.append(cache.get("k", slow)), daemon=True)
    refresher.start()
    assert inside.wait(WAIT)
    try:
        # without the coalescing this caller would wait for the slow refresh (and then run its own)
        assert cache.get("k", lambda: "second refresh") == "old"
    finally:
        release.set()
        refresher.join(WAIT)
    assert got == ["new"] and cache.get("k", lambda: "again") == "new"


def test_a_changed_key_waits_for_its_own_value() -> None:
    clock = Clock()
    cache: Coalesced[str] = Coalesced(0.5, clock)
    cache.get(("idle", None), lambda: "idle status")
    assert cache.get(("busy", 1), lambda: "busy status") == "busy status"  # fresh, but another key
    cache.clear()
    assert cache.get(("busy", 1), lambda: "recomputed") == "recomputed"


def test_busy_probe_sees_a_web_job_at_once_and_asks_the_lock_once_per_ttl() -> None:
    clock, asked = Clock(), []
    probe = BusyProbe(0.5, clock)
    ask = lambda: asked.append(1) or False  # noqa: E731
    assert probe.running(False, ask) is False
    assert probe.running(False, ask) is False
    assert len(asked) == 1
    assert probe.running(True, ask) is True  # a job started here: never hidden by the cached answer
    clock.now += 0.6
    assert probe.running(False, lambda: True) is True  # another process's cycle: seen within the ttl
