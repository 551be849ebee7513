"""A real second filesystem for copy benchmarks: an ext4 image, loop-mounted (root only), so fsync
costs what it costs on a pool (tmpfs makes every flush free)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def ext4_mount(work: Path, size_bytes: int) -> Iterator[Path]:
    image, mnt = work / "cache.ext4", work / "cache"
    mnt.mkdir(parents=True, exist_ok=True)
    with open(image, "wb") as fh:
        fh.truncate(size_bytes)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", str(image)],
                   check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        with contextlib.suppress(OSError):
            image.unlink()


def drop_caches() -> None:
    os.sync()
    if os.geteuid() == 0:
        with contextlib.suppress(OSError):
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
