"""Issue 15.3: a library's own version preference (LIBRARY_RULES ``version``, ``skip_4k``) replaces
MEDIA_VERSION for its items; libraries without one follow MEDIA_VERSION."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cacherr.domain.cache import CacheState, Plan
from cacherr.domain.media import MediaItem, MediaKind, MediaVersion, Reason, Snapshot, Want
from cacherr.domain.versions import VersionRule
from cacherr.planning import Policy, build_plan
from cacherr.planning.policy import library_versions
from cacherr.settings import ConfigError, build_settings
from cacherr.testing import EPOCH, GB, Roots, cached

R = Roots()


def film(key: str, library: str, *labels: str) -> MediaItem:
    sizes = {"4k": 20 * GB, "1080": 8 * GB, "720": 3 * GB}
    heights = {"4k": 2160, "1080": 1080, "720": 720}
    versions = tuple(MediaVersion((R.file(f"{library}/{key}/{key} - {lab}.mkv", sizes[lab]),), heights[lab], 0, lab)
                     for lab in labels)
    return MediaItem(key, MediaKind.MOVIE, key, library, tuple(f for v in versions for f in v.files),
                     versions=versions)


def plan(items: list[MediaItem], settings_env: dict[str, str], entries: tuple = ()) -> Plan:
    settings = build_settings({}, settings_env)
    snap = Snapshot(EPOCH, ("alice",), {i.key: i for i in items},
                    tuple(Want(i.key, "alice", Reason.ON_DECK) for i in items))
    state = CacheState(entries, 1000 * GB, 900 * GB)
    return build_plan(snap, state, Policy.from_settings(settings, state.total_bytes), EPOCH)


def names(p: Plan, key: str) -> list[str]:
    return [a.cache_path.rsplit("/", 1)[-1] for a in p.to_cache if a.item_key == key]


RULES = '{"Kids": {"version": "smallest"}, "Movies": {"skip_4k": true}, "TV": {"version": "720p", "skip_4k": true}}'


def test_each_library_follows_its_own_version_rule() -> None:
    items = [film("a", "Kids", "4k", "1080", "720"), film("b", "Movies", "4k", "1080", "720"),
             film("c", "Other", "4k", "1080", "720")]
    p = plan(items, {"LIBRARY_RULES": RULES})
    assert names(p, "a") == ["a - 720.mkv"]
    assert names(p, "b") == ["b - 1080.mkv"], "skip_4k: the highest that is not 4K"
    assert names(p, "c") == ["c - 4k.mkv"], "no rule: MEDIA_VERSION=highest"
    why = next(a.why for a in p.to_cache if a.item_key == "a")
    assert "LIBRARY_RULES[Kids] version=smallest" in why
    assert "MEDIA_VERSION=highest" in next(a.why for a in p.to_cache if a.item_key == "c")


def test_skip_4k_never_caches_an_item_only_in_4k() -> None:
    p = plan([film("u", "Movies", "4k")], {"LIBRARY_RULES": RULES})
    assert p.to_cache == ()
    (skip,) = p.skips
    assert "only in 4K" in skip.why and "LIBRARY_RULES[Movies] has skip_4k" in skip.why


def test_skip_4k_gives_back_a_cached_4k_version() -> None:
    item = film("b", "Movies", "4k", "1080")
    uhd = replace(item, files=item.versions[0].files)
    p = plan([item], {"LIBRARY_RULES": RULES}, tuple(cached(uhd, users=["alice"])))
    assert [a.cache_path.rsplit("/", 1)[-1] for a in p.to_restore] == ["b - 4k.mkv"]
    assert names(p, "b") == ["b - 1080.mkv"]


def test_library_rule_defaults_from_media_version() -> None:
    s = build_settings({}, {"MEDIA_VERSION": "1080p", "LIBRARY_RULES": '{"Movies": {"skip_4k": true}, "X": {}}'})
    rules = library_versions(VersionRule.parse(s.MEDIA_VERSION), s)
    assert set(rules) == {"Movies"}
    assert (rules["Movies"].kind, rules["Movies"].max_height, rules["Movies"].skip_4k) == ("highest", 1080, True)
    assert s.library_rules()["Movies"].skip_4k and s.library_rules()["X"].version is None


def test_a_bad_library_version_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="LIBRARY_RULES"):
        build_settings({}, {"LIBRARY_RULES": '{"Movies": {"version": "bluray"}}'})
    s = build_settings({}, {"LIBRARY_RULES": '{"Movies": {"version": "4K"}}'})
    assert s.LIBRARY_RULES["Movies"].version == "highest:2160p"
