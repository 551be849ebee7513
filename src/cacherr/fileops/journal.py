"""The operation journal: one row per file operation in ``file_ops``, its step written BEFORE the step
happens (write-ahead), plus an append-only ``file_op_events`` trail. Recovery reads it on start.

The database runs WAL with synchronous=FULL, so a committed step is durable before the side effect
it announces. A journal write that fails stops the operation: nothing is done without a durable intent.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cacherr.domain.errors import CacherrError
from cacherr.fileops.fsutil import FileStamp, boot_id, temp_name
from cacherr.fileops.protocols import JournalDatabase


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


_COLUMNS = tuple(f.name for f in fields(OpRow))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _row(r: sqlite3.Row) -> OpRow:
    return OpRow(**{c: r[c] for c in _COLUMNS})


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


class JournalBusy(CacherrError):
    """An unfinished operation already holds this file (recovery has not run yet)."""


class Journal:
    """Repository for ``file_ops`` on the shared state database."""

    def __init__(self, db: JournalDatabase) -> None:
        self.db = db
        self._boot_id = boot_id()

    def begin(self, *, kind: str, mode: str, role: str, array_path: str, cache_path: str, src: str,
              dst: str, stamp: FileStamp, action: dict[str, Any], parent_id: int | None = None) -> OpRow:
        """Record a new operation at PLANNED, with its temp names derived from its id."""
        spec = OpSpec(kind, mode, role, array_path, cache_path, src, dst, stamp, action)
        return self.begin_group([spec], parent_id=parent_id)[0]

    def begin_group(self, specs: list[OpSpec], *, parent_id: int | None = None) -> list[OpRow]:
        """Record several operations at PLANNED in ONE transaction: the first is the group's head (a video),
        the others (its sidecars) get it as ``parent_id``. Returns the rows as written (no read back)."""
        now = _now()
        rows: list[OpRow] = []
        try:
            with self.db.transaction() as conn:
                for spec in specs:
                    rows.append(self._insert(conn, spec, parent_id if not rows else rows[0].id, now))
        except sqlite3.IntegrityError:
            raise JournalBusy(f"an unfinished operation already holds {specs[len(rows)].array_path}; "
                              "recovery finishes it on the next start") from None
        return rows

    def _insert(self, conn: sqlite3.Connection, spec: OpSpec, parent_id: int | None, now: str) -> OpRow:
        st, action = spec.stamp, json.dumps(spec.action, sort_keys=True)
        cur = conn.execute(
            """INSERT INTO file_ops (parent_id, kind, mode, role, array_path, cache_path, src_path,
                   dst_path, tmp_path, step, size, src_dev, src_ino, src_mtime_ns, src_ctime_ns,
                   src_nlink, action, boot_id, created_at, updated_at)
               VALUES (?,?,?,?,?,?,?,?,'',?,?,?,?,?,?,?,?,?,?,?)""",
            (parent_id, spec.kind, spec.mode, spec.role, spec.array_path, spec.cache_path, spec.src, spec.dst,
             Step.PLANNED.value, st.size, st.dev, st.ino, st.mtime_ns, st.ctime_ns, st.nlink, action,
             self._boot_id, now, now))
        op_id = int(cur.lastrowid or 0)
        tmp, swap = temp_name(spec.dst, op_id), temp_name(spec.array_path, op_id, "swap")
        conn.execute("UPDATE file_ops SET tmp_path = ?, swap_path = ? WHERE id = ?", (tmp, swap, op_id))
        self._event(conn, op_id, Step.PLANNED.value, "")
        return OpRow(op_id, parent_id, spec.kind, spec.mode, spec.role, spec.array_path, spec.cache_path,
                     spec.src, spec.dst, tmp, swap, Step.PLANNED.value, Status.ACTIVE.value, st.size, st.dev,
                     st.ino, st.mtime_ns, st.ctime_ns, st.nlink, None, None, None, 0, action, self._boot_id, "",
                     now, now)

    def advance(self, op: OpRow, step: Step, *, also: Callable[[sqlite3.Connection], None] | None = None,
                **values: Any) -> OpRow:
        """Write ``step`` (and ``values``) durably; ``also`` runs in the same transaction."""
        return self._update(op, {"step": step.value, **values}, step.value, also)

    def finish(self, op: OpRow, status: Status, message: str = "", *,
               also: Callable[[sqlite3.Connection], None] | None = None, **values: Any) -> OpRow:
        """End the operation; ``values`` (e.g. the copy's tmp_ino and hashes when no COMMITTING row was
        written) go into the same row update."""
        return self.update_group([self.finish_change(op, status, message, **values)], also)[0]

    def _update(self, op: OpRow, values: dict[str, Any], event: str,
                also: Callable[[sqlite3.Connection], None] | None) -> OpRow:
        return self.update_group([(op, values, event)], also)[0]

    def update_group(self, changes: list[tuple[OpRow, dict[str, Any], str]],
                     also: Callable[[sqlite3.Connection], None] | None = None) -> list[OpRow]:
        """Write the ``(op, values, event)`` changes of several operations (a group's step, or the DONE of
        a video and its sidecars with the registry row in ``also``) in ONE transaction."""
        now, out = _now(), []
        with self.db.transaction() as conn:
            for op, values, event in changes:
                values = {**values, "updated_at": now}
                if "step" in values:
                    values["boot_id"] = self._boot_id
                cols = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE file_ops SET {cols} WHERE id = ?", (*values.values(), op.id))  # noqa: S608
                self._event(conn, op.id, values.get("step", op.step), event)
                out.append(dataclasses.replace(op, **values))  # what was just written: no read back
            if also is not None:
                also(conn)
        return out

    @staticmethod
    def step_change(op: OpRow, step: Step, **values: Any) -> tuple[OpRow, dict[str, Any], str]:
        """The ``update_group`` change that advances ``op`` to ``step``."""
        return op, {"step": step.value, **values}, step.value

    @staticmethod
    def finish_change(op: OpRow, status: Status, message: str = "",
                      **values: Any) -> tuple[OpRow, dict[str, Any], str]:
        """The ``update_group`` change that ends ``op`` (as ``finish`` does)."""
        step = Step.DONE.value if status is Status.DONE else op.step
        return (op, {**values, "status": status.value, "message": message, "step": step},
                f"{status.value}: {message}" if message else status.value)

    @staticmethod
    def _event(conn: sqlite3.Connection, op_id: int, step: str, detail: str) -> None:
        conn.execute("INSERT INTO file_op_events (op_id, step, at, detail) VALUES (?,?,?,?)",
                     (op_id, step, _now(), detail))

    def get(self, op_id: int) -> OpRow:
        rows = self.db.query("SELECT * FROM file_ops WHERE id = ?", (op_id,))
        if not rows:
            raise KeyError(op_id)
        return _row(rows[0])

    def active(self) -> list[OpRow]:
        return [_row(r) for r in self.db.query("SELECT * FROM file_ops WHERE status = 'active' ORDER BY id")]

    def recent(self, limit: int = 100) -> list[OpRow]:
        return [_row(r) for r in self.db.query("SELECT * FROM file_ops ORDER BY id DESC LIMIT ?", (limit,))]

    def events(self, op_id: int) -> list[tuple[str, str]]:
        return [(r["step"], r["detail"]) for r in
                self.db.query("SELECT step, detail FROM file_op_events WHERE op_id = ? ORDER BY id", (op_id,))]

    def temp_names(self) -> list[tuple[int, str, str]]:
        """(op id, tmp_path, swap_path) of every operation ever journaled: the only names recovery may
        delete as strays."""
        return [(r["id"], r["tmp_path"], r["swap_path"]) for r in
                self.db.query("SELECT id, tmp_path, swap_path FROM file_ops ORDER BY id")]

    @property
    def current_boot_id(self) -> str:
        return self._boot_id
