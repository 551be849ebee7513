"""Shared fixtures. Tests use real files, real SQLite, real HTTP; nothing here mocks a library."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ALL = os.environ.get("CACHERR_REQUIRE_ALL") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI, CACHERR_REQUIRE_ALL=1) when a tool or privilege is missing."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"CACHERR_REQUIRE_ALL=1 but: {reason}", pytrace=False)
    pytest.skip(reason)


def require_root() -> None:
    require(os.geteuid() == 0, "needs root (mount, chown); run as root or in CI")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"needs `{name}` on PATH (apt-get install {name})")
    assert path is not None
    return path


def import_playwright() -> Any:
    """Playwright's sync API; a test dependency, so its absence fails in CI like a missing tool."""
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        require(False, "needs the playwright package (pip install -e '.[test]')")
    return sync_api


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    d = tmp_path / "config"
    d.mkdir()
    return d


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An environment without any Cacherr setting, so the host's variables cannot leak into a test."""
    from cacherr.settings import Settings

    for name in [*Settings.model_fields, "CONFIG_DIR"]:
        monkeypatch.delenv(name, raising=False)
    yield {}
