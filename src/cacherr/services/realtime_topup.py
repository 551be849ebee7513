"""What every real-time top-up shares (the next episodes, the next film of a collection): the registry
reconciled with the disk for the files at stake, and the plan run as one real-time operation."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cacherr.domain.cache import CacheEntry, CacheMode
from cacherr.domain.media import MediaItem, Reason, Snapshot, Want
from cacherr.domain.paths import PathMapper
from cacherr.domain.report import CycleReport, Trigger
from cacherr.planning import build_plan
from cacherr.planning.library_rules import apply_rules
from cacherr.ports import MediaServer
from cacherr.services.cache_scan import cache_state, moved_back
from cacherr.services.runner import ActionRunner
from cacherr.settings import Settings

log = logging.getLogger(__name__)


def reconciled(runner: ActionRunner, items: Sequence[MediaItem]) -> list[CacheEntry]:
    """The registry, after checking the disk for the files at stake: a row whose cache copy is gone while
    the array holds the file (cache drive replaced or wiped, a file deleted by hand) is dropped, so the
    file is cached again instead of skipped as "already cached". Only these items' files are checked."""
    entries = runner.registry.entries()
    wanted = {f.cache_path for i in items for f in i.files}
    for e in moved_back([e for e in entries if e.cache_path in wanted], runner.disk):
        log.info("%s is in the registry but not on the cache; caching it again", e.cache_path)
        runner.registry.remove(e.cache_path)
        entries = [x for x in entries if x.cache_path != e.cache_path]
    return entries


def top_up(runner: ActionRunner, server: MediaServer, settings: Settings, user: str,
           items: Sequence[MediaItem], reason: Reason, trigger: Trigger) -> CycleReport | None:
    """Cache ``items`` (wanted by ``user`` for ``reason``, in this order) without evicting or giving back
    anything. The caller holds the cycle lock. None when there is nothing to do."""
    entries = reconciled(runner, items)
    cached = {e.cache_path for e in entries}
    if not any(f.cache_path not in cached for i in items for f in i.files):
        return None
    now = runner.clock.now()
    wants = tuple(Want(i.key, user, reason, rank) for rank, i in enumerate(items))
    state = cache_state(runner.disk, PathMapper(settings.path_mappings()), entries)
    policy = runner.policy(settings, state.total_bytes, give_back=False)
    # A move (or symlink swap) must not pull a file from under someone playing it right now: the
    # planner skips those when it knows the sessions (a copy leaves the array file in place).
    sessions = server.sessions() if policy.mode is not CacheMode.COPY else ()
    snapshot = apply_rules(Snapshot(now, (user,), {i.key: i for i in items}, wants, sessions=sessions),
                           settings.library_rules(), settings.NUMBER_EPISODES, settings.EPISODES_AHEAD_MINUTES)
    plan = build_plan(snapshot, state, policy, now)
    if not plan.actions and not plan.skips:
        return None
    return runner.run_actions(trigger, plan, entries, settings)
