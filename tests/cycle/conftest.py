from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cycle.world import World


@pytest.fixture
def world(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()
