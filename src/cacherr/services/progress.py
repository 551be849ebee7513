"""Live progress of running file operations, for the dashboard, the API and CLI progress bars.

The file engine reports through ``ProgressBoard.update``; readers take ``snapshot()``. Thread-safe,
in memory (the journal in SQLite is the durable record).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class RunningOp:
    op_id: int
    kind: str  # cache or restore
    path: str
    title: str
    bytes_done: int
    bytes_total: int
    started: float  # time.monotonic()
    updated: float

    @property
    def percent(self) -> float:
        return 100.0 if self.bytes_total <= 0 else min(100.0, 100.0 * self.bytes_done / self.bytes_total)

    @property
    def bytes_per_second(self) -> float:
        elapsed = self.updated - self.started
        return self.bytes_done / elapsed if elapsed > 0 else 0.0


class ProgressBoard:
    def __init__(self) -> None:
        self._ops: dict[int, RunningOp] = {}
        self._lock = threading.Lock()

    def start(self, op_id: int, kind: str, path: str, title: str, bytes_total: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._ops[op_id] = RunningOp(op_id, kind, path, title, 0, bytes_total, now, now)

    def update(self, op_id: int, bytes_done: int, bytes_total: int | None = None) -> None:
        with self._lock:
            op = self._ops.get(op_id)
            if op is not None:
                self._ops[op_id] = replace(op, bytes_done=bytes_done, updated=time.monotonic(),
                                           bytes_total=op.bytes_total if bytes_total is None else bytes_total)

    def finish(self, op_id: int) -> None:
        with self._lock:
            self._ops.pop(op_id, None)

    def snapshot(self) -> list[RunningOp]:
        with self._lock:
            return sorted(self._ops.values(), key=lambda o: o.op_id)
