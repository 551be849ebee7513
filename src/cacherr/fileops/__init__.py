"""The journaled, crash-safe file-operations engine: the only code that mutates media files.

Public API: ``build_engine`` / ``Engine`` (``execute``, ``recover``, ``sync_exclude``), ``EngineConfig``,
``sync_exclude_file`` / ``write_exclude_file``, ``find_sidecars``. See docs/safety.md.
"""

from cacherr.fileops.config import EngineConfig
from cacherr.fileops.engine import Engine, build_engine
from cacherr.fileops.exclude import MARKER, ExcludeResult, sync_exclude_file, write_exclude_file
from cacherr.fileops.sidecars import find_sidecars

__all__ = ["MARKER", "Engine", "EngineConfig", "ExcludeResult", "build_engine", "find_sidecars",
           "sync_exclude_file", "write_exclude_file"]
