"""The planner at the size real users run it: 100,000 items, 10,000 cached files, 50 users.

Not a timing test (benchmarks/bench_plan.py measures speed); these check that the plan stays correct
at scale: within budget, no file touched twice, pinned and playing files kept, deterministic.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from cacherr.domain.cache import ActionKind, CacheState, Plan
from cacherr.domain.media import Reason, Snapshot
from cacherr.planning import Policy, build_plan
from cacherr.testing import SCALE_NOW, generate_plan_inputs


@pytest.fixture(scope="module")
def world() -> tuple[Snapshot, CacheState]:
    return generate_plan_inputs(100_000, 10_000, 50)


@pytest.mark.parametrize("fraction", [0.25, 0.5, 1.0])
def test_plan_at_scale_is_within_budget_and_touches_each_file_once(
        world: tuple[Snapshot, CacheState], fraction: float) -> None:
    snap, state = world
    limit = int(state.used_by_cacherr * fraction)
    plan = build_plan(snap, state, Policy(limit_bytes=limit), SCALE_NOW)
    _check_invariants(plan, snap, state, limit)


def _check_invariants(plan: Plan, snap: Snapshot, state: CacheState, limit: int) -> None:
    entries = {e.cache_path: e for e in state.entries}
    paths = [a.cache_path for a in plan.actions]
    assert len(paths) == len(set(paths)), "a file appears in two actions"
    playing = {s.plex_path for s in snap.sessions}
    restored = {a.cache_path for a in plan.to_restore}
    for a in plan.to_restore:
        assert a.cache_path in entries, "restoring something that is not cached"
        assert not entries[a.cache_path].pinned, "a pinned file was given back"
    for a in plan.to_cache:
        assert a.cache_path not in entries or a.cache_path in restored, "caching a file already cached"
        assert a.why and a.size > 0
    for e in state.entries:
        item = snap.items.get(e.item_key or "")
        if item is not None and item.files[0].plex_path in playing:
            assert e.cache_path not in restored, "a file in play was moved from under the player"
    # Budget: what is held at the end never exceeds the limit, unless pinned/playing files alone exceed it.
    kept = sum(e.size for p, e in entries.items() if p not in restored)
    assert plan.usage_after == kept + sum(a.size for a in plan.to_cache)
    assert plan.usage_after <= limit or not plan.to_cache
    # Every action names a reason a user can read.
    assert all(a.why for a in plan.actions) and all(s.why for s in plan.skips)


def test_higher_priority_wins_the_space(world: tuple[Snapshot, CacheState]) -> None:
    snap, state = world
    plan = build_plan(snap, state, Policy(limit_bytes=int(state.used_by_cacherr * 0.25)), SCALE_NOW)
    cached_reasons = [a.reason for a in plan.to_cache]
    skipped_titles = {s.title for s in plan.skips}
    on_deck_keys = {w.item_key for w in snap.wants if w.reason is Reason.ON_DECK}
    # Nothing on deck is skipped for room while a lower-priority item got cached.
    worst_cached = max(cached_reasons, default=Reason.PINNED)
    if worst_cached > Reason.ON_DECK:
        assert not any(snap.items[k].title in skipped_titles for k in on_deck_keys)


def test_plan_at_scale_is_deterministic(world: tuple[Snapshot, CacheState]) -> None:
    snap, state = world
    policy = Policy(limit_bytes=int(state.used_by_cacherr * 0.5))
    first = build_plan(snap, state, policy, SCALE_NOW)
    rng = random.Random(3)
    wants, entries = list(snap.wants), list(state.entries)
    rng.shuffle(wants)
    rng.shuffle(entries)
    shuffled = build_plan(replace(snap, wants=tuple(wants)), replace(state, entries=tuple(entries)), policy,
                          SCALE_NOW)
    assert shuffled.actions == first.actions and shuffled.skips == first.skips
    assert [a.kind for a in first.actions[: len(first.to_restore)]] == [ActionKind.RESTORE] * len(first.to_restore)
