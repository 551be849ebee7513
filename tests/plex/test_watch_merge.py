"""``plex_watch_merge`` (pure): who watched what, item by item, from the stored state and what a read learnt."""

from __future__ import annotations

from cacherr.adapters import plex_watch_merge as wm
from cacherr.ports import WatchState

EVERYONE = frozenset({"alice", "bob"})


def st(known: set[str], watched: set[str]) -> WatchState:
    return WatchState(frozenset(known), frozenset(watched))


def test_needs_every_other_user_for_a_tracked_key_and_the_wanting_user_for_a_want() -> None:
    need = wm.needs(["alice", "bob"], {"1", "2", "3"}, ["1", "9"], [("alice", "2"), ("trakt", "3"), ("bob", "9")])
    assert need == {"1": EVERYONE, "2": frozenset({"alice"})}  # 9 is not an item; trakt is not a user
    assert wm.needs([], {"1"}, ["1"], []) == {}


def test_unknown_lists_only_what_nothing_stored_has() -> None:
    need = {"1": EVERYONE, "2": EVERYONE, "3": frozenset({"bob"})}
    stored = {"1": st({"alice", "bob"}, set()), "2": st({"alice"}, {"alice"})}
    assert wm.unknown(need, stored) == {"bob": ["2", "3"]}


def test_changes_freshest_last() -> None:
    stored = {"1": st({"alice"}, {"alice"}), "2": st({"alice"}, set())}
    # history raises 2 (not 1: already watched), On Deck says 3 is at 0, the read now says 2 is at 0 again
    assert wm.changes(stored, "alice", {"1", "2"}, {"3": 0}, {"2": 0}) == {"2": 0, "3": 0}
    assert wm.changes(stored, "alice", {"2"}, {}, {}) == {"2": 1}


def test_merge_stored_and_changed_for_the_users_whose_state_is_read() -> None:
    items = {"1", "2", "3"}
    need = {"1": EVERYONE, "2": frozenset({"alice"})}
    stored = {"1": st({"owner", "alice", "bob"}, {"owner", "bob"}), "2": st({"alice", "bob"}, {"bob"}),
              "3": st({"owner"}, set())}
    merged = wm.merge("owner", items, need, stored, {"alice": {"1": 2}, "owner": {"3": 1}, "bob": {"2": 5}}, ())
    assert merged.watched_by == {"1": frozenset({"owner", "alice", "bob"}), "3": frozenset({"owner"})}
    # bob's state of 2 is not read this time (not tracked, not his want): stored, not shown
    assert sorted(merged.rows) == [("alice", "1", 2), ("bob", "2", 5), ("owner", "3", 1)]


def test_merge_a_user_whose_read_failed_counts_as_unread() -> None:
    stored = {"1": st({"owner", "alice", "bob"}, {"alice", "bob"})}
    merged = wm.merge("owner", {"1"}, {"1": EVERYONE}, stored, {"bob": {"1": 0}, "alice": {"1": 3}}, {"alice"})
    assert merged.watched_by == {}  # alice unread (not shown as watched), bob now unwatched
    assert merged.rows == [("bob", "1", 0)]  # nothing stored for alice
