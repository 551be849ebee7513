"""Issue 15.7: prefetch by runtime. EPISODES_AHEAD_MINUTES (or a library's ``minutes``) keeps, per user and
show, the next episodes until their runtime adds up (at least one): short anime episodes vs long dramas."""

from __future__ import annotations

import pytest

from cacherr.adapters.plex_convert import Leaf, next_after
from cacherr.domain.library_rule import LibraryRule
from cacherr.domain.media import MediaItem, MediaKind, Reason, Snapshot, Want
from cacherr.domain.runtime import UNKNOWN_MINUTES, episodes_for
from cacherr.planning.library_rules import apply_rules, most_minutes
from cacherr.settings import ConfigError, build_settings
from cacherr.testing import EPOCH, Roots

R = Roots("/data", "/array", "/cache")
MIN = 60_000


def ep(show: str, n: int, minutes: float | None, library: str = "TV Shows") -> MediaItem:
    return MediaItem(f"{show}{n}", MediaKind.EPISODE, f"E{n}", library, (R.file(f"tv/{show}/{n}.mkv", 10),),
                     show_key=show, show_title=show, season=1, episode=n,
                     duration_ms=None if minutes is None else int(minutes * MIN))


def snapshot(*shows: tuple[str, float | None, str]) -> Snapshot:
    items, wants = {}, []
    for show, minutes, library in shows:
        for n in range(10):
            item = ep(show, n, minutes, library)
            items[item.key] = item
            wants.append(Want(item.key, "alice", Reason.NEXT_EPISODE, n))
    return Snapshot(EPOCH, ("alice",), items, tuple(wants))


def kept(snap: Snapshot, show: str) -> int:
    return sum(1 for w in snap.wants if w.item_key.startswith(show))


@pytest.mark.parametrize(("durations", "minutes", "expected"), [
    ([24 * MIN] * 10, 120, 5),  # anime: five 24-minute episodes make two hours
    ([60 * MIN] * 10, 120, 2),  # drama: two hours
    ([70 * MIN] * 10, 120, 2),  # 140 >= 120: the second one crosses the line
    ([180 * MIN], 120, 1),  # a single long one is enough
    ([24 * MIN] * 3, 120, 3),  # fewer than needed: all there are
    ([10 * MIN] * 30, 5, 1),  # at least one, and no more than needed
    ([None] * 10, 60, 2),  # unknown durations count as UNKNOWN_MINUTES
    ([24 * MIN] * 10, 0, 0),  # off
])
def test_episodes_for_minutes(durations: list[int | None], minutes: int, expected: int) -> None:
    assert UNKNOWN_MINUTES == 30
    assert episodes_for(durations, minutes) == expected


def test_anime_and_drama_with_the_global_minutes() -> None:
    snap = snapshot(("anime", 24, "TV Shows"), ("drama", 58, "TV Shows"))
    out = apply_rules(snap, {}, 5, 120)
    assert kept(out, "anime") == 5 and kept(out, "drama") == 3  # 58 * 2 = 116 < 120
    assert kept(apply_rules(snap, {}, 5, 0), "anime") == 10, "minutes off: the adapter's count stays"


def test_a_library_counts_minutes_while_another_counts_episodes() -> None:
    snap = snapshot(("anime", 24, "Anime"), ("drama", 60, "TV Shows"))
    rules = {"Anime": LibraryRule(minutes=240)}
    out = apply_rules(snap, rules, 3, 0)
    assert kept(out, "anime") == 10 and kept(out, "drama") == 3  # 240 minutes = 10 episodes; NUMBER_EPISODES=3
    out = apply_rules(snap, {"Anime": LibraryRule(minutes=0)}, 3, 120)
    assert kept(out, "anime") == 3 and kept(out, "drama") == 2  # minutes 0 in a rule: count episodes there
    assert most_minutes({"Anime": LibraryRule(minutes=240), "Off": LibraryRule(enabled=False, minutes=900)}, 60) == 240
    assert kept(apply_rules(snap, {"Anime": LibraryRule(enabled=False, minutes=60)}, 3, 0), "anime") == 0


def test_next_after_fetches_enough_for_the_minutes() -> None:
    anime = [Leaf(f"a{n}", 1, n, False, True, 24 * MIN) for n in range(1, 13)]
    drama = [Leaf(f"d{n}", 1, n, False, True, 62 * MIN) for n in range(1, 13)]
    assert len(next_after(anime, (1, 1), 2, minutes=120)) == 5
    assert len(next_after(drama, (1, 1), 2, minutes=120)) == 2
    assert len(next_after(drama, (1, 1), 4, minutes=120)) == 4, "the count still applies when it is more"


def test_minutes_settings_are_validated() -> None:
    s = build_settings({}, {"EPISODES_AHEAD_MINUTES": "90",
                      "LIBRARY_RULES": '{"Anime": {"minutes": 240}}'})
    assert s.EPISODES_AHEAD_MINUTES == 90 and s.library_rules()["Anime"].minutes == 240
    with pytest.raises(ConfigError, match="EPISODES_AHEAD_MINUTES"):
        build_settings({}, {"EPISODES_AHEAD_MINUTES": "-1"})
