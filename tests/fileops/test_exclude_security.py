"""Issue 11, items 1 and 5: the Mover Tuning exclude list never rewrites a file Cacherr did not create, is
never group- or world-writable, and every line protects its file under the plugin's real matching.

The plugin's matching, as its mover script does it (ca.mover.tuning ``age_mover``, re-told here in our own
bash): a line whose last component holds ``*`` is a pattern as is; any other line loses trailing ``/`` and
``*``, must exist as a file or folder (else it is dropped), and becomes a pattern (a folder: ``folder/*``).
Recent versions escape ``[``; older ones do not. Each pattern goes into ``-not -path "..."``, the whole
``find`` command runs through ``eval``. What ``find`` still prints is what the mover would move.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from cacherr.domain.errors import ConfigError, UnsafePath
from cacherr.fileops import MARKER, write_exclude_file
from cacherr.fileops.exclude import MAX_BYTES, check_target
from cacherr.settings_store import SettingsStore
from tests.conftest import require_tool

MOVER_TUNING_MATCH = r'''
list="$1"; version="$2"; root="$3"; args=""
while IFS= read -r line; do
  [[ "$line" == "#"* || -z "$line" ]] && continue
  last="${line##*/}"
  if [[ "$last" == *"*"* ]]; then
    pat="$line"
  else
    line="${line%"${line##*[!/*]}"}"
    if [[ -d "$line" ]]; then pat="$line/*"
    elif [[ -f "$line" ]]; then pat="$line"
    else continue
    fi
  fi
  [[ "$version" == new ]] && pat="${pat//[/\\[}"
  args="$args -not -path \"$pat\""
done < "$list"
eval "find \"$root\" -type f $args -print0"
'''

NAMES = ["Plain Movie (2001).mkv", "[Group] Show - 01 [1080p].mkv", "Star * Wars.mkv", "What? (2020).mkv",
         "Cash $HOME $(id).mkv", "Back`tick`.mkv", 'Say "hi".mkv', "back\\slash.mkv", "two\nlines.mkv",
         "it's #1 ]odd[.mkv"]


def _moved_by_mover(exclude: Path, root: Path, version: str) -> set[str]:
    out = subprocess.run(["bash", "-c", MOVER_TUNING_MATCH, "mt", str(exclude), version, str(root)],
                         capture_output=True, check=True, timeout=30).stdout
    return {os.fsdecode(p) for p in out.split(b"\0") if p}


@pytest.mark.parametrize("version", ["old", "new"])
def test_issue11_mover_tuning_keeps_every_cached_name_on_the_cache(tmp_path: Path, version: str) -> None:
    require_tool("bash")
    require_tool("find")
    root = tmp_path / "cache" / "media"
    (root / "[Sub] folder").mkdir(parents=True)
    cached = [root / n for n in NAMES] + [root / "[Sub] folder" / "E01 [x].mkv"]
    for p in cached:
        p.write_bytes(b"x")
    others = [root / "Other.mkv", root / "Plain Movie (2001).nfo.bak", root / "[Sub] folder" / "E02.mkv"]
    for p in others:
        p.write_bytes(b"y")
    exclude = tmp_path / "config" / "mover_exclude.txt"
    exclude.parent.mkdir()
    write_exclude_file(str(exclude), [str(p) for p in cached])
    moved = _moved_by_mover(exclude, root, version)
    assert not moved & {str(p) for p in cached}, sorted(moved & {str(p) for p in cached})
    assert {str(p) for p in others} <= moved  # the list does not keep everything else too


@pytest.mark.parametrize(("umask", "mode"), [(0o000, 0o644), (0o002, 0o644), (0o022, 0o644), (0o077, 0o600)])
def test_issue11_exclude_list_is_created_with_umask_never_group_or_world_writable(tmp_path: Path, umask: int,
                                                                                 mode: int) -> None:
    target = tmp_path / "mover_exclude.txt"
    write_exclude_file(str(target), ["/mnt/cache/a.mkv"], umask=umask)
    assert target.stat().st_mode & 0o777 == mode


def test_issue11_world_writable_exclude_list_is_tightened(tmp_path: Path) -> None:
    target = tmp_path / "mover_exclude.txt"
    target.write_text(MARKER + "\n")
    os.chmod(target, 0o666)
    write_exclude_file(str(target), ["/mnt/cache/a.mkv"])
    assert target.stat().st_mode & 0o777 == 0o644


def test_issue11_exclude_file_never_rewrites_a_file_without_the_marker(tmp_path: Path) -> None:
    victim = tmp_path / "cacherr.db"
    victim.write_bytes(b"SQLite format 3\x00" + b"\x01" * 4000)
    before = victim.read_bytes()
    with pytest.raises(UnsafePath, match="did not create"):
        write_exclude_file(str(victim), ["/mnt/cache/a.mkv"])
    assert victim.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cacherr.db"]  # no temporary file left


def test_issue11_exclude_file_inside_a_media_root_is_refused(tmp_path: Path) -> None:
    media_root = tmp_path / "array"
    media_root.mkdir()
    with pytest.raises(UnsafePath, match="media folder"):
        write_exclude_file(str(media_root / "new.txt"), ["/x"], media_roots=[str(media_root)])
    assert not (media_root / "new.txt").exists()


def test_issue11_exclude_file_that_is_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "list.txt"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            write_exclude_file(str(fifo), ["/x"])
        except BaseException as exc:  # noqa: BLE001  the thread hands whatever it met to the test
            errors.append(exc)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "writing the exclude list blocked on a FIFO"
    assert errors and isinstance(errors[0], UnsafePath)


def test_issue11_exclude_file_symlink_and_oversized_are_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text(MARKER + "\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert "symlink" in check_target(str(link))[0]
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.write(MARKER.encode() + b"\n")
        fh.truncate(MAX_BYTES + 1)
    assert "larger" in check_target(str(big))[0]


def test_issue11_exclude_file_pointing_at_a_media_file_stops_the_start(tmp_path: Path) -> None:
    array = tmp_path / "array"
    array.mkdir()
    movie = array / "Heat.mkv"
    movie.write_bytes(b"video")
    env = {"REAL_SOURCE": str(array), "MOVER_EXCLUDE_FILE": str(movie)}
    with pytest.raises(ConfigError) as err:
        SettingsStore(tmp_path / "config", env)
    assert err.value.problems[0].startswith(f"MOVER_EXCLUDE_FILE={movie}: is inside the media folder")
    assert movie.read_bytes() == b"video"


def test_issue11_failed_rewrite_leaves_the_old_list_whole(tmp_path: Path) -> None:
    """Fault injection: the folder refuses the temporary file (immutable): the old list stays as it was."""
    from tests.conftest import require

    require_tool("chattr")
    folder = tmp_path / "config"
    folder.mkdir()
    target = folder / "mover_exclude.txt"
    target.write_text(f"/mnt/cache/mine\n{MARKER}\n/mnt/cache/a.mkv\n")
    before = target.read_text()
    flagged = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    require(flagged, "the temporary folder's filesystem has no immutable flag (chattr +i)")
    try:
        with pytest.raises(OSError):  # noqa: PT011  EPERM or EACCES by filesystem: either is the refusal
            write_exclude_file(str(target), ["/mnt/cache/b.mkv"])
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert target.read_text() == before
    assert sorted(p.name for p in folder.iterdir()) == ["mover_exclude.txt"]
