"""Regression: the symlink check and the write were two different moments (issue 11 item 4).

A thread swaps the cache folder of the file being copied for a symlink to a folder outside the media
roots, and back, as fast as it can, while the engine caches (and restores) the file again and again.
Every step after the check runs relative to the folder's descriptor, so nothing may ever land in the
outside folder, whatever the timing; the media file stays complete where Plex sees it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cacherr.demo.lab import Lab, file_hash, make_lab
from cacherr.domain.cache import CacheMode
from tests.fileops.conftest import EngineFactory
from tests.fileops.helpers import action, restore

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"
TRIES = 60

pytestmark = [pytest.mark.data_safety]


class Swapper:
    """Swap ``folder`` <-> a symlink to ``outside`` in a loop (the real folder parked under ``aside``)."""

    def __init__(self, folder: Path, outside: Path) -> None:
        self.folder, self.outside, self.aside = folder, outside, folder.with_name(folder.name + ".aside")
        self.stop = threading.Event()
        self.swaps = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                os.rename(self.folder, self.aside)
                os.symlink(self.outside, self.folder)
                self.swaps += 1
                os.unlink(self.folder)
                os.rename(self.aside, self.folder)
            except OSError:
                continue

    def __enter__(self) -> Swapper:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()
        if self.folder.is_symlink():
            self.folder.unlink()
        if not self.aside.exists():
            return
        if self.folder.is_dir():  # the engine made a new folder while the real one was parked
            for entry in self.folder.iterdir():
                twin = self.aside / entry.name
                if twin.exists():
                    entry.unlink()
                else:
                    os.rename(entry, twin)
            self.folder.rmdir()
        os.rename(self.aside, self.folder)


def _outside_files(outside: Path) -> list[str]:
    return [str(p) for p in outside.rglob("*")]


@pytest.mark.parametrize("mode", [CacheMode.COPY, CacheMode.MOVE, CacheMode.SYMLINK])
def test_symlink_swap_race_never_writes_outside_the_roots(tmp_path: Path, engine_for: EngineFactory,
                                                          mode: CacheMode) -> None:
    lab: Lab = make_lab(tmp_path / "lab", {MOVIE: 256 * 1024 + 17})
    outside = tmp_path / "outside"
    outside.mkdir()
    digest = lab.hashes[MOVIE]
    # The cache folder exists (an earlier copy made it); the race is on it. Same for the array side.
    lab.cache(MOVIE).parent.mkdir(parents=True, exist_ok=True)
    engine = engine_for(lab, hardlinks="copy", chunk=64 * 1024, report_every=64 * 1024)
    folders = [lab.cache(MOVIE).parent, lab.array(MOVIE).parent]
    ok, swaps = 0, 0
    for i in range(TRIES):
        side = Swapper(folders[i % 2], outside)
        cache, back = action(lab, MOVIE), restore(lab, MOVIE)
        with side:
            results = engine.execute([cache], mode=mode)
            results += engine.execute([back], mode=mode)
        ok += sum(r.ok for r in results)
        swaps += side.swaps
        assert _outside_files(outside) == [], f"try {i}: written outside the roots: {_outside_files(outside)}"
        seen = lab.array(MOVIE)
        assert seen.is_file() or lab.cache(MOVIE).is_file(), f"try {i}: the movie is nowhere"
        for path in (lab.array(MOVIE), lab.cache(MOVIE)):
            if path.is_file():
                assert file_hash(path) == digest, f"try {i}: {path} holds other bytes"
        engine.recover()
    assert swaps > TRIES, "the swapper never raced"
    assert ok > 0, "no operation ever succeeded: the test would not see a regression"
