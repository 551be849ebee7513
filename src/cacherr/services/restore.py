"""Giving media back on request: one entry, one path, or the whole cache (``cacherr restore --all``).

Each is a hand-made plan of RESTORE actions, journaled by the engine and recorded like a cycle. A file
being played right now is skipped with its reason (when Plex can be asked); run again after playback.
"""

from __future__ import annotations

from collections.abc import Sequence

from cacherr.domain.cache import Action, ActionKind, CacheEntry, Plan, Skip
from cacherr.domain.errors import CacherrError, PlexUnavailable
from cacherr.domain.paths import PathMapper, normalise
from cacherr.domain.report import CycleReport
from cacherr.services.host import CycleHost


class EntryNotFound(CacherrError):
    """No cached file with that id or path is known to Cacherr."""


def _playing(service: CycleHost) -> tuple[dict[str, set[str]], list[str]]:
    """Item key -> users playing it; problems (Plex unreachable)."""
    try:
        sessions = service.sessions()
    except PlexUnavailable as exc:
        return {}, [f"Plex could not be asked who is playing ({exc}); restoring anyway"]
    out: dict[str, set[str]] = {}
    for s in sessions:
        out.setdefault(s.item_key, set()).add(s.user)
    return out, []


def restore_plan(service: CycleHost, entries: Sequence[CacheEntry], why: str) -> tuple[Plan, list[str]]:
    playing, problems = _playing(service)
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
    used = sum(e.size for e in service.registry.entries())
    freed = sum(a.size for a in actions)
    plan = Plan(service.clock.now(), tuple(actions), tuple(skips), 0, used, used - freed)
    return plan, problems


def restore_entries(service: CycleHost, trigger: str, entries: Sequence[CacheEntry], why: str) -> CycleReport:
    with service.lock.hold(trigger):
        recovered = service.recover_before_actions()  # the start-up step (runtime.start_up), under the lock
        if recovered:
            current = {e.cache_path: e for e in service.registry.entries()}
            entries = [current[e.cache_path] for e in entries if e.cache_path in current]
        return _give_back(service, trigger, entries, why, recovered)


def _give_back(service: CycleHost, trigger: str, entries: Sequence[CacheEntry], why: str,
               recovered: Sequence[str]) -> CycleReport:
    """The caller holds the lock and has recovered first."""
    settings = service.current_settings()
    plan, problems = restore_plan(service, entries, why)
    notes = [f"recovered {len(recovered)} interrupted file operation(s) first"] if recovered else []
    return service.run_actions(trigger, plan, entries, settings, [*notes, *problems])


def restore_item(service: CycleHost, entry_id: int, *, keep_off: bool = False) -> CycleReport:
    """Give one entry back; ``keep_off``: every file of its item, and keep the item off the cache (recorded
    before the restore, so a cycle starting meanwhile does not copy it back)."""
    entry = service.registry.get(entry_id)
    if entry is None:
        raise EntryNotFound(f"no cached file with id {entry_id}")
    if not keep_off:
        return restore_entries(service, "restore", [entry], "given back on request")
    service.keep_off([entry])
    same = [e for e in service.registry.entries() if entry.item_key and e.item_key == entry.item_key] or [entry]
    return restore_entries(service, "restore", same, "given back on request, and kept off the cache")


def restore_path(service: CycleHost, path: str) -> CycleReport:
    """Give back the cached file at ``path`` (its cache or array path, inside the configured roots)."""
    mapper = PathMapper(service.current_settings().path_mappings())
    wanted = mapper.check_inside_roots(path)
    found = [e for e in service.registry.entries() if wanted in (normalise(e.cache_path), normalise(e.array_path))]
    if not found:
        raise EntryNotFound(f"{path} is not a file Cacherr holds on the cache (see `cacherr plan` or the dashboard)")
    return restore_entries(service, "restore", found, "given back on request")


def restore_all(service: CycleHost) -> CycleReport:
    with service.lock.hold("restore-all"):  # recovery may add entries (a copy finished), so read them after it
        recovered = service.recover_before_actions()
        return _give_back(service, "restore-all", service.registry.entries(),
                          "restore --all: giving the whole cache back", recovered)


def pin(service: CycleHost, entry_id: int, pinned: bool) -> CacheEntry:
    entry = service.registry.get(entry_id)
    if entry is None:
        raise EntryNotFound(f"no cached file with id {entry_id}")
    service.registry.set_pinned(entry_id, pinned)
    return service.registry.get(entry_id) or entry
