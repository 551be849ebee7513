"""A first cycle of large files (50 x 200 MiB) onto a loop-mounted ext4 pool: Cacherr's engine against
`cp -a` + `sync` of the same tree, in paired rounds of one run (each Cacherr run right after its own
cp+sync, the ratio taken per pair, so a slow moment of the shared machine weighs on both sides).

Cacherr's figure is its whole path per file (journal in fsynced SQLite, preflight and budget check,
folder opened beneath the root, temp file, kernel copy, fsync, verify, metadata, rename, folder fsync,
registry row), two copies at a time as the default MAX_CONCURRENT_MOVES_CACHE. Each video has a
subtitle next to it, which travels in the video's journalled group. Target: <= 1.05 x cp+sync.

    .venv/bin/python benchmarks/run.py copy_large [--quick]      # --quick: 10 x 50 MiB
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
    count, size, rounds = (10, 50 * MiB, 2) if quick else (50, 200 * MiB, 3)
    if os.geteuid() != 0:
        return [Row("copy_large", "skipped", 0.0, "", note="needs root (loop mount)")]
    work = Path(tempfile.mkdtemp(prefix="cacherr-bench-large-", dir="/var/tmp"))
    try:
        with ext4_mount(work, count * size + count * size // 8 + 512 * MiB) as mnt:
            return _measure(work, mnt, count, size, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _tree(array_root: Path, count: int, size: int) -> list[str]:
    rels = [f"Movies/Film {i:02d} (2024)/Film {i:02d} (2024).mkv" for i in range(count)]
    old = time.time() - 3600
    for n, rel in enumerate(rels):
        write_media(array_root / rel, size, seed=n)
        sub = (array_root / rel).with_suffix(".en.srt")
        sub.write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nHello\n" * 40)
        for p in (array_root / rel, sub):
            os.utime(p, (old, old))
    return rels


def _measure(work: Path, mnt: Path, count: int, size: int, rounds: int) -> list[Row]:
    array_root, cache_root = work / "disk1" / "media", mnt / "media"
    rels = _tree(array_root, count, size)
    db = open_database(mnt / "state.db")  # the state database sits on the pool, as /config would
    registry = SqliteCacheRegistry(db)
    actions = [Action(ActionKind.CACHE, str(array_root / r), str(cache_root / r), size, Reason.ON_DECK, "bench")
               for r in rels]
    engine = build_engine(SqliteJournal(db), registry, EngineConfig(roots=((str(array_root), str(cache_root)),),
                                                     settle_seconds=0, io_priority="normal"))

    def clean() -> None:
        shutil.rmtree(cache_root, ignore_errors=True)
        cache_root.mkdir()
        db.execute("DELETE FROM cache_entries")
        os.sync()

    def timed(fn_name: str) -> float:
        clean()
        drop_caches()
        started = time.perf_counter()
        if fn_name == "cp":
            subprocess.run(["cp", "-a", f"{array_root}/.", str(cache_root)], check=True)
            subprocess.run(["sync", "-f", str(cache_root)], check=True)
        else:
            bad = [r.message for r in engine.execute(actions, mode=CacheMode.COPY) if not r.ok]
            if bad:
                raise RuntimeError(bad[0])
        return time.perf_counter() - started

    ratios, cp_s, ca_s = [], [], []
    for _ in range(rounds):
        ref = timed("cp")
        got = timed("cacherr")
        ratios.append(got / ref)
        cp_s.append(ref)
        ca_s.append(got)
    clean()
    db.close()
    total = count * size
    med = statistics.median(ratios)
    spread = (max(ratios) - min(ratios)) / med
    label = f"{count} x {size // MiB} MiB (+ a subtitle each) -> ext4 (loop)"
    return [
        Row("copy_large", f"cp -a + sync, {label}", statistics.median(cp_s), "s",
            note=f"{total / statistics.median(cp_s) / 1e6:.0f} MB/s, median of {rounds}"),
        Row("copy_large", f"Cacherr first cycle, {label}", med, "x cp", target="<= 1.05",
            note=f"paired ratio, median of {rounds} ({'/'.join(f'{r:.2f}' for r in ratios)}), spread {spread:.0%}; "
            f"{total / statistics.median(ca_s) / 1e6:.0f} MB/s"),
    ]


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row.benchmark, row.metric, f"{row.value:.3f}{row.unit}", row.target, row.note)
