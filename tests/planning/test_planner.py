"""Table-driven tests of build_plan: priorities, overlap, retention, budget, eviction, pinned, in play."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from cacherr.domain.cache import ActionKind, CacheEntry, CacheMode, CacheState, Plan
from cacherr.domain.media import MediaItem, PlaySession, Reason, Snapshot, Want
from cacherr.planning import Policy, build_plan
from cacherr.testing import EPOCH, GB, cached, episode, movie

NOW = EPOCH
TB = 1024 * GB

A = movie("a", "Alpha", 2 * GB)
B = movie("b", "Bravo", 2 * GB)
C = movie("c", "Charlie", GB // 2)
D = movie("d", "Delta", GB)
E1 = episode("e1", "Show", 1, 1)
E2 = episode("e2", "Show", 1, 2)
E3 = episode("e3", "Show", 1, 3)
ALL = {i.key: i for i in (A, B, C, D, E1, E2, E3)}
USERS = ("alice", "bob", "carol")


@dataclass
class Case:
    name: str
    wants: list[tuple[str, str, Reason]] = field(default_factory=list)  # (key, user, reason)
    entries: list[CacheEntry] = field(default_factory=list)
    watched: dict[str, set[str]] = field(default_factory=dict)
    playing: list[tuple[str, str]] = field(default_factory=list)  # (user, key)
    policy: Policy = field(default_factory=Policy)
    free: int = TB
    cache: list[str] = field(default_factory=list)  # expected cache actions (item keys, in order)
    restore: list[str] = field(default_factory=list)  # expected restore actions (item keys, in order)
    skipped: list[str] = field(default_factory=list)  # expected substrings of skip reasons
    notes: list[str] = field(default_factory=list)


def snapshot(case: Case) -> Snapshot:
    wants = tuple(Want(k, u, r, 0) for k, u, r in case.wants)
    sessions = tuple(PlaySession(u, k, ALL[k].files[0].plex_path) for u, k in case.playing)
    return Snapshot(NOW, USERS, ALL, wants, {k: frozenset(v) for k, v in case.watched.items()}, sessions)


def plan_for(case: Case) -> Plan:
    return build_plan(snapshot(case), CacheState(tuple(case.entries), 2 * TB, case.free), case.policy, NOW)


H = timedelta(hours=1)
CASES = [
    Case("priorities order the caching",
         wants=[("c", "alice", Reason.TRAKT), ("b", "alice", Reason.WATCHLIST), ("e2", "bob", Reason.NEXT_EPISODE),
                ("e1", "bob", Reason.ON_DECK), ("d", "carol", Reason.IN_PROGRESS)],
         cache=["d", "e1", "e2", "b", "c"]),
    Case("playing comes first", wants=[("a", "alice", Reason.ON_DECK)], playing=[("bob", "d")], cache=["d", "a"]),
    Case("an item wanted by several users counts once",
         wants=[("a", "alice", Reason.WATCHLIST), ("a", "bob", Reason.WATCHLIST), ("a", "carol", Reason.ON_DECK)],
         cache=["a"]),
    Case("already cached and wanted: nothing to do", wants=[("a", "alice", Reason.ON_DECK)],
         entries=cached(A, users=["alice"])),
    Case("watched by every interested user goes back", entries=cached(A, users=["alice", "bob"]),
         watched={"a": {"alice", "bob"}}, restore=["a"]),
    Case("watched by some, still wanted by another: kept", wants=[("a", "bob", Reason.WATCHLIST)],
         entries=cached(A, users=["alice", "bob"]), watched={"a": {"alice"}}),
    Case("watched by some, the other dropped it recently: kept for retention",
         entries=cached(A, users=["alice", "bob"], last_wanted_at=NOW - H), watched={"a": {"alice"}},
         notes=["CACHE_RETENTION_HOURS"]),
    Case("WATCHED_MOVE off keeps watched media within retention", entries=cached(A, users=["alice"],
         last_wanted_at=NOW - H), watched={"a": {"alice"}}, policy=Policy(watched_move=False)),
    Case("left every list longer than retention ago goes back",
         entries=cached(A, users=["alice"], last_wanted_at=NOW - 13 * H), restore=["a"]),
    Case("left every list within retention stays", entries=cached(A, users=["alice"], last_wanted_at=NOW - 11 * H),
         notes=["1 item(s) kept"]),
    Case("retention zero gives back at once", entries=cached(A, users=["alice"], last_wanted_at=NOW),
         policy=Policy(retention=timedelta(0)), restore=["a"]),
    Case("a watched next episode is not cached", wants=[("e2", "bob", Reason.NEXT_EPISODE)],
         watched={"e2": {"bob"}}),
    Case("a re-watch in progress is cached", wants=[("e1", "bob", Reason.IN_PROGRESS)], watched={"e1": {"bob"}},
         cache=["e1"]),
    Case("pre-existing file not yet watched stays", entries=cached(A, pre_existing=True, cached_at=NOW - 100 * H)),
    Case("pre-existing file goes back once watched", entries=cached(A, pre_existing=True),
         watched={"a": {"carol"}}, restore=["a"]),
    Case("pinned is never given back", entries=cached(A, pinned=True, last_wanted_at=NOW - 100 * H),
         watched={"a": {"alice"}}),
    Case("budget: best by priority, a big one skipped, smaller ones still cached",
         wants=[("a", "alice", Reason.ON_DECK), ("b", "alice", Reason.WATCHLIST), ("c", "bob", Reason.WATCHLIST)],
         policy=Policy(limit_bytes=3 * GB), cache=["a", "c"], skipped=["needs 2.0 GB; 1.0 GB available"]),
    Case("MIN_FREE_SPACE is kept", wants=[("a", "alice", Reason.ON_DECK), ("c", "alice", Reason.WATCHLIST)],
         free=3 * GB, policy=Policy(min_free_bytes=2 * GB), cache=["c"], skipped=["MIN_FREE_SPACE"]),
    Case("eviction: lowest priority goes to make room",
         wants=[("a", "alice", Reason.ON_DECK), ("c", "x", Reason.TRAKT), ("d", "bob", Reason.WATCHLIST)],
         entries=[*cached(C, reason=Reason.TRAKT), *cached(D, users=["bob"], reason=Reason.WATCHLIST)],
         policy=Policy(limit_bytes=3 * GB), cache=["a"], restore=["c"], skipped=["given back to make room"]),
    Case("eviction takes idle media before wanted media",
         wants=[("a", "alice", Reason.ON_DECK), ("d", "bob", Reason.WATCHLIST)],
         entries=[*cached(C, users=["bob"], last_wanted_at=NOW - H), *cached(D, users=["bob"])],
         policy=Policy(limit_bytes=3 * GB), cache=["a"], restore=["c"]),
    Case("no eviction of higher-priority media for a lower-priority item",
         wants=[("a", "alice", Reason.ON_DECK), ("b", "bob", Reason.WATCHLIST)],
         entries=cached(A, users=["alice"]), policy=Policy(limit_bytes=3 * GB), skipped=["needs 2.0 GB"]),
    Case("no eviction when even evicting would not make room",
         wants=[("a", "alice", Reason.ON_DECK)], entries=cached(C, reason=Reason.TRAKT, last_wanted_at=NOW),
         policy=Policy(limit_bytes=GB + GB // 2), skipped=["1.0 GB available", "512.0 MB more by giving back"]),
    Case("pinned is never evicted", wants=[("a", "alice", Reason.ON_DECK)],
         entries=cached(B, pinned=True), policy=Policy(limit_bytes=3 * GB), skipped=["needs 2.0 GB"]),
    Case("Trakt budget caps Trakt picks", wants=[("a", "", Reason.TRAKT), ("c", "", Reason.TRAKT)],
         policy=Policy(trakt_max_bytes=GB), cache=["c"], skipped=["TRAKT_MAX_BYTES"]),
    Case("a watched file being played is kept (playing makes it wanted)", entries=cached(E1, users=["bob"]),
         watched={"e1": {"bob"}}, playing=[("bob", "e1")]),
    Case("copy mode caches a file in play", playing=[("bob", "e1")], cache=["e1"]),
    Case("move mode does not move a file in play", playing=[("bob", "e1")], policy=Policy(mode=CacheMode.MOVE),
         skipped=["being played by bob"]),
    Case("a file in play is not evicted", wants=[("a", "alice", Reason.ON_DECK)],
         entries=cached(C, reason=Reason.TRAKT, last_wanted_at=NOW - H), playing=[("carol", "c")],
         policy=Policy(limit_bytes=2 * GB), skipped=["needs 2.0 GB"]),
    Case("real-time top-up never gives back", wants=[("a", "alice", Reason.NEXT_EPISODE)],
         entries=cached(D, users=["bob"], last_wanted_at=NOW - 100 * H),
         policy=Policy(limit_bytes=2 * GB, give_back=False), skipped=["needs 2.0 GB"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan(case: Case) -> None:
    plan = plan_for(case)
    assert [a.item_key for a in plan.to_cache] == case.cache
    assert [a.item_key for a in plan.to_restore] == case.restore
    for text in case.skipped:
        assert any(text in s.why for s in plan.skips), (text, plan.skips)
    if not case.skipped:
        assert plan.skips == ()
    for text in case.notes:
        assert any(text in n for n in plan.notes), (text, plan.notes)
    assert all(a.why for a in plan.actions)
    assert plan.actions == (*plan.to_restore, *plan.to_cache)
    if case.policy.limit_bytes is not None:
        held = sum(e.size for e in case.entries)
        assert plan.usage_after <= max(case.policy.limit_bytes, held)


def test_overlap_records_every_user_and_best_reason() -> None:
    case = Case("x", wants=[("a", "alice", Reason.WATCHLIST), ("a", "bob", Reason.ON_DECK)])
    (action,) = plan_for(case).actions
    assert action.users == frozenset({"alice", "bob"})
    assert action.reason is Reason.ON_DECK
    assert action.why == "on deck for alice and bob"


def test_usage_accounts_for_restores_and_caches() -> None:
    case = Case("x", wants=[("b", "alice", Reason.ON_DECK)], entries=cached(A, users=["bob"]),
                watched={"a": {"bob"}})
    plan = plan_for(case)
    assert (plan.usage_before, plan.usage_after) == (2 * GB, 2 * GB)
    assert [a.kind for a in plan.actions] == [ActionKind.RESTORE, ActionKind.CACHE]


def test_eviction_frees_only_what_is_needed() -> None:
    small = [movie(f"s{i}", f"Small {i}", GB // 2) for i in range(6)]
    items = {**ALL, **{m.key: m for m in small}}
    entries = [e for i, m in enumerate(small) for e in cached(m, reason=Reason.TRAKT, cached_at=NOW - i * H)]
    trakt = [Want(m.key, "", Reason.TRAKT, i) for i, m in enumerate(small)]
    snap = Snapshot(NOW, USERS, items, (Want("a", "alice", Reason.ON_DECK), *trakt))
    plan = build_plan(snap, CacheState(tuple(entries), TB, TB), Policy(limit_bytes=4 * GB), NOW)
    assert [a.item_key for a in plan.to_cache] == ["a"]
    # 3 GB held, 1 GB free: A needs 1 GB more, i.e. the two lowest-ranked Trakt picks
    assert [a.item_key for a in plan.to_restore] == ["s5", "s4"]


def test_deterministic_whatever_the_input_order() -> None:
    wants = [("a", "alice", Reason.ON_DECK), ("b", "bob", Reason.WATCHLIST), ("c", "carol", Reason.WATCHLIST),
             ("d", "alice", Reason.TRAKT), ("e1", "bob", Reason.ON_DECK), ("e2", "bob", Reason.NEXT_EPISODE)]
    entries = [*cached(D, users=["x"]), *cached(E3, users=["bob"], last_wanted_at=NOW - 20 * H)]
    base = plan_for(Case("x", wants=wants, entries=entries, policy=Policy(limit_bytes=4 * GB)))
    rng = random.Random(5)
    for _ in range(5):
        rng.shuffle(wants)
        rng.shuffle(entries)
        again = plan_for(Case("x", wants=list(wants), entries=list(entries), policy=Policy(limit_bytes=4 * GB)))
        assert again == base


def test_multi_file_item_is_cached_whole_or_not_at_all() -> None:
    two = MediaItem("m2", A.kind, "Two Parts", "Movies", (replace(A.files[0], cache_path="/mnt/cache/media/p1",
                                                                  array_path="/mnt/user0/media/p1"),
                                                          replace(A.files[0], cache_path="/mnt/cache/media/p2",
                                                                  array_path="/mnt/user0/media/p2")))
    snap = Snapshot(NOW, USERS, {"m2": two, **ALL}, (Want("m2", "alice", Reason.ON_DECK),
                                                     Want("c", "alice", Reason.WATCHLIST)))
    plan = build_plan(snap, CacheState((), TB, TB), Policy(limit_bytes=3 * GB), NOW)
    assert [a.item_key for a in plan.to_cache] == ["c"]
    assert plan.skips[0].size == 4 * GB


def test_over_budget_already_evicts_nothing_without_a_need() -> None:
    entries = [*cached(A, users=["alice"]), *cached(B, users=["bob"])]
    case = Case("x", wants=[("a", "alice", Reason.ON_DECK), ("b", "bob", Reason.WATCHLIST)], entries=entries,
                policy=Policy(limit_bytes=GB))
    plan = plan_for(case)
    assert plan.actions == ()


def test_titles_not_in_the_library_reach_the_plan_notes() -> None:
    snap = replace(snapshot(Case("x")), not_in_library=("Dune (2021) [trakt movies/trending]",))
    plan = build_plan(snap, CacheState((), 2 * TB, TB), Policy(), NOW)
    assert "Dune (2021) [trakt movies/trending]: not in your library" in plan.notes
