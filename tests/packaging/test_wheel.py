"""The wheel the Docker image installs carries every data file the package needs (package-data)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def _package_files(package: Path, *, python: bool) -> set[str]:
    """The package's Python files (or its other files), as they must appear in the wheel (cacherr/...)."""
    out = set()
    for path in package.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and (path.suffix == ".py") == python:
            out.add("cacherr/" + path.relative_to(package).as_posix())
    return out


@dataclass
class Built:
    package: Path  # the copy of src/cacherr the wheel was built from
    wheel: zipfile.ZipFile


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    # Build from a copy, so the build never writes build/ or egg-info into the working tree.
    src = tmp_path_factory.mktemp("src")
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(out), "-q"],
                            cwd=src, capture_output=True, text=True, timeout=600, check=False)
    require(result.returncode == 0 or "setuptools" not in result.stderr,
            f"pip could not fetch the build backend (no network to PyPI?): {result.stderr[-300:]}")
    assert result.returncode == 0, result.stderr
    wheels = list(out.glob("cacherr-*.whl"))
    assert len(wheels) == 1
    return Built(src / "src" / "cacherr", zipfile.ZipFile(wheels[0]))


@pytest.mark.slow
def test_wheel_holds_every_data_file(built: Built) -> None:
    names = set(built.wheel.namelist())
    data = _package_files(built.package, python=False)
    assert any(n.endswith(".sql") for n in data), "the migrations must be found in the source tree"
    missing = sorted(data - names)
    assert not missing, f"add these to [tool.setuptools.package-data] in pyproject.toml: {missing}"


@pytest.mark.slow
def test_wheel_holds_every_module_and_the_command(built: Built) -> None:
    wheel = built.wheel
    names = set(wheel.namelist())
    assert not sorted(_package_files(built.package, python=True) - names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "cacherr = cacherr.cli:main" in wheel.read(entry_points).decode()
    assert not any(n.startswith(("tests/", "docs/", "benchmarks/")) for n in names)
