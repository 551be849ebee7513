"""Helpers shared by the file-engine tests: actions, the invariant oracle, tree listings."""

from __future__ import annotations

import os
from pathlib import Path

from cacherr.demo.lab import Lab, file_hash
from cacherr.domain.cache import Action, ActionKind
from cacherr.domain.media import Reason

MiB = 1 << 20


def action(lab: Lab, rel: str, kind: ActionKind = ActionKind.CACHE, **kw: object) -> Action:
    size = os.lstat(lab.array(rel)).st_size if os.path.isfile(lab.array(rel)) else 0
    return Action(kind=kind, array_path=str(lab.array(rel)), cache_path=str(lab.cache(rel)), size=size,
                  reason=Reason.ON_DECK, why="test", title=rel, **kw)  # type: ignore[arg-type]


def restore(lab: Lab, rel: str, **kw: object) -> Action:
    return action(lab, rel, ActionKind.RESTORE, **kw)


def temp_leftovers(lab: Lab) -> list[str]:
    found = []
    for root in (lab.array_root, lab.cache_root):
        for dirpath, _dirs, files in os.walk(root):
            found += [os.path.join(dirpath, f) for f in files if ".cacherr-" in f]
            found += [os.path.join(dirpath, d) for d in _dirs if ".cacherr-" in d]
    return found


def assert_invariant(lab: Lab) -> None:
    """Every media file is visible complete and unchanged (through the union, or its emulation), and
    nothing under a media name on either side holds other bytes (no partial file, ever)."""
    for rel, digest in lab.hashes.items():
        seen = lab.visible(rel)
        assert seen.is_file(), f"{rel} is not visible at {seen}"
        assert file_hash(seen) == digest, f"{rel} is visible but its content differs"
        for side in (lab.array(rel), lab.cache(rel)):
            if side.is_symlink():
                assert os.readlink(side) == str(lab.cache(rel)), f"{side} is a foreign symlink"
                assert file_hash(side) == digest
            elif side.exists():
                assert file_hash(side) == digest, f"{side} holds a partial or different file"


def where(lab: Lab, rel: str) -> str:
    """'array', 'cache', 'both', 'symlink' or 'none': where the real copies of ``rel`` are."""
    a, c = lab.array(rel), lab.cache(rel)
    if a.is_symlink():
        return "symlink" if c.is_file() else "broken-symlink"
    has_a, has_c = a.is_file(), c.is_file() and not c.is_symlink()
    return {(True, True): "both", (True, False): "array", (False, True): "cache"}.get((has_a, has_c), "none")


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))
