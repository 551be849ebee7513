"""Copies grouped by the array disk that holds each file: two real filesystems stand in for two disks."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.domain.cache import Action, ActionKind
from cacherr.domain.media import Reason
from cacherr.fileops.array_disks import disk_of, order_by_disk
from tests.conftest import require_root


@pytest.fixture
def two_disks(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    require_root()
    one, two = tmp_path / "disk1", tmp_path / "disk2"
    one.mkdir()
    two.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(two)], check=True)
    try:
        yield one, two
    finally:
        subprocess.run(["umount", "-l", str(two)], check=False)


def action(path: Path) -> Action:
    path.write_bytes(b"x")
    return Action(ActionKind.CACHE, str(path), f"/cache/{path.name}", 1, Reason.ON_DECK, "test")


@pytest.mark.root
def test_interleaved_copies_are_grouped_by_disk_keeping_the_planners_order(two_disks: tuple[Path, Path]) -> None:
    one, two = two_disks
    planned = [action(one / "a1"), action(two / "b1"), action(one / "a2"), action(two / "b2"), action(one / "a3")]
    ordered = order_by_disk(planned)
    assert [Path(a.array_path).name for a, _ in ordered] == ["a1", "a2", "a3", "b1", "b2"]
    disks = [d for _, d in ordered]
    assert disks[0] == disks[1] == disks[2] != disks[3] == disks[4]
    assert disk_of(str(one / "gone")) == ""


def test_a_plain_filesystem_is_named_by_its_device(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x")
    assert disk_of(str(f)) == f"device {f.stat().st_dev}"


@pytest.mark.mergerfs
def test_a_file_seen_through_mergerfs_is_named_by_its_branch(tmp_path: Path) -> None:
    from cacherr.demo.lab import make_lab

    lab = make_lab(tmp_path / "lab", {"tv/ep1.mkv": 10}, union=True)
    try:
        assert lab.union_root is not None
        assert disk_of(str(lab.union_root / "tv/ep1.mkv")) == str(lab.array_root.parent)
    finally:
        lab.close()
