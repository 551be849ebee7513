"""The Mover Tuning exclude list: atomic, user lines kept, shell hazards neutralised, in sync."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_store import SqliteCacheRegistry
from cacherr.demo.lab import Lab
from cacherr.domain.cache import CacheMode
from cacherr.fileops import MARKER, sync_exclude_file, write_exclude_file
from cacherr.fileops.exclude import safe_line
from tests.conftest import require_tool
from tests.fileops.conftest import EngineFactory
from tests.fileops.helpers import action, restore

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"


def test_writes_one_absolute_path_per_line_below_the_marker(tmp_path: Path) -> None:
    target = tmp_path / "exclude.txt"
    res = write_exclude_file(str(target), ["/mnt/cache/media/b.mkv", "/mnt/cache/media/a.mkv"])
    assert res.changed and res.paths_written == 2
    assert target.read_text().splitlines() == [MARKER, "/mnt/cache/media/a.mkv", "/mnt/cache/media/b.mkv"]
    assert [p.name for p in tmp_path.iterdir()] == ["exclude.txt"]  # no temp file left


def test_keeps_the_users_lines_above_the_marker(tmp_path: Path) -> None:
    target = tmp_path / "exclude.txt"
    target.write_text(f"/mnt/cache/appdata\n# my own notes\n{MARKER}\n")
    write_exclude_file(str(target), ["/mnt/cache/media/a.mkv"])
    write_exclude_file(str(target), ["/mnt/cache/media/c.mkv"])
    assert target.read_text() == f"/mnt/cache/appdata\n# my own notes\n{MARKER}\n/mnt/cache/media/c.mkv\n"
    again = write_exclude_file(str(target), ["/mnt/cache/media/c.mkv"])
    assert not again.changed and again.user_lines_kept == 2


def test_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "exclude.txt"
    target.write_text("")
    os.chmod(target, 0o640)
    write_exclude_file(str(target), ["/x"])
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(("name", "line"), [
    ('a$(rm -rf ~)b', "a?(rm -rf ~)b*"), ("a`id`", "a?id?*"), ('say "hi"', "say ?hi?*"),
    ("back\\slash", "back?slash*"), ("new\nline", "new?line*"), ("it's #1 [x]", "it's #1 ?x?*"),
    ("plain (2001).mkv", "plain (2001).mkv")])
def test_shell_hazards_become_question_marks(name: str, line: str) -> None:
    assert safe_line(name) == line


def test_sanitised_lines_still_match_the_real_file_with_find(tmp_path: Path) -> None:
    """What Mover Tuning does with a line: eval inside double quotes, then find -path."""
    require_tool("bash")
    require_tool("find")
    name = 'x $HOME `id` "q" \\ y.mkv'
    real = tmp_path / name
    real.write_text("data")
    line = safe_line(str(real))
    script = f'eval "find {shlex.quote(str(tmp_path))} -path \\"{line}\\""'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(real)


def test_sync_follows_the_registry_and_subtitles(lab: Lab, engine_for: EngineFactory,
                                                 registry: SqliteCacheRegistry, tmp_path: Path) -> None:
    lab.add("Movies/Heat (1995)/Heat (1995).en.srt", 100)
    target = tmp_path / "mover_exclude.txt"
    engine = engine_for(lab, exclude_file=str(target))
    engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    engine.sync_exclude()
    lines = target.read_text().splitlines()
    assert lines[lines.index(MARKER) + 1:] == sorted([str(lab.cache(MOVIE)),
                                                       str(lab.cache("Movies/Heat (1995)/Heat (1995).en.srt"))])
    engine.execute([restore(lab, MOVIE)], mode=CacheMode.MOVE)
    engine.sync_exclude()
    assert target.read_text().splitlines()[-1] == MARKER


def test_no_exclude_file_configured_is_a_no_op(registry: SqliteCacheRegistry) -> None:
    assert sync_exclude_file("", registry.entries()) is None


def test_fresh_download_nobody_wants_is_left_to_the_mover(tmp_path: Path) -> None:
    """A file found on the cache (pre-existing) is excluded from the mover only once someone wants it or
    it is pinned; until then Unraid's mover moves it to the array as usual."""
    from datetime import UTC, datetime

    from cacherr.domain.cache import CacheEntry
    from cacherr.domain.media import Reason

    now = datetime(2026, 1, 1, tzinfo=UTC)

    def entry(name: str, **kw: object) -> CacheEntry:
        return CacheEntry(f"/mnt/cache/media/{name}.mkv", f"/mnt/disk1/media/{name}.mkv", 1, CacheMode.MOVE, now,
                          reason=Reason.PRE_EXISTING, **kw)  # type: ignore[arg-type]

    entries = [entry("ours", pre_existing=False), entry("download", pre_existing=True),
               entry("wanted", pre_existing=True, last_wanted_at=now), entry("pinned", pre_existing=True, pinned=True)]
    target = tmp_path / "exclude.txt"
    sync_exclude_file(str(target), entries)
    listed = target.read_text().splitlines()[1:]
    assert listed == ["/mnt/cache/media/ours.mkv", "/mnt/cache/media/pinned.mkv", "/mnt/cache/media/wanted.mkv"]
