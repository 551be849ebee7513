"""Giving media back on request: one entry, one path, or the whole cache (``cacherr restore --all``).

Each is a hand-made plan of RESTORE actions, journaled by the engine and recorded like a cycle. A file
being played right now is skipped with its reason (when Plex can be asked); run again after playback.
``Restorer`` works with the shared ``ActionRunner`` (lock, registry, engine, history) and ``MediaServers``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cacherr.domain.cache import Action, ActionKind, CacheEntry, Plan, Skip
from cacherr.domain.errors import CacherrError, PlexUnavailable
from cacherr.domain.paths import PathMapper, normalise
from cacherr.domain.report import CycleReport, Trigger
from cacherr.services.runner import ActionRunner, MediaServers


class EntryNotFound(CacherrError):
    """No cached file with that id or path is known to Cacherr."""


class Restorer:
    """Giving cached files back to the array on request, and pinning."""

    def __init__(self, runner: ActionRunner, servers: MediaServers) -> None:
        self.runner = runner
        self.servers = servers

    def _playing(self) -> tuple[dict[str, set[str]], list[str]]:
        """Item key -> users playing it; problems (Plex unreachable)."""
        try:
            sessions = self.servers.sessions()
        except PlexUnavailable as exc:
            return {}, [f"Plex could not be asked who is playing ({exc}); restoring anyway"]
        out: dict[str, set[str]] = {}
        for s in sessions:
            out.setdefault(s.item_key, set()).add(s.user)
        return out, []

    def restore_plan(self, entries: Sequence[CacheEntry], why: str) -> tuple[Plan, list[str]]:
        playing, problems = self._playing()
        actions: list[Action] = []
        skips: list[Skip] = []
        for e in entries:
            users = playing.get(e.item_key or "")
            if users:
                skips.append(Skip(e.cache_path, e.title, f"being played by {', '.join(sorted(users))}; "
                                  "give it back after playback", e.size))
                continue
            actions.append(Action(ActionKind.RESTORE, e.array_path, e.cache_path, e.size, e.reason, why, e.item_key,
                                  e.title or e.cache_path, e.users))
        used = sum(e.size for e in self.runner.registry.entries())
        freed = sum(a.size for a in actions)
        plan = Plan(self.runner.clock.now(), tuple(actions), tuple(skips), 0, used, used - freed)
        return plan, problems

    def restore_entries(self, trigger: Trigger, entries: Sequence[CacheEntry], why: str) -> CycleReport:
        runner = self.runner
        with runner.lock.hold(trigger):
            recovered = runner.recover_before_actions()  # the start-up step (runtime.start_up), under the lock
            if recovered:
                current = {e.cache_path: e for e in runner.registry.entries()}
                entries = [current[e.cache_path] for e in entries if e.cache_path in current]
            return self._give_back(trigger, entries, why, recovered)

    def _give_back(self, trigger: Trigger, entries: Sequence[CacheEntry], why: str,
                   recovered: Sequence[str]) -> CycleReport:
        """The caller holds the lock and has recovered first."""
        settings = self.runner.settings()
        plan, problems = self.restore_plan(entries, why)
        notes = [f"recovered {len(recovered)} interrupted file operation(s) first"] if recovered else []
        return self.runner.run_actions(trigger, plan, entries, settings, [*notes, *problems])

    def restore_item(self, entry_id: int, *, keep_off: bool = False) -> CycleReport:
        """Give one entry back; ``keep_off``: every file of its item, and keep the item off the cache (recorded
        before the restore, so a cycle starting meanwhile does not copy it back)."""
        registry = self.runner.registry
        entry = registry.get(entry_id)
        if entry is None:
            raise EntryNotFound(f"no cached file with id {entry_id}")
        if not keep_off or self.runner.kept_off is None:
            return self.restore_entries(Trigger.RESTORE, [entry], "given back on request")
        self.runner.kept_off.add([entry], self.runner.clock.now())
        same = [e for e in registry.entries() if entry.item_key and e.item_key == entry.item_key] or [entry]
        return self.restore_entries(Trigger.RESTORE, same, "given back on request, and kept off the cache")

    def restore_path(self, path: str) -> CycleReport:
        """Give back the cached file at ``path`` (its cache or array path, inside the configured roots)."""
        mapper = PathMapper(self.runner.settings().path_mappings())
        wanted = mapper.check_inside_roots(path)
        found = [e for e in self.runner.registry.entries()
                 if wanted in (normalise(e.cache_path), normalise(e.array_path))]
        if not found:
            raise EntryNotFound(f"{path} is not a file Cacherr holds on the cache (see `cacherr plan` or the "
                                "dashboard)")
        return self.restore_entries(Trigger.RESTORE, found, "given back on request")

    def restore_all(self) -> CycleReport:
        # Recovery may add entries (a copy finished): read them after it.
        with self.runner.lock.hold(Trigger.RESTORE_ALL):
            recovered = self.runner.recover_before_actions()
            return self._give_back(Trigger.RESTORE_ALL, self.runner.registry.entries(),
                                   "restore --all: giving the whole cache back", recovered)

    def pin(self, entry_id: int, pinned: bool) -> CacheEntry:
        registry = self.runner.registry
        entry = registry.get(entry_id)
        if entry is None:
            raise EntryNotFound(f"no cached file with id {entry_id}")
        registry.set_pinned(entry_id, pinned)
        return registry.get(entry_id) or entry
