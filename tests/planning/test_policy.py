"""The policy's pieces: wording, aggregation of wants, who counts as interested, Policy from settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cacherr.domain.cache import CacheMode, CacheState
from cacherr.domain.media import PlaySession, Reason, Snapshot, Want
from cacherr.planning import Policy, aggregate_wants, build_plan
from cacherr.planning.policy import describe, human_bytes, user_list, wanting_users, watched_by_all
from cacherr.settings import build_settings
from cacherr.testing import EPOCH, GB, cached, movie

M = movie("m", "M", GB)


@pytest.mark.parametrize(("users", "text"), [
    ((), "nobody"), (("a",), "a"), (("b", "a"), "a and b"), (("c", "a", "b"), "a, b and c"),
    (("e", "d", "c", "b", "a"), "a, b, c and 2 more"), (("", "a"), "a"),
])
def test_user_list(users: tuple[str, ...], text: str) -> None:
    assert user_list(users) == text


@pytest.mark.parametrize(("reason", "rank", "text"), [
    (Reason.PINNED, 0, "pinned"), (Reason.PLAYING, 0, "playing now for al"),
    (Reason.IN_PROGRESS, 0, "in progress for al"), (Reason.ON_DECK, 0, "on deck for al"),
    (Reason.NEXT_EPISODE, 1, "next episode (#2) for al"), (Reason.WATCHLIST, 0, "on the watchlist of al"),
    (Reason.TRAKT, 2, "Trakt list pick (#3)"), (Reason.PRE_EXISTING, 0, "was already on the cache"),
])
def test_describe(reason: Reason, rank: int, text: str) -> None:
    assert describe(reason, rank, frozenset({"al"})) == text


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (3 * GB, "3.0 GB"),
                                         (5 * 1024 * GB, "5.0 TB")])
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


def test_aggregate_ignores_unknown_items_and_trakt_users() -> None:
    snap = Snapshot(EPOCH, ("al",), {"m": M}, (Want("zz", "al", Reason.ON_DECK), Want("m", "trakt", Reason.TRAKT, 4),
                                              Want("m", "al", Reason.WATCHLIST)))
    (wi,) = aggregate_wants(snap)
    assert wi.reason is Reason.WATCHLIST and wi.users == frozenset({"al"})
    assert wi.reasons == frozenset({Reason.WATCHLIST, Reason.TRAKT})


def test_sessions_for_unknown_items_are_ignored() -> None:
    snap = Snapshot(EPOCH, ("al",), {"m": M}, (), {}, (PlaySession("al", "gone", "/data/x.mkv"),))
    assert aggregate_wants(snap) == []
    plan = build_plan(snap, CacheState(tuple(cached(M, users=["al"])), GB * 10, GB * 10), Policy(), EPOCH)
    assert plan.actions == ()  # cached at EPOCH, within retention


def test_interested_users_ignore_departed_users() -> None:
    entry = cached(M, users=["al", "gone"])[0]
    snap = Snapshot(EPOCH, ("al", "bo"), {"m": M}, (), {"m": frozenset({"al"})})
    assert watched_by_all(entry, snap, wanting_users(snap)) == frozenset({"al"})
    snap2 = Snapshot(EPOCH, ("al", "bo"), {"m": M}, (Want("m", "bo", Reason.WATCHLIST),), {"m": frozenset({"al"})})
    assert watched_by_all(entry, snap2, wanting_users(snap2)) is None


def test_no_budget_message_names_free_space() -> None:
    snap = Snapshot(EPOCH, ("al",), {"m": M}, (Want("m", "al", Reason.ON_DECK),))
    plan = build_plan(snap, CacheState((), 2 * GB, GB // 2), Policy(), EPOCH)
    assert "free space on the cache" in plan.skips[0].why


def test_retention_wording_in_minutes() -> None:
    entries = cached(M, users=["al"], last_wanted_at=EPOCH - timedelta(minutes=30))
    snap = Snapshot(EPOCH, ("al",), {"m": M})
    plan = build_plan(snap, CacheState(tuple(entries), GB * 9, GB * 9), Policy(retention=timedelta(minutes=20)), EPOCH)
    assert "30m ago (CACHE_RETENTION_HOURS=20m)" in plan.actions[0].why


@pytest.mark.parametrize(("values", "mode", "limit", "free"), [
    ({}, CacheMode.COPY, None, 100),  # by default 10% of the cache stays free
    ({"MIN_FREE_SPACE": "0"}, CacheMode.COPY, None, 0),
    ({"COPY_TO_CACHE": "false", "CACHE_LIMIT": "50%", "MIN_FREE_SPACE": "10GB"}, CacheMode.MOVE, 500, 10 * GB),
    ({"USE_SYMLINKS": "true", "CACHE_LIMIT": "200"}, CacheMode.SYMLINK, 200, 100),
])
def test_policy_from_settings(values: dict[str, str], mode: CacheMode, limit: int | None, free: int) -> None:
    s = build_settings(values, {})
    p = Policy.from_settings(s, 1000)
    assert (p.mode, p.limit_bytes, p.min_free_bytes, p.retention) == (mode, limit, free, timedelta(hours=12))
