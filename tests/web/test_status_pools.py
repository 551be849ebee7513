"""/api/v1/status shows each cache pool (a configured cache root) with what Cacherr holds on it, from the
registry's running per-pool totals (migration 0006), not from a read of the registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cacherr.adapters.sqlite_store import SqliteCacheRegistry
from cacherr.bootstrap import Container
from cacherr.settings_store import SettingsStore
from tests.web.conftest import World


def _mappings(root: Path) -> list[dict[str, str]]:
    for d in ("plex/movies", "plex/tv", "array/movies", "array/tv", "cache/movies", "fast/tv"):
        (root / d).mkdir(parents=True, exist_ok=True)
    return [{"name": "movies", "plex_path": str(root / "plex/movies"), "real_path": str(root / "array/movies"),
             "cache_path": str(root / "cache/movies")},
            {"name": "tv", "plex_path": str(root / "plex/tv"), "real_path": str(root / "array/tv"),
             "cache_path": str(root / "fast/tv")}]


def test_status_lists_bytes_held_per_pool(tmp_path: Path, world_factory: Callable[..., World]) -> None:
    w = world_factory(saved={"PATH_MAPPINGS": _mappings(tmp_path)})
    SqliteCacheRegistry(w.db).set_pools(m.cache_path for m in w.store.current.path_mappings())  # as bootstrap does
    w.add_entry("A", size=4000, cache_path=str(tmp_path / "cache/movies/A.mkv"))
    w.add_entry("B", size=1500, cache_path=str(tmp_path / "fast/tv/B.mkv"))
    w.add_entry("C", size=500, cache_path=str(tmp_path / "fast/tv/Show/C.mkv"))
    cache = w.client.get("/api/v1/status").get_json()["cache"]
    pools = {p["root"]: (p["entries"], p["by_cacherr_bytes"]) for p in cache["pools"]}
    assert pools == {str(tmp_path / "cache/movies"): (1, 4000), str(tmp_path / "fast/tv"): (2, 2000)}
    assert all(p["total_bytes"] > 0 and p["free_bytes"] > 0 for p in cache["pools"])
    assert cache["by_cacherr_bytes"] == 6000


def test_the_container_records_the_configured_pools(tmp_path: Path, clean_env: dict[str, str]) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "cacherr_config.json").write_text(json.dumps({"PATH_MAPPINGS": _mappings(tmp_path), "SCHEDULE": "off"}))
    container = Container(SettingsStore(config, {}))
    try:
        assert set(container.registry.pool_totals()) == {str(tmp_path / "cache/movies"), str(tmp_path / "fast/tv")}
    finally:
        container.db.close()
