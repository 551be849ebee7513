"""Everything the engine is told by the settings, as one frozen value (bootstrap builds it)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from cacherr.fileops.copy import KERNEL_CHUNK
from cacherr.fileops.fsutil import FolderPolicy
from cacherr.fileops.protocols import SizeLimitLike


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """``roots``: (array root, cache root) pairs, one per path mapping; the engine touches nothing else."""

    roots: tuple[tuple[str, str], ...]
    verify: str = "size"  # "size" or "hash"
    max_concurrent_cache: int = 2
    max_concurrent_array: int = 1
    hardlinks: str = "skip"  # "skip" or "copy"
    remove_empty_folders: bool = True
    folders: FolderPolicy = field(default_factory=FolderPolicy)
    cache_limit: SizeLimitLike | None = None
    min_free_space: SizeLimitLike | None = None
    exclude_file: str = ""
    artwork: bool = False  # artwork and NFO files travel with their video (CACHE_ARTWORK)
    settle_seconds: float = 1.0  # a source written to less than recent_seconds ago is re-checked after this
    recent_seconds: float = 60.0
    chunk: int = KERNEL_CHUNK
    report_every: int = 8 << 20

    @property
    def hash_verify(self) -> bool:
        return self.verify == "hash"

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> EngineConfig:
        """Build from a ``cacherr.settings.Settings`` (duck-typed: fileops does not import settings)."""
        roots = tuple((os.path.normpath(m.array_path), os.path.normpath(m.cache_path))
                      for m in settings.path_mappings())
        values: dict[str, Any] = {
            "roots": roots,
            "verify": settings.VERIFY,
            "max_concurrent_cache": settings.MAX_CONCURRENT_MOVES_CACHE,
            "max_concurrent_array": settings.MAX_CONCURRENT_MOVES_ARRAY,
            "hardlinks": settings.HARDLINKS,
            "remove_empty_folders": settings.REMOVE_EMPTY_FOLDERS,
            "folders": FolderPolicy(settings.PUID, settings.PGID, int(settings.UMASK, 8)),
            "cache_limit": settings.CACHE_LIMIT,
            "min_free_space": settings.MIN_FREE_SPACE,
            "exclude_file": settings.MOVER_EXCLUDE_FILE,
            "artwork": settings.CACHE_ARTWORK,
        }
        values.update(overrides)
        return cls(**values)
