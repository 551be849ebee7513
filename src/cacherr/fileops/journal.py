"""The operation journal: one row per file operation, its step written BEFORE the step happens
(write-ahead), plus an append-only trail of events. Recovery reads it on start.

``Journal`` is what the engine talks to, in domain types (``fileops/oplog.py``); the rows live behind the
``JournalStore`` port (SQLite: ``adapters/sqlite_journal.py``, WAL with synchronous=FULL, so a committed
step is durable before the side effect it announces). A journal write that fails stops the operation:
nothing is done without a durable intent. A step and the registry row it records are one write.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from cacherr.fileops.fsutil import FileStamp, boot_id, temp_name
from cacherr.fileops.oplog import (
    ForgetEntry,
    JournalBusy,
    OpChange,
    OpRow,
    OpSpec,
    RecordEntry,
    RegistryChange,
    Status,
    Step,
)
from cacherr.fileops.protocols import JournalStore

__all__ = ["ForgetEntry", "Journal", "JournalBusy", "OpChange", "OpRow", "OpSpec", "RecordEntry",
           "RegistryChange", "Status", "Step"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _temp_names(spec: OpSpec, op_id: int) -> tuple[str, str]:
    """An operation's temp file (beside its destination) and swap name (beside its array path)."""
    return temp_name(spec.dst, op_id), temp_name(spec.array_path, op_id, "swap")


class Journal:
    """The engine's journal: what each step writes, on a ``JournalStore``."""

    def __init__(self, store: JournalStore) -> None:
        self.store = store
        self._boot_id = boot_id()

    def begin(self, *, kind: str, mode: str, role: str, array_path: str, cache_path: str, src: str,
              dst: str, stamp: FileStamp, action: dict[str, Any], parent_id: int | None = None) -> OpRow:
        """Record a new operation at PLANNED, with its temp names derived from its id."""
        spec = OpSpec(kind, mode, role, array_path, cache_path, src, dst, stamp, action)
        return self.begin_group([spec], parent_id=parent_id)[0]

    def begin_group(self, specs: list[OpSpec], *, parent_id: int | None = None) -> list[OpRow]:
        """Record several operations at PLANNED in ONE transaction: the first is the group's head (a video),
        the others (its sidecars) get it as ``parent_id``. Returns the rows as written (no read back).
        Raises ``JournalBusy`` when an unfinished operation already holds one of the files."""
        return self.store.insert(specs, parent_id=parent_id, boot_id=self._boot_id, now=_now(), names=_temp_names)

    def advance(self, op: OpRow, step: Step, *, registry: RegistryChange | None = None, **values: Any) -> OpRow:
        """Write ``step`` (and ``values``) durably, with the ``registry`` row change in the same transaction."""
        return self.update_group([self.step_change(op, step, **values)], registry)[0]

    def finish(self, op: OpRow, status: Status, message: str = "", *, registry: RegistryChange | None = None,
               **values: Any) -> OpRow:
        """End the operation; ``values`` (e.g. the copy's tmp_ino and hashes when no COMMITTING row was
        written) go into the same row update, ``registry`` into the same transaction."""
        return self.update_group([self.finish_change(op, status, message, **values)], registry)[0]

    def update_group(self, changes: list[OpChange], registry: RegistryChange | None = None) -> list[OpRow]:
        """Write the changes of several operations (a group's step, or the DONE of a video and its sidecars
        with the video's registry row) in ONE transaction. Returns the rows as written (no read back)."""
        now = _now()
        stamped = []
        for op, values, event in changes:
            values = {**values, "updated_at": now}
            if "step" in values:
                values["boot_id"] = self._boot_id
            stamped.append(OpChange(op, values, event))
        self.store.update(stamped, registry, now=now)
        return [dataclasses.replace(c.op, **c.values) for c in stamped]

    @staticmethod
    def step_change(op: OpRow, step: Step, **values: Any) -> OpChange:
        """The ``update_group`` change that advances ``op`` to ``step``."""
        return OpChange(op, {"step": step.value, **values}, step.value)

    @staticmethod
    def finish_change(op: OpRow, status: Status, message: str = "", **values: Any) -> OpChange:
        """The ``update_group`` change that ends ``op`` (as ``finish`` does)."""
        step = Step.DONE.value if status is Status.DONE else op.step
        return OpChange(op, {**values, "status": status.value, "message": message, "step": step},
                        f"{status.value}: {message}" if message else status.value)

    def get(self, op_id: int) -> OpRow:
        return self.store.get(op_id)

    def active(self) -> list[OpRow]:
        return self.store.active()

    def recent(self, limit: int = 100) -> list[OpRow]:
        return self.store.recent(limit)

    def events(self, op_id: int) -> list[tuple[str, str]]:
        return self.store.events(op_id)

    def temp_names(self) -> list[tuple[int, str, str]]:
        """(op id, tmp_path, swap_path) of every operation ever journaled: the only names recovery may
        delete as strays."""
        return self.store.temp_names()

    @property
    def current_boot_id(self) -> str:
        return self._boot_id
