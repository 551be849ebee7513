"""`cacherr cycle`, `plan` and `restore` as a user runs them: a real process against the Plex emulator,
with the real engine on real folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cycle.real_world import RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


def cacherr(rw: RealWorld, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    from cacherr.settings import Settings

    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields and k != "CONFIG_DIR"}
    env.update({"CONFIG_DIR": str(rw.config), "PLEX_URL": rw.emu.url, "PLEX_TV_URL": rw.emu.url,
                "PLEX_TOKEN": "owner-token", "PLEX_FRIENDS_WATCHLIST_RSS": "friends-feed",
                "PLEX_SOURCE": "/data", "REAL_SOURCE": str(rw.lab.array_root),
                "CACHE_DESTINATION": str(rw.lab.cache_root), "NUMBER_EPISODES": "1", "COLUMNS": "200",
                "PUID": str(os.getuid()), "PGID": str(os.getgid()), **extra})
    return subprocess.run([sys.executable, "-m", "cacherr", *args], capture_output=True, text=True, env=env,
                          timeout=180, check=False)


def test_plan_cycle_and_restore_from_the_command_line(rw: RealWorld) -> None:
    show = rw.show("Andor", 3)
    heat = rw.movie("Heat", 1995)
    rw.plex.mark_watched("alice", show.episode(1, 1))
    rw.plex.add_to_watchlist("bob", heat)

    r = cacherr(rw, "plan", "--json")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert {a["reason"] for a in plan["actions"]} == {"on deck", "next episode", "watchlist"}
    assert not rw.on_cache(heat)

    r = cacherr(rw, "cycle", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "Status: dry-run" in r.stdout and not rw.on_cache(heat)

    r = cacherr(rw, "cycle")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "3 cached" in r.stdout and "Heat" in r.stdout
    assert rw.on_cache(heat) and rw.on_cache(show.episode(1, 2)) and rw.intact(heat)

    r = cacherr(rw, "restore", "/etc/passwd")
    assert r.returncode == 1 and "outside the configured media roots" in r.stderr
    r = cacherr(rw, "restore")
    assert r.returncode == 2 and "--all" in r.stderr
    r = cacherr(rw, "restore", str(rw.lab.cache(rw.path_of(heat))))
    assert r.returncode == 0, r.stderr
    assert not rw.on_cache(heat) and rw.intact(heat)
    r = cacherr(rw, "restore", "--all")
    assert r.returncode == 0, r.stderr
    assert "2 given back" in r.stdout and rw.registry.entries() == []
    assert not rw.on_cache(show.episode(1, 2)) and rw.intact(show.episode(1, 2))
