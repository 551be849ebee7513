"""Real time for the item being played: after ``REALTIME_PLAYING_MOVIE_SECONDS`` (a movie) or
``REALTIME_PLAYING_EPISODE_SECONDS`` (an episode) of playback, copy the playing file itself to the cache, so a
pause, a resume tomorrow or the next person watching it reads the cache and the array disk can sleep.

Always a copy while it plays (the array file stays where Plex is reading it, so the stream is never disturbed:
the player keeps its open file), never an eviction, within the budget like every real-time top-up.
"""

from __future__ import annotations

import logging

from cacherr.domain.cache import CacheState
from cacherr.domain.media import MediaItem, MediaKind, PlaySession, Reason, Snapshot, Want
from cacherr.domain.report import CycleReport, Trigger
from cacherr.planning import build_plan
from cacherr.services.gates import realtime_held_back
from cacherr.services.runner import ActionRunner, MediaServers
from cacherr.settings import Settings

log = logging.getLogger(__name__)


def playing_delay(settings: Settings, kind: MediaKind) -> int:
    """Seconds of playback before the playing item is cached (0: off for that kind)."""
    if kind is MediaKind.MOVIE:
        return settings.REALTIME_PLAYING_MOVIE_SECONDS
    return settings.REALTIME_PLAYING_EPISODE_SECONDS


def playing_enabled(settings: Settings) -> bool:
    return settings.REALTIME_PLAYING_MOVIE_SECONDS > 0 or settings.REALTIME_PLAYING_EPISODE_SECONDS > 0


def cache_playing(runner: ActionRunner, servers: MediaServers, session: PlaySession, played_seconds: float, *,
                  trigger: Trigger = Trigger.REALTIME, wait: float = 0.0) -> tuple[bool, CycleReport | None]:
    """Copy the file ``session`` plays once it has played long enough. Returns (settled, report): settled is
    False while it has not played long enough yet (ask again later). Raises ``CycleBusy``."""
    settings = runner.settings()
    if not playing_enabled(settings) or not session.plex_path:
        return True, None
    held = realtime_held_back(settings, runner.clock.now(), runner.mover_running())
    if held:
        log.info("caching what %s plays held back: %s", session.user or "owner", held)
        return False, None
    server = servers.current()
    item = server.items_for_paths([session.plex_path]).get(session.plex_path)
    if item is None or item.kind not in (MediaKind.MOVIE, MediaKind.EPISODE):
        return True, None
    delay = playing_delay(settings, item.kind)
    if delay <= 0:
        return True, None
    if played_seconds < delay:
        return False, None
    with runner.lock.hold(trigger, wait=wait):
        for note in runner.recover_before_actions():  # the start-up step (runtime.start_up), under the lock
            log.warning("recovery: %s", note)
        return True, _copy_item(runner, settings, session, item, trigger)


def _copy_item(runner: ActionRunner, settings: Settings, session: PlaySession, item: MediaItem,
               trigger: Trigger) -> CycleReport | None:
    entries = runner.registry.entries()
    cached = {e.cache_path for e in entries}
    if all(f.cache_path in cached for f in item.files):
        return None
    copying = settings.model_copy(update={"COPY_TO_CACHE": True, "USE_SYMLINKS": False})
    total, free = runner.usage()
    policy = runner.policy(copying, total, give_back=False)
    now = runner.clock.now()
    wants = (Want(item.key, session.user, Reason.IN_PROGRESS, 0, now),)
    snapshot = Snapshot(now, (session.user,), {item.key: item}, wants, sessions=(session,))
    plan = build_plan(snapshot, CacheState(tuple(entries), total, free), policy, now)
    if not plan.actions and not plan.skips:
        return None
    return runner.run_actions(trigger, plan, entries, copying)
