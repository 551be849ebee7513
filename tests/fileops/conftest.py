"""File-engine fixtures: real temporary trees, a real tmpfs cache, a real mergerfs union."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.demo.lab import Lab, make_lab
from cacherr.fileops import Engine, EngineConfig, build_engine
from cacherr.fileops.faults import Faults
from cacherr.fileops.inuse import InUseCheck
from tests.conftest import require_root, require_tool
from tests.fileops.helpers import MiB

FILES = {
    "Movies/Heat (1995)/Heat (1995).mkv": 3 * MiB + 123,
    "TV/Show/Season 01/Show - S01E01.mkv": 2 * MiB,
    "TV/Show/Season 01/Show - S01E02.mkv": 1 * MiB + 7,
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "state.db")
    yield database
    database.close()


@pytest.fixture
def registry(db: Database) -> SqliteCacheRegistry:
    return SqliteCacheRegistry(db)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    the_lab = make_lab(tmp_path / "lab", FILES)
    yield the_lab
    the_lab.close()


@pytest.fixture
def tmpfs_lab(tmp_path: Path) -> Iterator[Lab]:
    """The cache is a real 16 MiB tmpfs: a second filesystem (cross-device copies, a real disk full)."""
    require_root()
    the_lab = make_lab(tmp_path / "lab", FILES, cache_size=16 * MiB)
    yield the_lab
    the_lab.close()


@pytest.fixture
def union_lab(tmp_path: Path) -> Iterator[Lab]:
    """Unraid-like: array disk folder, tmpfs cache pool, and a mergerfs union standing for /mnt/user."""
    require_root()
    require_tool("mergerfs")
    the_lab = make_lab(tmp_path / "lab", FILES, cache_size=32 * MiB, union=True)
    yield the_lab
    the_lab.close()


def config_for(lab: Lab, **overrides: Any) -> EngineConfig:
    values: dict[str, Any] = {"roots": ((str(lab.array_root), str(lab.cache_root)),), "settle_seconds": 0.0,
                              "chunk": MiB, "report_every": MiB}
    values.update(overrides)
    return EngineConfig(**values)


EngineFactory = Callable[..., Engine]


def nobody(_path: str) -> list[Any]:
    return []


@pytest.fixture
def engine_for(db: Database, registry: SqliteCacheRegistry) -> EngineFactory:
    def build(lab: Lab, *, in_use: InUseCheck = nobody, faults: Faults | None = None, **overrides: Any) -> Engine:
        return build_engine(SqliteJournal(db), registry, config_for(lab, **overrides), in_use=in_use, faults=faults)

    return build
