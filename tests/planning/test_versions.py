"""Issue 13.4: an item with several Media versions is cached as ONE version with all of its parts,
chosen by MEDIA_VERSION (being played, else already cached, else the preference); the plan says which."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cacherr.domain.cache import ActionKind, CacheEntry, CacheState, Plan
from cacherr.domain.media import MediaItem, MediaKind, MediaVersion, PlaySession, Reason, Snapshot, Want
from cacherr.domain.versions import VersionRule, choose
from cacherr.planning import Policy, build_plan
from cacherr.settings import ConfigError, build_settings
from cacherr.testing import EPOCH, GB, Roots, cached

R = Roots()
UHD = MediaVersion((R.file("movies/Heat (1995)/Heat - 4k.mkv", int(10.6 * GB)),), 2160, 40_000, "4k")
HD = MediaVersion((R.file("movies/Heat (1995)/Heat - 1080.mkv", 6 * GB),), 1080, 12_000, "1080")
SD2 = MediaVersion((R.file("movies/Heat (1995)/Heat - 720 - pt1.mkv", int(5.6 * GB)),
                    R.file("movies/Heat (1995)/Heat - 720 - pt2.mkv", int(5.7 * GB))), 720, 6_000, "720")


def heat(*versions: MediaVersion) -> MediaItem:
    return MediaItem("heat", MediaKind.MOVIE, "Heat", "Movies", tuple(f for v in versions for f in v.files),
                     year=1995, versions=versions)


def plan(item: MediaItem, rule: str = "highest", *, entries: tuple[CacheEntry, ...] = (),
         playing: str = "", free: int = 100 * GB) -> Plan:
    sessions = (PlaySession("bob", item.key, playing),) if playing else ()
    snap = Snapshot(EPOCH, ("alice", "bob"), {item.key: item}, (Want(item.key, "alice", Reason.ON_DECK),),
                    sessions=sessions)
    policy = Policy(versions=VersionRule.parse(rule))
    return build_plan(snap, CacheState(entries, 1000 * GB, free), policy, EPOCH)


def cached_names(p: Plan) -> list[str]:
    return [a.cache_path.rsplit("/", 1)[-1] for a in p.to_cache]


def test_every_version_of_a_movie_is_cached_regression() -> None:
    """The bug: a 4K version and a 720p two-part version were planned as three files (21.9 GB)."""
    p = plan(heat(UHD, SD2))
    assert cached_names(p) == ["Heat - 4k.mkv"]
    assert sum(a.size for a in p.to_cache) == int(10.6 * GB)
    assert "version 4K of 2 (MEDIA_VERSION=highest)" in p.to_cache[0].why


@pytest.mark.parametrize(("rule", "expected"), [
    ("highest", ["Heat - 4k.mkv"]),
    ("1080p", ["Heat - 1080.mkv"]),
    ("highest:1080p", ["Heat - 1080.mkv"]),
    ("720p", ["Heat - 720 - pt1.mkv", "Heat - 720 - pt2.mkv"]),  # stacked parts travel together
    ("480p", ["Heat - 720 - pt1.mkv", "Heat - 720 - pt2.mkv"]),  # all above the limit: the lowest
    ("smallest", ["Heat - 1080.mkv"]),
    ("largest", ["Heat - 720 - pt1.mkv", "Heat - 720 - pt2.mkv"]),
    ("all", ["Heat - 4k.mkv", "Heat - 1080.mkv", "Heat - 720 - pt1.mkv", "Heat - 720 - pt2.mkv"]),
])
def test_media_version_rules(rule: str, expected: list[str]) -> None:
    assert cached_names(plan(heat(UHD, HD, SD2), rule)) == expected


def test_the_version_being_played_wins() -> None:
    p = plan(heat(UHD, HD, SD2), playing=SD2.files[1].plex_path)
    assert cached_names(p) == ["Heat - 720 - pt1.mkv", "Heat - 720 - pt2.mkv"]
    assert "(being played)" in p.to_cache[0].why and "2 parts" in p.to_cache[0].why


def test_a_version_already_cached_stays_and_the_others_go_back() -> None:
    """Cached under the old behaviour (every version): the complete one is kept, no swap, the rest go back."""
    item = heat(UHD, HD)
    entries = tuple(cached(item, users=("alice",)))
    p = plan(item, "1080p", entries=entries)
    assert p.to_cache == () and [a.cache_path for a in p.to_restore] == [UHD.files[0].cache_path]
    assert "another version is cached instead: version 1080p of 2 (already on the cache)" in p.to_restore[0].why
    only_4k = tuple(e for e in entries if e.cache_path == UHD.files[0].cache_path)
    assert plan(item, "1080p", entries=only_4k).actions == ()  # a complete version is not swapped


def test_a_partly_cached_version_is_completed() -> None:
    item = heat(UHD, SD2)
    half = tuple(e for e in cached(item) if e.cache_path == SD2.files[0].cache_path)
    p = plan(item, "720p", entries=half)
    assert cached_names(p) == ["Heat - 720 - pt2.mkv"] and p.to_restore == ()


def test_the_budget_counts_the_chosen_version_only() -> None:
    p = plan(heat(UHD, SD2), "highest", free=11 * GB)
    assert cached_names(p) == ["Heat - 4k.mkv"] and p.skips == ()
    p = plan(heat(UHD, SD2), "highest", free=10 * GB)
    assert p.to_cache == () and "needs 10.6 GB" in p.skips[0].why


def test_single_version_items_are_untouched() -> None:
    item = heat(HD)
    assert choose(replace(item, versions=()), VersionRule()).files == HD.files
    assert cached_names(plan(replace(item, versions=()))) == ["Heat - 1080.mkv"]


@pytest.mark.parametrize(("text", "shown"), [
    ("", "highest"), ("best", "highest"), ("Highest", "highest"), ("1080p", "highest:1080p"),
    ("4K", "highest:2160p"), ("highest:720p", "highest:720p"), ("highest 1080p", "highest:1080p"),
    ("smallest", "smallest"), ("ALL", "all"),
])
def test_version_rule_parsing(text: str, shown: str) -> None:
    assert str(VersionRule.parse(text)) == shown
    assert shown == build_settings({"MEDIA_VERSION": text}, {}).MEDIA_VERSION


@pytest.mark.parametrize("bad", ["biggest", "1080", "highest:", "p1080"])
def test_bad_version_rules_name_the_setting(bad: str) -> None:
    with pytest.raises(ConfigError, match="MEDIA_VERSION"):
        build_settings({"MEDIA_VERSION": bad}, {})


def test_restore_actions_keep_their_kind() -> None:
    entries = tuple(cached(heat(UHD, HD)))
    p = plan(heat(UHD, HD), entries=entries)
    assert all(a.kind is ActionKind.RESTORE for a in p.to_restore) and len(p.to_restore) == 1


def _copy(key: str, library: str, version: MediaVersion) -> MediaItem:
    return MediaItem(key, MediaKind.MOVIE, "Heat", library, version.files, year=1995,
                     guids=(f"plex://movie/{key}", "imdb://tt0113277"), versions=(version,))


def test_same_title_in_two_libraries_matches_the_first_library_only_regression() -> None:
    """The same movie in "Movies" (1080p) and "Movies 4K": a watchlist wants both copies; one is cached,
    the one MEDIA_VERSION prefers, with every user of both."""
    hd, uhd = _copy("m1", "Movies", HD), _copy("m2", "Movies 4K", UHD)
    items = {i.key: i for i in (hd, uhd)}
    wants = (Want("m1", "alice", Reason.WATCHLIST), Want("m2", "alice", Reason.WATCHLIST),
             Want("m1", "bob", Reason.ON_DECK))
    snap = Snapshot(EPOCH, ("alice", "bob"), items, wants)
    state = CacheState((), 1000 * GB, 100 * GB)
    best = build_plan(snap, state, Policy(), EPOCH)
    assert [a.item_key for a in best.to_cache] == ["m2"]
    assert best.to_cache[0].users == frozenset({"alice", "bob"}) and best.to_cache[0].reason is Reason.ON_DECK
    capped = build_plan(snap, state, Policy(versions=VersionRule.parse("1080p")), EPOCH)
    assert [a.item_key for a in capped.to_cache] == ["m1"]
    # A copy already on the cache is kept rather than swapped for the other library's.
    kept = build_plan(snap, replace(state, entries=tuple(cached(hd))), Policy(), EPOCH)
    assert kept.actions == ()
    # The same library twice (two items on purpose) is not collapsed.
    twin = replace(uhd, library="Movies")
    both = build_plan(replace(snap, items={"m1": hd, "m2": twin}), state, Policy(), EPOCH)
    assert sorted(a.item_key or "" for a in both.to_cache) == ["m1", "m2"]
