"""A first cycle of many small files (1,000 x 1 MiB) onto a real ext4 filesystem: Cacherr's engine
against `cp -r` + `sync` and `rsync -a --fsync` of the same tree, in interleaved rounds in one run.

Cacherr's figure is its whole path per file (journal in fsynced SQLite, folder opened beneath the
root, temp file, fsync, verify, metadata, rename, folder fsync, registry row), two copies at a time as
the default MAX_CONCURRENT_MOVES_CACHE. Target: <= 1.5 x rsync --fsync.
"""

from __future__ import annotations

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
from ext4 import drop_caches, ext4_mount  # noqa: E402

from cacherr.adapters.sqlite_journal import SqliteJournal  # noqa: E402
from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database  # noqa: E402
from cacherr.demo.lab import write_media  # noqa: E402
from cacherr.domain.cache import Action, ActionKind, CacheMode  # noqa: E402
from cacherr.domain.media import Reason  # noqa: E402
from cacherr.fileops import EngineConfig, build_engine  # noqa: E402

MiB = 1 << 20


def run(quick: bool) -> list[Row]:
    count, rounds = (200, 2) if quick else (1000, 3)
    if os.geteuid() != 0 or not shutil.which("rsync"):
        return [Row("copy_many", "skipped", 0.0, "", note="needs root (loop mount) and rsync")]
    work = Path(tempfile.mkdtemp(prefix="cacherr-bench-many-", dir="/var/tmp"))
    try:
        with ext4_mount(work, count * MiB * 3 + 256 * MiB) as mnt:
            return _measure(work, mnt, count, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _tree(array_root: Path, count: int) -> list[str]:
    rels = [f"TV/Show {i // 10:03d}/Season 01/Show {i // 10:03d} - S01E{i % 10 + 1:02d}.mkv" for i in range(count)]
    for n, rel in enumerate(rels):
        write_media(array_root / rel, MiB, seed=n)
    return rels


def _measure(work: Path, mnt: Path, count: int, rounds: int) -> list[Row]:
    array_root, cache_root = work / "disk1" / "media", mnt / "media"
    rels = _tree(array_root, count)
    db = open_database(mnt / "state.db")  # the state database sits on the pool, as /config would
    registry = SqliteCacheRegistry(db)
    actions = [Action(ActionKind.CACHE, str(array_root / r), str(cache_root / r), MiB, Reason.ON_DECK, "bench")
               for r in rels]

    def clean() -> None:
        shutil.rmtree(cache_root, ignore_errors=True)
        cache_root.mkdir()
        db.execute("DELETE FROM cache_entries")
        os.sync()

    def cp_sync() -> None:
        subprocess.run(["cp", "-a", f"{array_root}/.", str(cache_root)], check=True)
        subprocess.run(["sync", "-f", str(cache_root)], check=True)

    def rsync_fsync() -> None:
        subprocess.run(["rsync", "-a", "--fsync", f"{array_root}/", f"{cache_root}/"], check=True)

    engine = build_engine(SqliteJournal(db), registry, EngineConfig(roots=((str(array_root), str(cache_root)),),
                                                     settle_seconds=0, io_priority="normal"))

    def cacherr() -> None:
        results = engine.execute(actions, mode=CacheMode.COPY)
        bad = [r.message for r in results if not r.ok]
        if bad:
            raise RuntimeError(bad[0])

    methods: dict[str, Callable[[], None]] = {"cp": cp_sync, "rsync": rsync_fsync, "cacherr": cacherr}
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(rounds):
        for name, fn in methods.items():
            clean()
            drop_caches()
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    db.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    label = f"{count} x 1 MiB -> ext4"
    per_file = med["cacherr"] / count * 1000
    return [
        Row("copy_many", f"cp -a + sync, {label}", med["cp"], "s", note=f"median of {rounds}"),
        Row("copy_many", f"rsync -a --fsync, {label}", med["rsync"], "s", reference=med["cp"],
            note=f"median of {rounds}; ratio against cp+sync"),
        Row("copy_many", f"Cacherr first cycle, {label}", med["cacherr"], "s", reference=med["rsync"],
            target="<= 1.5", note=f"{per_file:.1f} ms per file; ratio against rsync --fsync; "
            f"{med['cacherr'] / med['cp']:.2f}x cp+sync"),
    ]


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row.benchmark, row.metric, f"{row.value:.3f}{row.unit}",
              f"ratio={row.ratio:.3f}" if row.ratio else "", row.target, row.note)
