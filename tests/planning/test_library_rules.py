"""Per-library rules narrow what is wanted, library by library; a library without a rule follows the globals."""

from __future__ import annotations

from datetime import timedelta

from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.media import MediaKind, Reason, Snapshot, Want
from cacherr.planning.library_rules import apply_rules, keeps, most_episodes, retention_for
from cacherr.testing import EPOCH, Roots

ROOTS = Roots("/data", "/array", "/cache")


def item(key: str, library: str, kind: MediaKind = MediaKind.EPISODE) -> object:
    from cacherr.domain.media import MediaItem

    return MediaItem(key, kind, key, library, (ROOTS.file(f"{library}/{key}.mkv", 10),))


RULES = {"Anime": LibraryRule(episodes=12), "Movies": LibraryRule(watchlist=False, retention_hours=48),
         "4K": LibraryRule(enabled=False)}


def test_episodes_ahead_per_library() -> None:
    assert most_episodes(RULES, 5) == 12
    assert most_episodes({"Off": LibraryRule(enabled=False, episodes=50)}, 5) == 5
    assert keeps(RULES, 5, "Anime", Want("a", "u", Reason.NEXT_EPISODE, 11))
    assert not keeps(RULES, 5, "Anime", Want("a", "u", Reason.NEXT_EPISODE, 12))
    assert not keeps(RULES, 5, "TV Shows", Want("t", "u", Reason.NEXT_EPISODE, 5))  # no rule: NUMBER_EPISODES
    assert keeps(RULES, 5, "TV Shows", Want("t", "u", Reason.NEXT_EPISODE, 4))


def test_watchlist_off_and_a_disabled_library() -> None:
    assert not keeps(RULES, 5, "Movies", Want("m", "u", Reason.WATCHLIST))
    assert keeps(RULES, 5, "Movies", Want("m", "u", Reason.IN_PROGRESS))
    assert not keeps(RULES, 5, "4K", Want("k", "u", Reason.IN_PROGRESS))
    assert keeps(RULES, 5, "4K", Want("k", "u", Reason.PINNED))  # a pin is the person's own choice


def test_apply_rules_keeps_items_and_drops_wants() -> None:
    items = {k: item(k, lib) for k, lib in [("a", "Anime"), ("m", "Movies"), ("k", "4K")]}
    wants = (Want("a", "u", Reason.NEXT_EPISODE, 7), Want("m", "u", Reason.WATCHLIST), Want("k", "u", Reason.ON_DECK))
    snap = Snapshot(EPOCH, ("u",), items, wants)  # type: ignore[arg-type]
    out = apply_rules(snap, RULES, 5)
    assert [w.item_key for w in out.wants] == ["a"] and out.items == snap.items
    assert apply_rules(snap, {}, 5) is snap


def test_retention_per_library() -> None:
    assert retention_for(RULES, "Movies", timedelta(hours=12)) == timedelta(hours=48)
    assert retention_for(RULES, "Anime", timedelta(hours=12)) == timedelta(hours=12)
