"""SQLite state store: one file, WAL, one writer, numbered migrations applied at start-up.

``Database`` owns the connections and the migrations. Repositories for each concern (the cache
registry here; the operation journal in ``fileops``' own module) share it.

Two kinds of connection: ONE writer (every write, every transaction, and every read a thread makes
inside its own transaction, which must see its uncommitted writes), under one lock; and a small pool of
read-only connections (``adapters.sqlite_readers``) for reads outside a transaction, which in WAL mode
see the last commit and never wait for the writer's lock or its fsync. A ``:memory:`` database is one
connection (a second one would be another, empty database).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cacherr.adapters.sqlite_pools import pool_totals, set_pools
from cacherr.adapters.sqlite_readers import ReadPool, open_reader
from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.errors import StateStoreError
from cacherr.domain.media import Reason
from cacherr.ports import RegistryTotals

_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every bundled migration, in order."""
    found = []
    for entry in resources.files("cacherr.adapters.migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    # 1, 2, 3, ... with no gap: a database at version N has applied every migration up to N, so a gap
    # filled later would never be applied to it.
    if numbers != list(range(1, len(numbers) + 1)):
        raise StateStoreError(f"bundled migrations are not numbered 1, 2, ... once each: {numbers}")
    return found


class Database:
    """The state database. Thread-safe: writes run under one lock (a single writer); reads outside a
    transaction use the read pool and do not take that lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._local = threading.local()  # .depth: this thread's nesting inside the writer's lock
        self._conn = self._open()
        memory = str(path) == ":memory:"
        self._readers = None if memory else ReadPool(lambda: open_reader(str(self.path)))

    @contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        """The writer connection, under its lock; while held, this thread's reads use it too."""
        with self._lock:
            self._local.depth = getattr(self._local, "depth", 0) + 1
            try:
                yield self._conn
            finally:
                self._local.depth -= 1

    def _on_writer(self) -> bool:
        """Reads of this thread go to the writer: a ``:memory:`` database, or inside this thread's transaction."""
        return self._readers is None or getattr(self._local, "depth", 0) > 0

    def _open(self) -> sqlite3.Connection:
        if str(self.path) != ":memory:" and not self.path.parent.is_dir():
            raise StateStoreError(f"folder for the state database does not exist: {self.path.parent} "
                                  "(create it, or set CONFIG_DIR)")
        if self.path.exists():
            self._inspect_read_only()  # refuse a corrupt or future database before changing a byte of it
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _inspect_read_only(self) -> None:
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                ok = conn.execute("PRAGMA quick_check").fetchone()[0]
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StateStoreError(
                f"state database {self.path} is unreadable or corrupt ({exc}). Cacherr left it untouched: "
                "move it aside (the journal in it may matter: keep a copy) and start again to create a new one"
            ) from None
        if ok != "ok":
            raise StateStoreError(f"state database {self.path} failed its integrity check ({ok}); "
                                  "move it aside and keep a copy")
        bundled = migrations()
        known = bundled[-1][0] if bundled else 0
        if version > known:
            raise StateStoreError(
                f"state database {self.path} has schema version {version}, but this Cacherr knows only up to "
                f"{known}: it was written by a newer Cacherr. Upgrade Cacherr, or restore a backup of the database"
            )

    @property
    def schema_version(self) -> int:
        with self._writer() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[str]:
        """Apply every migration newer than the database's version; refuse a database from the future."""
        bundled = migrations()
        known = bundled[-1][0] if bundled else 0
        current = self.schema_version
        if current > known:
            raise StateStoreError(
                f"state database {self.path} has schema version {current}, but this Cacherr knows only up to "
                f"{known}: it was written by a newer Cacherr. Upgrade Cacherr, or restore a backup of the database"
            )
        applied = []
        with self._writer():
            for number, name, sql in bundled:
                if number <= current:
                    continue
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    for statement in _split_sql(sql):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {number}")
                    self._conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._conn.execute("ROLLBACK")
                    raise StateStoreError(f"migration {name} failed: {exc}") from None
                applied.append(name)
        return applied

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error. ``query`` on this
        thread inside the block reads through it (and sees its uncommitted writes)."""
        with self._writer() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Rows of one read: on a read connection (the last commit, without waiting for the writer), or
        on the writer inside this thread's transaction."""
        if self._on_writer():
            with self._writer() as conn:
                return conn.execute(sql, tuple(params)).fetchall()
        held = getattr(self._local, "reader", None)
        if held is not None:  # inside this thread's snapshot
            return held.execute(sql, tuple(params)).fetchall()  # type: ignore[no-any-return]
        assert self._readers is not None
        with self._readers.connection() as conn:
            return conn.execute(sql, tuple(params)).fetchall()

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A connection for several reads that must agree (one snapshot: no commit lands between them).
        Read only; inside this thread's transaction (or for ``:memory:``) it is the writer connection."""
        held = getattr(self._local, "reader", None)
        if self._on_writer() or held is not None:  # the writer, or this thread's snapshot already open
            with self._writer() if held is None else contextlib.nullcontext(held) as conn:
                yield conn
            return
        assert self._readers is not None
        with self._readers.connection() as conn:
            conn.execute("BEGIN")
            self._local.reader = conn
            try:
                yield conn
            finally:
                self._local.reader = None
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One autocommitted statement; returns lastrowid."""
        with self._writer() as conn:
            cur = conn.execute(sql, tuple(params))
            return int(cur.lastrowid or 0)

    def ping(self) -> bool:
        try:
            self.query("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        if self._readers is not None:
            self._readers.close()
        with self._lock:
            self._conn.close()


def _split_sql(sql: str) -> list[str]:
    """Statements of a migration; a trigger's ``BEGIN ... END;`` body stays one statement."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    statements: list[str] = []
    pending = ""
    for piece in "\n".join(lines).split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip().removesuffix(";"))
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip().removesuffix(";"))
    return statements


def open_database(path: Path | str) -> Database:
    """Open (or create) the database and bring it to the current schema."""
    db = Database(path)
    try:
        db.migrate()
    except StateStoreError:
        db.close()
        raise
    return db


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def read_totals(db: Database) -> RegistryTotals:
    """The running totals (table ``cache_totals``, kept by triggers)."""
    with db.snapshot():  # the totals and the per-pool totals of the same commit
        rows = db.query("SELECT kind, key, entries, bytes FROM cache_totals")
        by_pool = pool_totals(db)
    libs = {r["key"]: (int(r["entries"]), int(r["bytes"])) for r in rows if r["kind"] == "library"}
    users = {r["key"]: (int(r["entries"]), int(r["bytes"])) for r in rows if r["kind"] == "user"}
    top = next(((int(r["entries"]), int(r["bytes"])) for r in rows if r["kind"] == "all"), (0, 0))
    return RegistryTotals(top[0], top[1], libs, users, by_pool)


class SqliteCacheRegistry:
    """``CacheRegistry`` on the ``cache_entries`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _row(r: sqlite3.Row) -> CacheEntry:
        return CacheEntry(
            id=r["id"], cache_path=r["cache_path"], array_path=r["array_path"], size=r["size"],
            mode=CacheMode(r["mode"]), cached_at=datetime.fromisoformat(r["cached_at"]),
            item_key=r["item_key"], title=r["title"], library=r["library"], reason=Reason(r["reason"]),
            users=frozenset(json.loads(r["users"])), pinned=bool(r["pinned"]),
            pre_existing=bool(r["pre_existing"]), last_wanted_at=_dt(r["last_wanted_at"]),
        )

    def entries(self) -> list[CacheEntry]:
        """Every entry, decoded: once per cycle, never per file (use ``total_bytes``/``by_path`` there)."""
        return [self._row(r) for r in self.db.query("SELECT * FROM cache_entries ORDER BY cache_path")]

    def paths(self) -> set[str]:
        return {r["cache_path"] for r in self.db.query("SELECT cache_path FROM cache_entries")}

    def total_bytes(self) -> int:
        """Bytes held, from the running totals the triggers of migration 0004 keep in each change's
        transaction (so a rolled-back copy never leaves its bytes counted)."""
        rows = self.db.query("SELECT bytes FROM cache_totals WHERE kind = 'all'")
        return int(rows[0]["bytes"]) if rows else 0

    def totals(self) -> RegistryTotals:
        return read_totals(self.db)

    def set_pools(self, roots: Iterable[str]) -> bool:
        """The configured cache roots, for the per-pool totals (``adapters.sqlite_pools``)."""
        return set_pools(self.db, roots)

    def pool_totals(self) -> dict[str, tuple[int, int]]:
        """Bytes held per cache root, O(pools): what the budget check and /status read."""
        return pool_totals(self.db)

    def get(self, entry_id: int) -> CacheEntry | None:
        rows = self.db.query("SELECT * FROM cache_entries WHERE id = ?", (entry_id,))
        return self._row(rows[0]) if rows else None

    def by_path(self, cache_path: str) -> CacheEntry | None:
        rows = self.db.query("SELECT * FROM cache_entries WHERE cache_path = ?", (cache_path,))
        return self._row(rows[0]) if rows else None

    def upsert(self, entry: CacheEntry, conn: sqlite3.Connection | None = None) -> CacheEntry:
        params = (entry.cache_path, entry.array_path, entry.size, entry.mode.value, _ts(entry.cached_at),
                  entry.item_key, entry.title, entry.library, int(entry.reason),
                  json.dumps(sorted(entry.users)), int(entry.pinned), int(entry.pre_existing),
                  _ts(entry.last_wanted_at))
        sql = """INSERT INTO cache_entries (cache_path, array_path, size, mode, cached_at, item_key, title,
                     library, reason, users, pinned, pre_existing, last_wanted_at)
                 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                 ON CONFLICT(cache_path) DO UPDATE SET array_path=excluded.array_path, size=excluded.size,
                     mode=excluded.mode, item_key=excluded.item_key, title=excluded.title,
                     library=excluded.library, reason=excluded.reason, users=excluded.users,
                     pinned=cache_entries.pinned OR excluded.pinned, pre_existing=excluded.pre_existing,
                     last_wanted_at=excluded.last_wanted_at"""
        if conn is not None:
            conn.execute(sql, params)
        else:
            self.db.execute(sql, params)
        found = self.by_path(entry.cache_path) if conn is None else None
        return found or entry

    def remove(self, cache_path: str, conn: sqlite3.Connection | None = None) -> None:
        sql, params = "DELETE FROM cache_entries WHERE cache_path = ?", (cache_path,)
        if conn is not None:
            conn.execute(sql, params)
        else:
            self.db.execute(sql, params)

    def set_pinned(self, entry_id: int, pinned: bool) -> None:
        self.db.execute("UPDATE cache_entries SET pinned = ? WHERE id = ?", (int(pinned), entry_id))

    def mark_wanted(self, cache_paths: Iterable[str], when: datetime, reason: Reason | None = None,
                    users: Iterable[str] = ()) -> None:
        user_json = json.dumps(sorted(set(users)))
        with self.db.transaction() as conn:
            for path in cache_paths:
                if reason is None:
                    conn.execute("UPDATE cache_entries SET last_wanted_at = ? WHERE cache_path = ?",
                                 (when.isoformat(), path))
                else:
                    conn.execute("UPDATE cache_entries SET last_wanted_at = ?, reason = ?, users = ? "
                                 "WHERE cache_path = ?", (when.isoformat(), int(reason), user_json, path))
