"""The import-linter layers name every module of the package, so a new module cannot escape the contracts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_module_of_the_package_is_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    named = {m for layer in layers for m in re.findall(r"cacherr(?:\.\w+)+", layer)}
    package = ROOT / "src" / "cacherr"
    modules = {f"cacherr.{p.stem if p.is_file() else p.name}" for p in package.iterdir()
               if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert modules - named == set(), "add these modules to a layer in pyproject.toml [tool.importlinter]"
    assert named - modules == set(), "these layers name modules that do not exist"
