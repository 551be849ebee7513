"""The state store as the cache fills: per-file copy cost, the media list and /status at 1k-50k entries.

1. Per-file copy cost with 0, 10,000 and 50,000 entries already in the registry (generated with one bulk
   INSERT): small files copied one action at a time through the full engine (preflight with the
   CACHE_LIMIT budget check, journal, temp file, fsync, rename, registry row), rounds interleaved
   across the three registries so machine noise hits all alike. Reference: the empty registry.
   Target: 50,000 within 1.2x of none.
2. ``GET /api/v1/media`` (first page, last page, search, user filter) and ``GET /api/v1/status`` through
   the real Flask app (Flask's test client, no sockets) on a state database of 1k / 10k / 50k entries;
   /status's half-second answer cache is cleared before each request, so every one queries.
   Target: media p90 < 20 ms at 50,000.

    .venv/bin/python benchmarks/run.py store [--quick]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Row  # noqa: E402

from cacherr.adapters.sqlite_journal import SqliteJournal  # noqa: E402
from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database  # noqa: E402
from cacherr.demo.lab import write_media  # noqa: E402
from cacherr.demo.registry_bulk import add_entries  # noqa: E402
from cacherr.domain.cache import Action, ActionKind, CacheMode  # noqa: E402
from cacherr.domain.media import Reason  # noqa: E402
from cacherr.fileops import EngineConfig, build_engine  # noqa: E402
from cacherr.settings_types import SizeLimit  # noqa: E402

KiB = 1 << 10
MEDIA_TARGET_MS = 20.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- 1. per-file copy cost ------------------------------------------------------------------------
def _copier(work: Path, cached: int, files: int) -> Callable[[], list[float]]:
    """A function that copies ``files`` small files (one action each) and returns their times."""
    root = work / f"n{cached}"
    array_root, cache_root = root / "array", root / "cache"
    rels = [f"TV/Show/S01/E{i:03d}.mkv" for i in range(files)]
    for rel in rels:
        write_media(array_root / rel, 256 * KiB)
    (cache_root / "TV").mkdir(parents=True)
    db = open_database(root / "state.db")
    add_entries(db, cached, root=str(root / "bulk"))
    registry = SqliteCacheRegistry(db)
    config = EngineConfig(roots=((str(array_root), str(cache_root)),), settle_seconds=0.0,
                          cache_limit=SizeLimit.parse("1000T"))
    engine = build_engine(SqliteJournal(db), registry, config, in_use=lambda _p: [])
    actions = [Action(ActionKind.CACHE, str(array_root / r), str(cache_root / r), 256 * KiB, Reason.ON_DECK,
                      "benchmark") for r in rels]

    def go() -> list[float]:
        times = []
        for act in actions:
            started = time.perf_counter()
            [res] = engine.execute([act], mode=CacheMode.COPY)
            times.append(time.perf_counter() - started)
            if not res.ok:
                raise RuntimeError(res.message)
        for act in actions:  # back to the start: files off the cache, rows out of the registry
            Path(act.cache_path).unlink()
            registry.remove(act.cache_path)
        return times

    return go


def copy_rows(quick: bool) -> list[Row]:
    sizes = (0, 10_000, 50_000)
    files, rounds = (10, 3) if quick else (20, 5)
    work = Path(tempfile.mkdtemp(prefix="cacherr-bench-store-", dir="/var/tmp"))
    try:
        copiers = {n: _copier(work, n, files) for n in sizes}
        times: dict[int, list[float]] = {n: [] for n in sizes}
        for _ in range(rounds):
            for n, go in copiers.items():
                times[n].extend(go())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {n: statistics.median(v) * 1000 for n, v in times.items()}
    rows = [Row("store", "per-file copy, empty registry", med[0], "ms",
                note=f"median of {files * rounds} copies of 256 KiB, full engine with CACHE_LIMIT set")]
    for n in sizes[1:]:
        rows.append(Row("store", f"per-file copy, {n:,} entries cached", med[n], "ms", reference=med[0],
                        target="<= 1.20" if n == 50_000 else "", note=f"p90 {_pct(times[n], 0.9) * 1000:.1f} ms"))
    return rows


# --- 2. the media list and /status ----------------------------------------------------------------
def _app(root: Path, entries: int) -> Any:
    from cacherr.bootstrap import build_container
    from cacherr.web.app import create_app

    env = {"REAL_SOURCE": str(root / "array"), "CACHE_DESTINATION": str(root / "cache"), "PLEX_SOURCE": "/data",
           "SCHEDULE": "off", "LOG_LEVEL": "WARNING", "PLEX_URL": "http://127.0.0.1:9"}
    (root / "array").mkdir(parents=True)
    (root / "cache").mkdir()
    container = build_container(root / "config", env=env, console_log=False)
    add_entries(container.db, entries, root=str(root))
    return create_app(container)


def _timed_get(client: Any, app: Any, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        app.extensions["cacherr"].extra.pop("status", None)
        started = time.perf_counter()
        resp = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status_code} {resp.get_data(as_text=True)[:200]}")
    return times


def web_rows(quick: bool) -> list[Row]:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 50_000)
    n = 20 if quick else 60
    rows: list[Row] = []
    for entries in sizes:
        work = Path(tempfile.mkdtemp(prefix="cacherr-bench-web-", dir="/var/tmp"))
        try:
            app = _app(work, entries)
            client = app.test_client()
            last = -(-entries // 50)
            paths = {"media first page": "/api/v1/media?per_page=50",
                     "media last page": f"/api/v1/media?per_page=50&page={last}",
                     "media search": "/api/v1/media?per_page=50&q=Show%20123",
                     "media user filter": "/api/v1/media?per_page=50&user=carol",
                     "status (uncached)": "/api/v1/status"}
            for path in paths.values():
                _timed_get(client, app, path, 3)  # warm up
            for name, path in paths.items():
                times = _timed_get(client, app, path, n)
                target = f"p90 < {MEDIA_TARGET_MS:.0f} ms" if name.startswith("media") and entries == 50_000 else ""
                rows.append(Row("store", f"{name}, {entries:,} entries", _pct(times, 0.9), "ms p90", target=target,
                                note=f"median {statistics.median(times):.1f} ms, {n} requests"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def run(quick: bool) -> list[Row]:
    return [*copy_rows(quick), *web_rows(quick)]


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row.benchmark, row.metric, f"{row.value:.3f} {row.unit}",
              f"ratio={row.ratio:.3f}" if row.ratio else "", row.target, row.note)
