"""Shared fixtures. Tests use real files, real SQLite, real HTTP; nothing here mocks a library."""

from __future__ import annotations

import logging
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


@pytest.fixture(autouse=True, scope="module")
def _no_log_handlers_leak_between_test_modules() -> Iterator[None]:
    """``setup_logging`` (via ``build_container``) replaces the root logger's handlers, with a file handler in a
    temporary folder: after each module (whose module-scoped stacks may log to them), put pytest's back and close
    what the module added. Within a module, ``setup_logging`` closes the handlers it replaces."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    d = tmp_path / "config"
    d.mkdir()
    return d


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment without any Cacherr setting, so the host's variables cannot leak into a test."""
    from cacherr.settings import Settings

    for name in [*Settings.model_fields, "CONFIG_DIR"]:
        monkeypatch.delenv(name, raising=False)
    return {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Random order (pytest-randomly) for every test, except inside a module marked ``sequential``: its tests share
    one live stack and build on each other (a cycle, then pins, then settings), so they keep their file order
    (in the same slots the shuffle gave them)."""
    slots: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        if item.get_closest_marker("sequential") is not None:
            slots.setdefault(str(item.path), []).append(i)
    for positions in slots.values():
        in_file_order = sorted((items[i] for i in positions), key=lambda it: (it.location[1] or 0, it.name))
        for i, item in zip(positions, in_file_order, strict=True):
            items[i] = item
