"""``JournalStore`` on SQLite: the ``file_ops`` rows and the append-only ``file_op_events`` trail.

The only SQL of the file-operation journal. Each call is one transaction on the shared state database
(WAL, synchronous=FULL); a journal step and the cache-registry row it records (``RegistryChange``) are
written by the same transaction, through ``SqliteCacheRegistry`` on the same connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import fields

from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry
from cacherr.fileops.oplog import (
    ForgetEntry,
    JournalBusy,
    OpChange,
    OpRow,
    OpSpec,
    RecordEntry,
    RegistryChange,
    Step,
)
from cacherr.fileops.protocols import TempNames

_COLUMNS = tuple(f.name for f in fields(OpRow))
_WRITABLE = frozenset(_COLUMNS) - {"id", "created_at"}


def _row(r: sqlite3.Row) -> OpRow:
    return OpRow(**{c: r[c] for c in _COLUMNS})


class SqliteJournal:
    """The journal's repository (``fileops.protocols.JournalStore``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.registry = SqliteCacheRegistry(db)  # writes its rows on the journal's connection only

    def insert(self, specs: Sequence[OpSpec], *, parent_id: int | None, boot_id: str, now: str,
               names: TempNames) -> list[OpRow]:
        rows: list[OpRow] = []
        try:
            with self.db.transaction() as conn:
                for spec in specs:
                    rows.append(self._insert(conn, spec, parent_id if not rows else rows[0].id, boot_id, now, names))
        except sqlite3.IntegrityError:
            raise JournalBusy(f"an unfinished operation already holds {specs[len(rows)].array_path}; "
                              "recovery finishes it on the next start") from None
        return rows

    @staticmethod
    def _insert(conn: sqlite3.Connection, spec: OpSpec, parent_id: int | None, boot_id: str, now: str,
                names: TempNames) -> OpRow:
        st = spec.stamp
        cur = conn.execute(
            """INSERT INTO file_ops (parent_id, kind, mode, role, array_path, cache_path, src_path,
                   dst_path, tmp_path, step, size, src_dev, src_ino, src_mtime_ns, src_ctime_ns,
                   src_nlink, action, boot_id, created_at, updated_at)
               VALUES (?,?,?,?,?,?,?,?,'',?,?,?,?,?,?,?,?,?,?,?)""",
            (parent_id, spec.kind, spec.mode, spec.role, spec.array_path, spec.cache_path, spec.src, spec.dst,
             Step.PLANNED.value, st.size, st.dev, st.ino, st.mtime_ns, st.ctime_ns, st.nlink, spec.action_json,
             boot_id, now, now))
        op_id = int(cur.lastrowid or 0)
        tmp, swap = names(spec, op_id)
        conn.execute("UPDATE file_ops SET tmp_path = ?, swap_path = ? WHERE id = ?", (tmp, swap, op_id))
        _event(conn, op_id, Step.PLANNED.value, now, "")
        return OpRow.planned(op_id, parent_id, spec, (tmp, swap), boot_id, now)

    def update(self, changes: Sequence[OpChange], registry: RegistryChange | None, *, now: str) -> None:
        unknown = {k for c in changes for k in c.values} - _WRITABLE
        if unknown:
            raise ValueError(f"not journal columns: {sorted(unknown)}")
        with self.db.transaction() as conn:
            for op, values, event in changes:
                cols = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE file_ops SET {cols} WHERE id = ?", (*values.values(), op.id))  # noqa: S608
                _event(conn, op.id, values.get("step", op.step), now, event)
            if isinstance(registry, RecordEntry):
                self.registry.upsert(registry.entry, conn)
            elif isinstance(registry, ForgetEntry):
                self.registry.remove(registry.cache_path, conn)

    def get(self, op_id: int) -> OpRow:
        rows = self.db.query("SELECT * FROM file_ops WHERE id = ?", (op_id,))
        if not rows:
            raise KeyError(op_id)
        return _row(rows[0])

    def active(self) -> list[OpRow]:
        return [_row(r) for r in self.db.query("SELECT * FROM file_ops WHERE status = 'active' ORDER BY id")]

    def recent(self, limit: int) -> list[OpRow]:
        return [_row(r) for r in self.db.query("SELECT * FROM file_ops ORDER BY id DESC LIMIT ?", (limit,))]

    def events(self, op_id: int) -> list[tuple[str, str]]:
        return [(r["step"], r["detail"]) for r in
                self.db.query("SELECT step, detail FROM file_op_events WHERE op_id = ? ORDER BY id", (op_id,))]

    def temp_names(self) -> list[tuple[int, str, str]]:
        return [(r["id"], r["tmp_path"], r["swap_path"]) for r in
                self.db.query("SELECT id, tmp_path, swap_path FROM file_ops ORDER BY id")]


def _event(conn: sqlite3.Connection, op_id: int, step: str, at: str, detail: str) -> None:
    conn.execute("INSERT INTO file_op_events (op_id, step, at, detail) VALUES (?,?,?,?)", (op_id, step, at, detail))
