"""The journal's domain types: one file operation (``OpRow``), what starts one (``OpSpec``), a step or end
written for one (``OpChange``), and the registry row written with it (``RegistryChange``).

Pure data: the engine reasons in these types only; the SQLite repository (``adapters/sqlite_journal.py``)
stores them behind the ``JournalStore`` port (``fileops/protocols.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from cacherr.domain.cache import CacheEntry
from cacherr.domain.errors import CacherrError
from cacherr.fileops.fsutil import FileStamp


class Step(StrEnum):
    PLANNED = "planned"  # checks passed, S1 recorded; nothing on disk yet
    COPYING = "copying"  # writing the temp file (tmp_path)
    COMMITTING = "committing"  # the temp is complete and verified: rename it into place
    SWAPPING = "swapping"  # symlink mode: exchange the real file and the symlink (swap_path)
    REMOVING_SOURCE = "removing_source"  # the destination is recorded: remove the source
    DONE = "done"


class Status(StrEnum):
    ACTIVE = "active"
    DONE = "done"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    CONFLICT = "conflict"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class OpRow:
    id: int
    parent_id: int | None
    kind: str
    mode: str
    role: str
    array_path: str
    cache_path: str
    src_path: str
    dst_path: str
    tmp_path: str
    swap_path: str
    step: str
    status: str
    size: int
    src_dev: int | None
    src_ino: int | None
    src_mtime_ns: int | None
    src_ctime_ns: int | None
    src_nlink: int | None
    tmp_ino: int | None
    src_hash: str | None
    dst_hash: str | None
    bytes_done: int
    action: str
    boot_id: str
    message: str
    created_at: str
    updated_at: str

    @property
    def action_data(self) -> dict[str, Any]:
        data = json.loads(self.action or "{}")
        return data if isinstance(data, dict) else {}

    def matches(self, stamp: FileStamp) -> bool:
        """True when ``stamp`` is the source version recorded at PLANNED (same inode, unwritten)."""
        return (stamp.dev, stamp.ino, stamp.size, stamp.mtime_ns, stamp.ctime_ns) == (
            self.src_dev, self.src_ino, self.size, self.src_mtime_ns, self.src_ctime_ns)

    @classmethod
    def planned(cls, op_id: int, parent_id: int | None, spec: OpSpec, names: tuple[str, str], boot_id: str,
                now: str) -> OpRow:
        """The row of ``spec`` as recorded at PLANNED (``names``: its temp and swap names)."""
        st = spec.stamp
        return cls(op_id, parent_id, spec.kind, spec.mode, spec.role, spec.array_path, spec.cache_path, spec.src,
                   spec.dst, names[0], names[1], Step.PLANNED.value, Status.ACTIVE.value, st.size, st.dev, st.ino,
                   st.mtime_ns, st.ctime_ns, st.nlink, None, None, None, 0, spec.action_json, boot_id, "", now, now)


@dataclass(frozen=True, slots=True)
class OpSpec:
    """What ``Journal.begin_group`` records for one file of a group."""

    kind: str
    mode: str
    role: str
    array_path: str
    cache_path: str
    src: str
    dst: str
    stamp: FileStamp
    action: dict[str, Any]

    @property
    def action_json(self) -> str:
        return json.dumps(self.action, sort_keys=True)


class OpChange(NamedTuple):
    """One operation's row update: ``values`` are ``OpRow`` fields; ``event`` is the trail's detail."""

    op: OpRow
    values: Mapping[str, Any]
    event: str


@dataclass(frozen=True, slots=True)
class RecordEntry:
    """Write this cache-registry row (a finished cache operation) with the journal change."""

    entry: CacheEntry


@dataclass(frozen=True, slots=True)
class ForgetEntry:
    """Delete the cache-registry row of ``cache_path`` (a finished restore) with the journal change."""

    cache_path: str


RegistryChange = RecordEntry | ForgetEntry


class JournalBusy(CacherrError):
    """An unfinished operation already holds this file (recovery has not run yet)."""
