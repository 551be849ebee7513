"""The `cacherr` command as a user runs it: a real process, real folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require, require_root

CACHERR = [sys.executable, "-m", "cacherr"]


def run(args: list[str], config_dir: Path, env: dict[str, str] | None = None,
        user: str | None = None) -> subprocess.CompletedProcess[str]:
    from cacherr.settings import Settings

    base = {k: v for k, v in os.environ.items() if k not in Settings.model_fields and k != "CONFIG_DIR"}
    base.update(env or {})
    base["CONFIG_DIR"] = str(config_dir)
    base["COLUMNS"] = "200"
    cmd = CACHERR + args
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=base, timeout=60, check=False)


def test_help_reads_well(config_dir: Path) -> None:
    r = run(["--help"], config_dir)
    assert r.returncode == 0
    for command in ("serve", "cycle", "plan", "restore", "doctor", "config", "demo"):
        assert command in r.stdout


def test_config_shows_sources_and_masks_secrets(config_dir: Path) -> None:
    (config_dir / "cacherr_config.json").write_text(json.dumps({"NUMBER_EPISODES": 8}))
    r = run(["config", "--json"], config_dir, env={"PLEX_TOKEN": "supersecrettoken99", "CACHE_LIMIT": "70%"})
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["PLEX_TOKEN"]["source"] == "env" and rows["PLEX_TOKEN"]["value"] == "****en99"
    assert rows["NUMBER_EPISODES"] == {"name": "NUMBER_EPISODES", "value": 8, "source": "file", "group": "Caching"}
    assert rows["CACHE_LIMIT"]["value"] == "70%" and rows["WEB_PORT"]["source"] == "default"
    assert "supersecrettoken99" not in r.stdout + r.stderr
    logs = "".join(p.read_text() for p in (config_dir / "logs").glob("*.log"))
    assert "supersecrettoken99" not in logs


def test_invalid_settings_exit_non_zero_with_one_line_each(config_dir: Path) -> None:
    r = run(["config"], config_dir, env={"CACHE_LIMIT": "abc", "NUMBER_EPISODES": "many"})
    assert r.returncode == 2
    assert "CACHE_LIMIT=abc: expected a size like 500GB or a percentage like 80%" in r.stderr
    assert "NUMBER_EPISODES=many:" in r.stderr
    assert not (config_dir / "cacherr_config.json").exists()


def test_json_that_is_not_json_is_named_and_kept(config_dir: Path) -> None:
    path = config_dir / "cacherr_config.json"
    path.write_text("{oops")
    r = run(["config"], config_dir)
    assert r.returncode == 2 and "cacherr_config.json: not valid JSON" in r.stderr
    assert path.read_text() == "{oops"


def test_unwritable_config_folder_is_explained(tmp_path: Path) -> None:
    require_root()
    require(shutil.which("setpriv") is not None, "needs setpriv (util-linux)")
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="cacherr-ro-", dir="/tmp"))
    d.chmod(0o755)  # owned by root: readable, not writable, by nobody
    r = run(["config"], d, user="65534")
    shutil.rmtree(d)
    assert r.returncode == 2
    assert "not writable by uid 65534" in r.stderr and "chown" in r.stderr


def test_future_database_is_refused(config_dir: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(config_dir / "cacherr.db")
    conn.execute("PRAGMA user_version = 500")
    conn.close()
    before = (config_dir / "cacherr.db").read_bytes()
    r = run(["doctor", "--json"], config_dir, env={"PLEX_TOKEN": "abcdefgh12345678"})
    assert r.returncode == 1
    (check,) = [c for c in json.loads(r.stdout) if c["name"] == "state database"]
    assert not check["ok"] and "newer Cacherr" in check["detail"]
    assert (config_dir / "cacherr.db").read_bytes() == before


def test_doctor_names_each_failure_with_a_fix(tmp_path: Path, config_dir: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    r = run(["doctor", "--json"], config_dir,
            env={"REAL_SOURCE": "/mnt/user/media", "CACHE_DESTINATION": str(cache)})
    assert r.returncode == 1
    checks = {c["name"]: c for c in json.loads(r.stdout)}
    assert checks["default: REAL_SOURCE (array) exists"]["detail"] == "/mnt/user/media does not exist"
    union = checks["default: array path is not the union view"]
    assert not union["ok"] and "use /mnt/user0/<share> or /mnt/diskN/<share>" in union["fix"]
    assert checks["default: CACHE_DESTINATION (cache) readable and writable"]["ok"]
    assert checks["Plex token set"]["detail"] == "PLEX_TOKEN is empty" and checks["Plex token set"]["fix"]
    assert all(c["fix"] for c in checks.values() if not c["ok"])


@pytest.mark.parametrize("command", [["cycle"], ["plan"], ["cycle", "--dry-run"]])
def test_plex_commands_refuse_without_a_token(config_dir: Path, command: list[str]) -> None:
    r = run(command, config_dir)
    assert r.returncode == 2
    assert "PLEX_TOKEN is not set" in r.stderr and "X-Plex-Token" in r.stderr


def test_doctor_catches_a_union_view_under_another_name(tmp_path: Path, config_dir: Path) -> None:
    """The common container mistake: /mnt/user/media mounted at /mediasource. The probe sees the cache in it."""
    require_root()
    require(shutil.which("mergerfs") is not None, "needs mergerfs (apt-get install mergerfs)")
    from cacherr.demo.lab import lab_session

    with lab_session(tmp_path / "lab", {"Movies/A.mkv": 1024}, cache_size=4 * 1024 * 1024, union=True) as lab:
        assert lab.union_root is not None
        env = {"REAL_SOURCE": str(lab.union_root), "CACHE_DESTINATION": str(lab.cache_root)}
        bad = {c["name"]: c for c in json.loads(run(["doctor", "--json"], config_dir, env=env).stdout)}
        probe = bad["default: array path does not show the cache"]
        assert not probe["ok"] and "union view" in probe["fix"] and "/mnt/user0" in probe["fix"]
        env["REAL_SOURCE"] = str(lab.array_root)
        good = {c["name"]: c for c in json.loads(run(["doctor", "--json"], config_dir, env=env).stdout)}
        assert good["default: array path does not show the cache"]["ok"]
        assert [p.name for p in lab.cache_root.iterdir() if p.name.startswith(".cacherr-probe")] == []


def test_doctor_warns_when_the_exclude_list_would_name_container_paths(tmp_path: Path, config_dir: Path) -> None:
    for d in ("array", "cache"):
        (tmp_path / d).mkdir()
    env = {"REAL_SOURCE": str(tmp_path / "array"), "CACHE_DESTINATION": str(tmp_path / "cache"),
           "MOVER_EXCLUDE_FILE": str(config_dir / "mover_exclude.txt")}
    checks = {c["name"]: c for c in json.loads(run(["doctor", "--json"], config_dir, env=env).stdout)}
    check = checks["mover exclude list uses host paths"]
    assert not check["ok"] and "host path" in check["fix"]
    del env["MOVER_EXCLUDE_FILE"]
    checks = {c["name"]: c for c in json.loads(run(["doctor", "--json"], config_dir, env=env).stdout)}
    assert "mover exclude list uses host paths" not in checks


@pytest.mark.parametrize(("paths", "ok"), [
    (["/mnt/cache/media"], True), (["/mnt/fastpool/tv", "/mnt/cache/movies"], True),
    (["/cache"], False), (["/mnt/user/media"], False), (["/mnt/cache/media", "/data/cache"], False),
])
def test_exclude_path_rule(paths: list[str], ok: bool) -> None:
    from cacherr.doctor import _exclude_paths_check

    assert _exclude_paths_check(paths).ok is ok
