"""Read connections of the state database: a small pool beside the one writer connection.

The database runs in WAL mode, where a reader on its own connection reads the last committed state
while a writer's transaction is open, and never waits for the writer's commit (its fsync, with
``synchronous=FULL``). So the dashboard's reads (``/api/v1/status`` while a copy journals its steps)
go through these connections and never queue behind the writer's lock.

Each connection is ``query_only`` (a write through it fails: writes belong to the writer connection,
under its lock). A read runs as one autocommitted statement, or several in one snapshot
(``Database.snapshot``). The pool opens connections lazily, up to ``size``; a reader beyond that waits
for a free one (reads are short). ``:memory:`` databases have no pool: a second connection would open
a different, empty database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

READERS = 4  # the web server's threads share these; a read takes well under a millisecond


def open_reader(path: str) -> sqlite3.Connection:
    """One read-only connection to the database file at ``path`` (which exists: the writer made it)."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class ReadPool:
    """Up to ``size`` read connections, each used by one thread at a time."""

    def __init__(self, opener: Callable[[], sqlite3.Connection], size: int = READERS) -> None:
        self._opener = opener
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread until the block ends."""
        with self._slots:
            conn = self._take()
            try:
                yield conn
            finally:
                self._give_back(conn)

    def _take(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            if self._idle:
                return self._idle.pop()
        return self._opener()

    def _give_back(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # a snapshot left open by an error: end it, never hand out a stale view
            conn.execute("ROLLBACK")
        with self._lock:
            if not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    @property
    def opened(self) -> int:
        """Idle connections held (for tests and diagnostics)."""
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Close the idle connections; one in use is closed when its reader gives it back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
