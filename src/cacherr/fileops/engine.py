"""The file engine (``ports.FileEngine``): carries out a plan's actions, restores first, with bounded
parallelism, every step journaled before it happens. The only code that mutates media files.

    engine = build_engine(SqliteJournal(db), registry, EngineConfig.from_settings(settings), progress=board)
    engine.recover()                                   # once at start, before anything else
    results = engine.execute(plan.actions, mode=CacheMode.COPY, on_progress=cb)
    engine.sync_exclude()                              # after every non-dry-run cycle
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from cacherr.domain.cache import Action, ActionKind, CacheMode
from cacherr.domain.errors import CacherrError
from cacherr.fileops.array_disks import disk_of, order_by_disk
from cacherr.fileops.config import EngineConfig
from cacherr.fileops.context import Ctx, Outcome, ProgressFn, action_to_json
from cacherr.fileops.exclude import ExcludeResult, sync_exclude_file
from cacherr.fileops.faults import NO_FAULTS, Faults
from cacherr.fileops.flows import start_cache, start_restore
from cacherr.fileops.fsutil import FileStamp, is_regular, is_symlink, lstat_or_none
from cacherr.fileops.group import run_cache_group, sidecar_specs
from cacherr.fileops.inuse import InUseCheck, ProcScan
from cacherr.fileops.journal import Journal, OpRow, OpSpec, Status
from cacherr.fileops.preflight import (
    FileChangedError,
    Located,
    locate,
    real_path,
    refuse_union_roots,
    wait_stable,
)
from cacherr.fileops.protocols import EntryRegistry, JournalStore, ProgressSink
from cacherr.fileops.recovery import recover
from cacherr.fileops.sidecars import find_sidecars
from cacherr.fileops.steps import abandon
from cacherr.ports import OpResult

Flow = Callable[[Ctx, OpRow, Located, ProgressFn | None], Outcome]


class Engine:
    def __init__(self, store: JournalStore, registry: EntryRegistry, config: EngineConfig, *,
                 progress: ProgressSink | None = None, faults: Faults = NO_FAULTS,
                 in_use: InUseCheck | None = None) -> None:
        refuse_union_roots(config.roots)
        self.config = config
        self.registry = registry
        self.journal = Journal(store)
        self.ctx = Ctx(self.journal, registry, config, in_use or ProcScan(), faults, progress)
        self._lock = threading.Lock()  # one execute or recover at a time
        self._swept_upto = 0  # journal ids below this were checked for stray names (spin-down: never again)

    # --- ports.FileEngine -------------------------------------------------------------------------
    def execute(self, actions: Sequence[Action], *, mode: CacheMode,
                on_progress: ProgressFn | None = None) -> list[OpResult]:
        with self._lock:
            if actions:  # probed at start (__init__); again only when the array is about to be read anyway
                refuse_union_roots(self.config.roots)
            if isinstance(self.ctx.in_use, ProcScan):
                self.ctx.in_use.expire()  # one /proc scan for this whole batch
            restores = [a for a in actions if a.kind is ActionKind.RESTORE]
            caches = [a for a in actions if a.kind is ActionKind.CACHE]
            out = [replace(r, disk=disk_of(r.action.array_path)) if r.ok and not r.skipped else r
                   for r in self._run_all(restores, self.config.max_concurrent_array, mode, on_progress)]
            by_disk = order_by_disk(caches)
            done = self._run_all([a for a, _ in by_disk], self.config.max_concurrent_cache, mode, on_progress)
            out += [replace(r, disk=disk) if not r.skipped else r for r, (_, disk) in zip(done, by_disk, strict=True)]
            return out

    def recover(self) -> list[str]:
        with self._lock:
            notes, self._swept_upto = recover(self.ctx, self._swept_upto)
            return notes

    def stop(self) -> None:
        """Stop soon and cleanly (SIGTERM): operations not started yet are skipped, a running copy is
        abandoned at its next chunk (its temp file removed, journaled as rolled back). Steps past the
        copy are short and run to their end. Every file stays complete where it was."""
        self.ctx.stopping.set()

    @property
    def stopping(self) -> bool:
        return self.ctx.stopping.is_set()

    def sync_exclude(self) -> ExcludeResult | None:
        """Rewrite the Mover Tuning exclude list from the registry (call after every non-dry-run cycle)."""
        roots = [r for pair in self.config.roots for r in pair]
        return sync_exclude_file(self.config.exclude_file, self.registry.entries(),
                                 umask=self.config.folders.umask, media_roots=roots)

    # --- orchestration ----------------------------------------------------------------------------
    def _run_all(self, actions: list[Action], workers: int, mode: CacheMode,
                 on_progress: ProgressFn | None) -> list[OpResult]:
        if workers <= 1 or len(actions) <= 1:
            return [self._run(a, mode, on_progress) for a in actions]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cacherr-op") as pool:
            return list(pool.map(lambda a: self._run(a, mode, on_progress), actions))

    def _run(self, action: Action, mode: CacheMode, on_progress: ProgressFn | None) -> OpResult:
        started = time.monotonic()
        notes: list[str] = []
        if self.stopping:
            return OpResult(action=action, ok=True, skipped=True,
                            message="not started: Cacherr is stopping; it is done next cycle")
        try:
            if action.kind is ActionKind.CACHE:
                outcome = self._cache(action, mode, on_progress, notes)
            else:
                outcome = self._restore(action, mode, on_progress, notes)
        except (CacherrError, OSError) as exc:
            outcome = Outcome(Status.FAILED, str(exc))
        message = "; ".join(m for m in [outcome.message, *notes] if m)
        # A copy abandoned because Cacherr is stopping is rolled back cleanly: not a failure, a skip.
        skipped = outcome.status is Status.SKIPPED or (self.stopping and outcome.status is Status.ROLLED_BACK)
        return OpResult(action=action, ok=outcome.status is Status.DONE or skipped, message=message,
                        bytes_moved=outcome.bytes_moved, seconds=round(time.monotonic() - started, 3),
                        skipped=skipped)

    def _cache(self, action: Action, mode: CacheMode, on_progress: ProgressFn | None,
               notes: list[str]) -> Outcome:
        loc = locate(self.config.roots, action.array_path, action.cache_path)
        src, dst = real_path(action.array_path), real_path(action.cache_path)
        st = lstat_or_none(src)
        if st is None or is_symlink(st):
            if is_regular(lstat_or_none(dst)):
                if self.registry.by_path(dst) is not None:
                    return Outcome(Status.SKIPPED, "already cached")
                if st is None:  # e.g. imported straight to the cache, or hard-linked there: nothing to do
                    return Outcome(Status.SKIPPED, "already on the cache, and only there (not put there by "
                                   "Cacherr); left as it is")
            what = "is a symlink (not followed)" if st is not None else "is not on the array"
            return Outcome(Status.FAILED, f"{src} {what}")
        if not is_regular(st):
            return Outcome(Status.FAILED, f"{src} is not a regular file")
        if self._already_cached(st, dst):
            return Outcome(Status.SKIPPED, "already cached")
        try:
            stamp = wait_stable(src, FileStamp.of(st), self.config.settle_seconds, self.config.recent_seconds)
        except FileChangedError as exc:
            return Outcome(Status.SKIPPED, str(exc))
        eff, why_not = self._effective_mode(stamp, mode, src, notes)
        if why_not:
            return Outcome(Status.SKIPPED, why_not)
        # Found before the video moves: in move mode its folder must still show it (folder artwork rule).
        sidecars = sorted(set(action.sidecars) | set(find_sidecars(src, self.config.artwork)))
        video = OpSpec("cache", eff.value, "media", src, dst, src, dst, stamp, action_to_json(action))
        grouped, apart = sidecar_specs(self.config.roots, loc, sidecars,
                                       CacheMode.COPY if eff is CacheMode.SYMLINK else eff)
        if not grouped:
            op = self.journal.begin_group([video])[0]
            outcome = self._with_board(op, action.title, start_cache, loc, on_progress)
        else:  # the video and its sidecars: one journalled group (fileops/group.py)
            ops = self.journal.begin_group([video, *grouped])
            outcome, *side = self._with_board_group(ops, action.title, loc, on_progress)
            notes.extend(f"subtitle {_shown(op.src_path)}: {o.message}" for op, o in zip(ops[1:], side, strict=True)
                         if not o.ok)
        if outcome.ok:
            for sc, side_mode in apart:
                notes.extend(self._sidecar(sc, loc, side_mode, outcome.op_id, cache=True))
        return outcome

    def _already_cached(self, st: os.stat_result, dst: str) -> bool:
        """Recorded, and the cache copy has the array copy's size and mtime (copy mode, re-planned)."""
        cached = lstat_or_none(dst)
        return (is_regular(cached) and cached is not None and self.registry.by_path(dst) is not None
                and (cached.st_size, cached.st_mtime_ns) == (st.st_size, st.st_mtime_ns))

    def _effective_mode(self, stamp: FileStamp, mode: CacheMode, src: str,
                        notes: list[str]) -> tuple[CacheMode, str]:
        if stamp.nlink > 1:
            if self.config.hardlinks == "skip":
                return mode, (f"hard-linked ({stamp.nlink} names, e.g. a seeding torrent or an *arr import): "
                              "skipped (HARDLINKS=skip)")
            if mode is not CacheMode.COPY:
                notes.append("hard-linked: cached as a copy, the array link kept (HARDLINKS=copy)")
                mode = CacheMode.COPY
        holders = self.ctx.holders(src)
        if any(h.writing for h in holders):
            return mode, f"{src} is open for writing; it will be tried again next cycle"
        if mode is not CacheMode.COPY and holders:
            pids = ", ".join(str(h.pid) for h in holders)
            return mode, f"{src} is in use (pid {pids}); a move waits for the next cycle"
        return mode, ""

    def _restore(self, action: Action, mode: CacheMode, on_progress: ProgressFn | None,
                 notes: list[str]) -> Outcome:
        loc = locate(self.config.roots, action.array_path, action.cache_path)
        src, dst = real_path(action.cache_path), real_path(action.array_path)
        st = lstat_or_none(src)
        entry = self.registry.by_path(src)
        if st is None:
            if is_regular(lstat_or_none(dst)):
                if entry is not None:
                    self.registry.remove(src)
                return Outcome(Status.SKIPPED, "already on the array only (the cache copy is gone)")
            return Outcome(Status.FAILED, f"{src} is missing on the cache and {dst} on the array")
        if not is_regular(st):
            return Outcome(Status.FAILED, f"{src} is not a regular file")
        holders = self.ctx.holders(src)
        if holders:
            return Outcome(Status.SKIPPED, f"{src} is in use (pid {', '.join(str(h.pid) for h in holders)}); "
                           "it will be restored next cycle")
        if st.st_nlink > 1 and (entry is None or entry.mode is not CacheMode.SYMLINK):
            # Removing one name of a link set frees nothing and splits it (a seeding torrent keeps the other
            # name); copying it back would only duplicate it. Leave it whole, to Unraid's mover.
            if entry is not None:
                self.registry.remove(src)
            return Outcome(Status.SKIPPED, f"{src} is hard-linked on the cache ({st.st_nlink} names, e.g. a "
                           "seeding torrent): left as it is for Unraid's mover, which moves a link set whole; "
                           "no longer tracked by Cacherr")
        op_mode = entry.mode if entry is not None else mode
        side_mode = CacheMode.COPY if op_mode is CacheMode.SYMLINK else op_mode
        mapped = {os.path.join(loc.cache_root, s[len(loc.array_root):].lstrip("/")) for s in action.sidecars
                  if s.startswith(loc.array_root + "/")}
        for sc in sorted(mapped | set(find_sidecars(src, self.config.artwork))):
            notes.extend(self._sidecar(sc, loc, side_mode, None, cache=False))
        op = self.journal.begin(kind="restore", mode=op_mode.value, role="media", array_path=dst, cache_path=src,
                                src=src, dst=dst, stamp=FileStamp.of(st), action=action_to_json(action))
        return self._with_board(op, action.title, start_restore, loc, on_progress)

    def _sidecar(self, path: str, loc: Located, mode: CacheMode, parent: int | None, *, cache: bool) -> list[str]:
        """Carry one subtitle file along (its own journaled operation); returns a note when it did not go."""
        root_from, root_to = (loc.array_root, loc.cache_root) if cache else (loc.cache_root, loc.array_root)
        other = os.path.join(root_to, path[len(root_from):].lstrip("/"))
        array_path, cache_path = (path, other) if cache else (other, path)
        try:
            sub = locate(self.config.roots, array_path, cache_path)
            st = lstat_or_none(path)
            if not is_regular(st) or st is None:
                return []
            if st.st_nlink > 1 and mode is not CacheMode.COPY:
                mode = CacheMode.COPY
            op = self.journal.begin(kind="cache" if cache else "restore", mode=mode.value, role="sidecar",
                                    array_path=array_path, cache_path=cache_path, src=path, dst=other,
                                    stamp=FileStamp.of(st), action={}, parent_id=parent)
            try:
                outcome = (start_cache if cache else start_restore)(self.ctx, op, sub, None)
            except OSError as exc:
                outcome = abandon(self.ctx, op, exc)
        except (CacherrError, OSError) as exc:
            return [f"subtitle {_shown(path)}: {exc}"]
        return [] if outcome.ok else [f"subtitle {_shown(path)}: {outcome.message}"]

    def _with_board_group(self, ops: list[OpRow], title: str, loc: Located,
                          on_progress: ProgressFn | None) -> list[Outcome]:
        board, head = self.ctx.board, ops[0]
        if board is not None:
            board.start(head.id, head.kind, head.dst_path, title, head.size)
        try:
            return run_cache_group(self.ctx, ops, loc, on_progress)
        finally:
            if board is not None:
                board.finish(head.id)

    def _with_board(self, op: OpRow, title: str, flow: Flow, loc: Located,
                    on_progress: ProgressFn | None) -> Outcome:
        board = self.ctx.board
        if board is not None:
            board.start(op.id, op.kind, op.dst_path, title, op.size)
        try:
            return flow(self.ctx, op, loc, on_progress)
        except OSError as exc:
            return abandon(self.ctx, op, exc)
        finally:
            if board is not None:
                board.finish(op.id)


def _shown(path: str) -> str:
    """A file name safe to print and store (bytes that are not UTF-8 shown as escapes)."""
    return os.path.basename(path).encode("utf-8", "backslashreplace").decode()


def build_engine(store: JournalStore, registry: EntryRegistry, config: EngineConfig, *,
                 progress: ProgressSink | None = None, faults: Faults | None = None,
                 in_use: InUseCheck | None = None) -> Engine:
    """The engine the rest of the app uses. Raises ``UnsafePath`` when a root is a union view."""
    return Engine(store, registry, config, progress=progress, faults=faults or NO_FAULTS, in_use=in_use)
