"""What every step needs: the journal, the registry, the settings, failpoints, progress reporting."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cacherr.domain.cache import Action, CacheEntry, CacheMode
from cacherr.domain.fates import CopyFailure
from cacherr.domain.media import Reason
from cacherr.fileops.config import EngineConfig
from cacherr.fileops.copy import CopyFailed
from cacherr.fileops.faults import Faults
from cacherr.fileops.inuse import Holder, InUseCheck
from cacherr.fileops.journal import Journal, OpRow, RegistryChange, Status, Step
from cacherr.fileops.preflight import SpaceGuard
from cacherr.fileops.protocols import EntryRegistry, ProgressSink

log = logging.getLogger("cacherr.fileops")
ProgressFn = Callable[[int, str, int, int], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one file operation ended."""

    status: Status
    message: str = ""
    bytes_moved: int = 0
    op_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.DONE


@dataclass
class Ctx:
    journal: Journal
    registry: EntryRegistry
    config: EngineConfig
    in_use: InUseCheck
    faults: Faults
    board: ProgressSink | None = None
    space: SpaceGuard = field(init=False)
    stopping: threading.Event = field(default_factory=threading.Event)  # set by Engine.stop()

    def __post_init__(self) -> None:
        self.space = SpaceGuard(self.config.cache_limit, self.config.min_free_space)

    def hit(self, name: str) -> None:
        self.faults.hit(name)

    def advance(self, op: OpRow, step: Step, *, registry: RegistryChange | None = None, **values: Any) -> OpRow:
        """Journal ``step`` durably (with ``registry``), then pass the ``before:<step>`` failpoint."""
        row = self.journal.advance(op, step, registry=registry, **values)
        self.hit(f"before:{step.value}")
        return row

    def holders(self, path: str) -> list[Holder]:
        return self.in_use(path)

    def writers(self, path: str) -> list[Holder]:
        return [h for h in self.in_use(path) if h.writing]

    def cacherr_usage(self) -> int:
        return self.registry.total_bytes()

    def finish(self, op: OpRow, status: Status, message: str = "", *,
               registry: RegistryChange | None = None, **values: Any) -> Outcome:
        if status is Status.DONE:
            self.hit("before:done")  # every side effect is behind us; the DONE row is not written yet
        row = self.journal.finish(op, status, message, registry=registry, **values)
        if status is not Status.DONE:
            log.warning("%s %s: %s (%s)", op.kind, op.array_path, status.value, message)
        return Outcome(status, message, row.bytes_done if status is Status.DONE else 0, op.id)

    def reporter(self, op: OpRow, on_progress: ProgressFn | None) -> Callable[[int], None]:
        """A bytes-done callback feeding the progress board, the caller's callback and the journal."""
        path = op.dst_path

        def report(done: int) -> None:
            if self.board is not None:
                self.board.update(op.id, done, op.size)
            if on_progress is not None:
                on_progress(op.id, path, done, op.size)
            if self.stopping.is_set():
                raise CopyFailed(CopyFailure.STOPPING, f"Cacherr is stopping: the copy to {path} was abandoned at "
                                 f"{done} of {op.size} bytes; it is redone next cycle")

        return report


def action_to_json(action: Action) -> dict[str, Any]:
    return {"kind": action.kind.value, "array_path": action.array_path, "cache_path": action.cache_path,
            "size": action.size, "reason": int(action.reason), "why": action.why, "item_key": action.item_key,
            "title": action.title, "users": sorted(action.users), "sidecars": list(action.sidecars),
            "library": action.library, **({"stale": True} if action.stale else {})}


def entry_for(op: OpRow) -> CacheEntry:
    """The registry row a finished cache operation records."""
    data = op.action_data
    reason = data.get("reason", int(Reason.PRE_EXISTING))
    return CacheEntry(cache_path=op.cache_path, array_path=op.array_path, size=op.size, mode=CacheMode(op.mode),
                      cached_at=datetime.now(UTC), item_key=data.get("item_key"), title=str(data.get("title", "")),
                      library=str(data.get("library", "")), reason=Reason(int(reason)),
                      users=frozenset(data.get("users", ())), last_wanted_at=datetime.now(UTC))


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)
