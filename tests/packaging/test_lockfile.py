"""requirements.lock pins, with hashes, every runtime dependency pyproject.toml asks for."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) for each `name==version \\ --hash=...` entry."""
    text = path.read_text().replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)(.*)$", line.split(" ;")[0] if ";" in line else line)
        if match:
            name = canonicalize_name(match.group(1).split("[")[0])
            pins[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return pins


def test_every_runtime_dependency_is_pinned_with_hashes_and_satisfies_pyproject() -> None:
    pins = _pins(ROOT / "requirements.lock")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in map(Requirement, deps):
        name = canonicalize_name(dep.name)
        assert name in pins, f"{dep.name} is not in requirements.lock: run scripts/lock"
        version, _ = pins[name]
        assert dep.specifier.contains(version, prereleases=True), f"{dep} but the lock has {version}: run scripts/lock"
    for name, (version, hashes) in pins.items():
        assert hashes, f"{name}=={version} has no --hash"


def test_build_requirements_are_locked_too() -> None:
    pins = _pins(ROOT / "requirements-build.lock")
    assert {"setuptools", "wheel"} <= set(pins)
    assert all(hashes for _, hashes in pins.values())
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for req in map(Requirement, build):
        assert req.specifier.contains(pins[canonicalize_name(req.name)][0])


def test_the_lock_parser_sees_a_missing_hash(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("flask==3.0.0 \\\n    --hash=sha256:" + "a" * 64 + "\nclick==8.1.0\n")
    pins = _pins(lock)
    assert pins["flask"][1] and pins["click"] == ("8.1.0", [])
