"""Real time for a movie in a collection (``CACHE_COLLECTION_NEXT``): when someone starts a movie, the next
film of its Plex collection that they have not watched is cached within seconds, as a cycle would at its next
run. Like every real-time top-up it only adds to the cache (no eviction, no give-back) within the budget."""

from __future__ import annotations

import logging

from cacherr.domain.media import Reason
from cacherr.domain.report import CycleReport, Trigger
from cacherr.services.gates import realtime_held_back
from cacherr.services.realtime_topup import top_up
from cacherr.services.runner import ActionRunner, MediaServers

log = logging.getLogger(__name__)


def cache_collection_next(runner: ActionRunner, servers: MediaServers, user: str, item_key: str, *,
                          trigger: Trigger = Trigger.REALTIME, wait: float = 0.0) -> CycleReport | None:
    """Cache the next film after movie ``item_key`` in its collection for ``user``. None when the option is
    off or there is nothing to do (an episode, no collection, the last film, already cached). Raises
    ``CycleBusy``."""
    settings = runner.settings()
    if not settings.CACHE_COLLECTION_NEXT:
        return None
    held = realtime_held_back(settings, runner.clock.now(), runner.mover_running())
    if held:
        log.info("real-time caching of the film after %s for %s held back: %s", item_key, user or "owner", held)
        return None
    server = servers.current()
    films = server.next_in_collection(item_key, user)
    if not films:
        return None
    with runner.lock.hold(trigger, wait=wait):
        for note in runner.recover_before_actions():  # the start-up step (runtime.start_up), under the lock
            log.warning("recovery: %s", note)
        return top_up(runner, server, settings, user, films, Reason.COLLECTION, trigger)
