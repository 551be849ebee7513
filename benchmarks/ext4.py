"""A real second filesystem for copy benchmarks: an ext4 image, loop-mounted (root only), so fsync
costs what it costs on a pool (tmpfs makes every flush free)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def ext4_mount(work: Path, size_bytes: int, direct_io: bool = False) -> Iterator[Path]:
    """``direct_io``: the loop device writes its image with O_DIRECT (as a disk's DMA would), not through a
    second page cache by a kernel thread at normal priority (CPU no ``nice`` of the copy can lower)."""
    image, mnt = work / "cache.ext4", work / "cache"
    mnt.mkdir(parents=True, exist_ok=True)
    with open(image, "wb") as fh:
        fh.truncate(size_bytes)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", str(image)],
                   check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mnt)], check=True)
    if direct_io:
        dev = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(mnt)], capture_output=True, text=True).stdout
        subprocess.run(["losetup", "--direct-io=on", dev.strip()], check=False)  # best effort
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
