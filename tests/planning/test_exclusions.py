"""Items kept off the cache on request (a restore with "keep off the cache"): the planner never caches them,
says why in a skip, and their budget goes to the next items."""

from __future__ import annotations

from cacherr.domain.cache import CacheState
from cacherr.domain.media import Reason, Snapshot, Want
from cacherr.planning import Policy, build_plan
from cacherr.testing import EPOCH, GB, movie

A = movie("a", "Alpha", GB)
B = movie("b", "Bravo", GB)
ITEMS = {i.key: i for i in (A, B)}


def plan(policy: Policy, free: int = 100 * GB):  # type: ignore[no-untyped-def]
    wants = (Want("a", "alice", Reason.ON_DECK), Want("b", "bob", Reason.WATCHLIST))
    snap = Snapshot(EPOCH, ("alice", "bob"), ITEMS, wants)
    return build_plan(snap, CacheState((), 200 * GB, free), policy, EPOCH)


def test_an_excluded_item_is_skipped_with_the_reason() -> None:
    p = plan(Policy(excluded_keys=frozenset({"a"})))
    assert [a.item_key for a in p.to_cache] == ["b"]
    [skip] = p.skips
    assert skip.title == A.display_title and "kept off the cache on request" in skip.why
    assert "on deck for alice" in skip.why


def test_a_file_excluded_by_array_path_is_skipped() -> None:
    p = plan(Policy(excluded_paths=frozenset({B.files[0].array_path})))
    assert [a.item_key for a in p.to_cache] == ["a"]


def test_its_room_goes_to_the_next_item() -> None:
    tight = Policy(limit_bytes=GB)
    assert [a.item_key for a in plan(tight).to_cache] == ["a"]
    assert [a.item_key for a in plan(Policy(limit_bytes=GB, excluded_keys=frozenset({"a"}))).to_cache] == ["b"]


def test_no_exclusions_changes_nothing() -> None:
    assert [a.item_key for a in plan(Policy()).to_cache] == ["a", "b"]
