"""Issue 13.4 and 13.10 at scale: 100,000 items, a tenth of them in two versions (one of them stacked),
on a cache with little free space. One version per item, every file once, and the free space the plan
spends, counted as the engine counts it (domain.space), never passes what is free minus MIN_FREE_SPACE."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cacherr.domain.cache import CacheState
from cacherr.domain.media import MediaFile, MediaItem, MediaVersion, Snapshot
from cacherr.domain.space import DEFAULT_BLOCK, SIDECAR_ALLOWANCE, on_disk
from cacherr.domain.versions import VersionRule
from cacherr.planning import Policy, build_plan
from cacherr.testing import SCALE_NOW, generate_plan_inputs


def _two_versions(item: MediaItem) -> MediaItem:
    main = item.files[0]

    def part(n: int) -> MediaFile:
        def alt(path: str) -> str:
            return path.rsplit(".", 1)[0] + f" - 720 - pt{n}.mkv"
        return replace(main, plex_path=alt(main.plex_path), array_path=alt(main.array_path),
                       cache_path=alt(main.cache_path), size=main.size // 3 + n, sidecars=("x.srt",))
    uhd = MediaVersion((main,), 2160, 40_000, "4k")
    sd = MediaVersion((part(1), part(2)), 720, 4_000, "720")
    return replace(item, files=(main, *sd.files), versions=(uhd, sd))


@pytest.fixture(scope="module")
def world() -> tuple[Snapshot, CacheState]:
    snap, state = generate_plan_inputs(100_000, 10_000, 50)
    cached = {e.item_key for e in state.entries}
    items = dict(snap.items)
    for n, key in enumerate(sorted(items)):
        if n % 10 == 0 and key not in cached:
            items[key] = _two_versions(items[key])
    return replace(snap, items=items), state


@pytest.mark.parametrize("rule", ["highest", "720p", "smallest"])
def test_one_version_per_item_and_the_free_space_holds_at_scale(world: tuple[Snapshot, CacheState],
                                                                rule: str) -> None:
    snap, state = world
    tight = replace(state, free_bytes=state.used_by_cacherr // 4)
    policy = Policy(min_free_bytes=state.used_by_cacherr // 50, versions=VersionRule.parse(rule))
    plan = build_plan(snap, tight, policy, SCALE_NOW)
    paths = [a.cache_path for a in plan.actions]
    assert len(paths) == len(set(paths)), "a file appears in two actions"
    assert plan.to_cache, "nothing was planned: the test checks nothing"
    for a in plan.to_cache:
        item = snap.items[a.item_key or ""]
        if item.versions:
            chosen = [v for v in item.versions if any(f.cache_path == a.cache_path for f in v.files)]
            assert len(chosen) == 1
            others = {f.cache_path for v in item.versions if v is not chosen[0] for f in v.files}
            assert not others & set(paths), f"two versions of {item.display_title} planned"
            assert "version" in a.why
    spent = sum(on_disk(a.size) + len(a.sidecars) * SIDECAR_ALLOWANCE for a in plan.to_cache)
    freed = sum(a.size for a in plan.to_restore)
    assert spent <= tight.free_bytes + freed - policy.min_free_bytes
    assert tight.block_size == DEFAULT_BLOCK
