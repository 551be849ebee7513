"""Copy one large file across two filesystems: Cacherr's engine against `cp` + `sync` in the same run.

The source lives on the machine's disk, the destination on a tmpfs mounted for the run (root), so the
copy crosses devices as array -> cache does on Unraid. Each round runs, interleaved: `cp SRC DST &&
sync DST`, then Cacherr's full engine path (preflight, journal with fsynced SQLite, temp file, fsync,
verify, metadata, rename, folder fsync, registry row) with VERIFY=size, then with VERIFY=hash (xxh3
while copying plus a read-back of the destination). The page cache is dropped before every copy when
we are root, so each one reads the disk. Ratios against cp are the figures that matter.

Targets: size <= 1.10 x cp+sync; hash <= 1.25 x cp+sync.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Row  # noqa: E402

from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database  # noqa: E402
from cacherr.demo.lab import mount_tmpfs, unmount, write_media  # noqa: E402
from cacherr.domain.cache import Action, ActionKind, CacheMode  # noqa: E402
from cacherr.domain.media import Reason  # noqa: E402
from cacherr.fileops import EngineConfig, build_engine  # noqa: E402

GiB = 1 << 30
MiB = 1 << 20


def _drop_caches() -> None:
    os.sync()
    if os.geteuid() == 0:
        with contextlib.suppress(OSError):
            Path("/proc/sys/vm/drop_caches").write_text("3\n")


def _timed(fn: Callable[[], None]) -> float:
    _drop_caches()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(quick: bool) -> list[Row]:
    size = 256 * MiB if quick else 2 * GiB
    rounds = 5
    if os.geteuid() != 0:
        return [Row("copy", "skipped", 0.0, "", note="needs root to mount a tmpfs destination")]
    work = Path(tempfile.mkdtemp(prefix="cacherr-bench-", dir="/var/tmp"))
    cache_mnt = work / "cache"
    mount_tmpfs(cache_mnt, size + size // 4 + 64 * MiB)
    try:
        return _measure(work, cache_mnt, size, rounds)
    finally:
        unmount(cache_mnt)
        shutil.rmtree(work, ignore_errors=True)


def _measure(work: Path, cache_mnt: Path, size: int, rounds: int) -> list[Row]:
    array_root, cache_root = work / "disk1" / "media", cache_mnt / "media"
    cache_root.mkdir(parents=True)
    rel = "Movies/Big (2024)/Big (2024).mkv"
    src, dst = array_root / rel, cache_root / rel
    write_media(src, size)
    dst.parent.mkdir(parents=True)
    db = open_database(work / "state.db")
    registry = SqliteCacheRegistry(db)
    action = Action(ActionKind.CACHE, str(src), str(dst), size, Reason.ON_DECK, "benchmark")

    def clean() -> None:
        dst.unlink(missing_ok=True)
        registry.remove(str(dst))

    def cp_sync() -> None:
        subprocess.run(["cp", str(src), str(dst)], check=True)
        subprocess.run(["sync", str(dst)], check=True)

    def engine_copy(verify: str) -> Callable[[], None]:
        config = EngineConfig(roots=((str(array_root), str(cache_root)),), verify=verify, settle_seconds=0)
        engine = build_engine(db, registry, config)

        def go() -> None:
            [res] = engine.execute([action], mode=CacheMode.COPY)
            if not res.ok:
                raise RuntimeError(res.message)

        return go

    methods = {"cp": cp_sync, "size": engine_copy("size"), "hash": engine_copy("hash")}
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(rounds):
        for name, fn in methods.items():
            clean()
            times[name].append(_timed(fn))
    clean()
    db.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    gbs = {k: size / v / 1e9 for k, v in med.items()}
    label = f"{size // MiB} MiB disk -> tmpfs"
    return [
        Row("copy", f"cp + sync, {label}", med["cp"], "s", note=f"{gbs['cp']:.2f} GB/s, median of {rounds}"),
        Row("copy", f"Cacherr VERIFY=size, {label}", med["size"], "s", reference=med["cp"], target="<= 1.10",
            note=f"{gbs['size']:.2f} GB/s; best-of ratio {best['size'] / best['cp']:.2f}; kernel copy, journal, "
            "fsync, rename"),
        Row("copy", f"Cacherr VERIFY=hash, {label}", med["hash"], "s", reference=med["cp"], target="<= 1.25",
            note=f"{gbs['hash']:.2f} GB/s; best-of ratio {best['hash'] / best['cp']:.2f}; xxh3 while copying + "
            "read-back of the destination"),
    ]


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row.benchmark, row.metric, f"{row.value:.3f}{row.unit}",
              f"ratio={row.ratio:.3f}" if row.ratio else "", row.target, row.note)
