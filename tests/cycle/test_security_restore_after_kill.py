"""Issue 11, item 6: after a kill of `cacherr restore --all` (SIGKILL in the middle of giving a file back),
the next `cacherr restore --all` recovers the interrupted operation first and then succeeds, instead of
refusing until a full cycle has run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cycle.real_world import RealWorld
from tests.cycle.test_cli import cacherr

CHILD = str(Path(__file__).parents[1] / "fileops" / "crash_child.py")


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


@pytest.mark.parametrize("kill_at", ["after:copying", "copy:chunk", "after:commit", "before:unlink"])
def test_issue11_restore_all_recovers_first_after_a_kill(rw: RealWorld, kill_at: str) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("bob", heat)
    r = cacherr(rw, "cycle", COPY_TO_CACHE="false")  # move: the cache holds the only copy
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert rw.on_cache(heat)
    rel = rw.rel(rw.path_of(heat))
    args = {"db": str(rw.config / "cacherr.db"), "array_root": str(rw.lab.array_root),
            "cache_root": str(rw.lab.cache_root), "mode": "move", "actions": [["restore", rel]],
            "kill_at": kill_at, "nth": 1, "verify": "size"}
    child = subprocess.run([sys.executable, CHILD, json.dumps(args)], capture_output=True, text=True, timeout=60)
    assert child.returncode == -9, (child.returncode, child.stdout, child.stderr)  # killed mid-restore
    r = cacherr(rw, "restore", "--all", COPY_TO_CACHE="false")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert not rw.on_cache(heat) and rw.intact(heat)
    assert rw.registry.entries() == []
