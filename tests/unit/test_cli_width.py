"""`cacherr config`, `cacherr doctor` and `cacherr --help` follow the terminal's width: at 60 columns they
wrap (no line longer, nothing cut with "…"), at 200 they use the room (no 80-column cut). The real CLI, run
as a process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cacherr.settings import Settings

WIDTHS = (60, 200)


def run(args: list[str], columns: int, config: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields and k != "LINES"}
    env.update({"COLUMNS": str(columns), "CONFIG_DIR": str(config), "NO_COLOR": "1", "TERM": "dumb"})
    done = subprocess.run([sys.executable, "-m", "cacherr", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def words(text: str) -> str:
    """The text with table borders and line breaks gone: a folded cell joins up within its column only, so
    compare words, and only words that fit a narrow column."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘━─┳┻╇╈┼┬┴]", " ", text).split())


def assert_fits(out: str, columns: int) -> None:
    lines = out.splitlines()
    assert lines, "no output"
    too_long = [line for line in lines if len(line) > columns]
    assert not too_long, too_long[:3]
    assert "…" not in out


@pytest.mark.parametrize("columns", WIDTHS)
def test_help_wraps_to_the_terminal(columns: int, tmp_path: Path) -> None:
    out = run(["--help"], columns, tmp_path)
    assert_fits(out, columns)
    flat = words(out)
    # every command's summary in full (click used to cut them with "...")
    assert "Start a self-contained demo: an emulated Plex, a sandbox array and cache, and the dashboard." in flat
    assert "Show the effective settings, where each value comes from, secrets masked." in flat
    assert "... " not in flat.replace("[ARGS]...", "")
    if columns == 200:
        assert max(len(line) for line in out.splitlines()) > 100  # uses the room beyond 80/100 columns


@pytest.mark.parametrize("columns", WIDTHS)
def test_config_table_wraps_to_the_terminal(columns: int, tmp_path: Path) -> None:
    out = run(["config", "--all"], columns, tmp_path)
    assert_fits(out, columns)
    if columns == 200:  # every name and value whole on its line
        for name in Settings.model_fields:
            assert re.search(rf"│ {name} +│", out), name
        assert '"http://localhost:32400"' in out


@pytest.mark.parametrize("columns", WIDTHS)
def test_doctor_wraps_to_the_terminal_and_loses_no_word(columns: int, tmp_path: Path) -> None:
    out = run(["doctor"], columns, tmp_path)
    assert_fits(out, columns)
    checks = json.loads(run(["doctor", "--json"], columns, tmp_path))
    flat = words(out)
    short = {w for c in checks for w in f"{c['name']} {c['detail']} {c['fix']}".split() if len(w) <= 8}
    missing = [w for w in short if w not in flat]
    assert not missing, missing
