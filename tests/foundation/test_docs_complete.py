"""Every setting is documented, and the generated files are current (run scripts/gen-docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cacherr.docs_gen import configuration_md, env_example
from cacherr.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented_everywhere(name: str) -> None:
    assert f"`{name}`" in (ROOT / "docs" / "configuration.md").read_text(), f"{name} missing from docs/configuration.md"
    assert f"{name}=" in (ROOT / "env.example").read_text(), f"{name} missing from env.example"
    assert Settings.model_fields[name].description, f"{name} has no description"


def test_generated_docs_are_current() -> None:
    assert (ROOT / "docs" / "configuration.md").read_text() == configuration_md(), "run scripts/gen-docs"
    assert (ROOT / "env.example").read_text() == env_example(), "run scripts/gen-docs"
