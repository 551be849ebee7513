"""Real time: when someone starts playing, cache what they will want next within seconds.

Two sources feed it: the session watcher in the scheduler (polling ``/status/sessions``) and the Plex
webhook (``handle_plex_webhook``; the web layer checks the secret and passes the ``payload`` JSON).
Work runs on one background worker so a webhook answers at once; a scrobble only marks the item for
giving back at the next cycle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cacherr.domain.errors import CycleBusy
from cacherr.domain.media import MediaKind, PlaySession, Reason
from cacherr.domain.report import CycleReport, Trigger
from cacherr.planning.library_rules import most_episodes, most_minutes
from cacherr.services.gates import realtime_held_back
from cacherr.services.realtime_collection import cache_collection_next
from cacherr.services.realtime_playing import cache_playing, playing_delay
from cacherr.services.realtime_topup import top_up
from cacherr.services.runner import ActionRunner, MediaServers

log = logging.getLogger(__name__)
PLAY_EVENTS = frozenset({"media.play", "media.resume"})
BUSY_WAIT_SECONDS = 300.0  # a real-time request waits this long for a running cycle to finish


def cache_next(runner: ActionRunner, servers: MediaServers, user: str, item_key: str, *,
               trigger: Trigger = Trigger.REALTIME, wait: float = 0.0) -> CycleReport | None:
    """Cache the NUMBER_EPISODES episodes after ``item_key`` for ``user``. Returns None when there is
    nothing to do (a movie, the last episode, all already cached). Raises ``CycleBusy``."""
    settings = runner.settings()
    ahead = most_episodes(settings.library_rules(), settings.NUMBER_EPISODES)
    minutes = most_minutes(settings.library_rules(), settings.EPISODES_AHEAD_MINUTES)
    if ahead <= 0 and minutes <= 0:
        return None
    held = realtime_held_back(settings, runner.clock.now(), runner.mover_running())
    if held:
        log.info("real-time caching after %s for %s held back: %s", item_key, user or "owner", held)
        return None
    with runner.lock.hold(trigger, wait=wait):
        for note in runner.recover_before_actions():  # the start-up step (runtime.start_up), under the lock
            log.warning("recovery: %s", note)
        server = servers.current()
        nexts = server.next_episodes(item_key, ahead, minutes) if minutes else server.next_episodes(item_key, ahead)
        return top_up(runner, server, settings, user, nexts, Reason.NEXT_EPISODE, trigger)


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What the webhook did: ``action`` is cache-next, marked-watched, ignored or rejected."""

    event: str
    action: str
    detail: str = ""
    future: Future[CycleReport | None] | None = None

    def as_dict(self) -> dict[str, str]:
        return {"event": self.event, "action": self.action, "detail": self.detail}


class Realtime:
    """Dispatches real-time work to one background worker, one request per (user, item) at a time."""

    def __init__(self, runner: ActionRunner, servers: MediaServers, busy_wait: float = BUSY_WAIT_SECONDS) -> None:
        self.runner = runner
        self.servers = servers
        self.busy_wait = busy_wait
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._settled: set[tuple[str, str]] = set()  # (user, item key) whose playing file needs nothing more
        self._timers: list[threading.Timer] = []

    def submit(self, user: str, item_key: str, trigger: Trigger) -> Future[CycleReport | None] | None:
        """Queue a next-episodes top-up; None when the same one is already queued."""
        key = (user, item_key)
        with self._lock:
            if key in self._pending:
                return None
            self._pending.add(key)
            if self._pool is None:  # started on first use, and again after a shutdown
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cacherr-realtime")
            return self._pool.submit(self._work, user, item_key, trigger)

    # --- the playing item itself (services.realtime_playing) ------------------------------------
    def submit_playing(self, session: PlaySession, played_seconds: float,
                       trigger: Trigger) -> Future[CycleReport | None] | None:
        """Queue caching the file ``session`` plays; None when settled already or queued."""
        key = (session.user, "playing:" + session.item_key)
        with self._lock:
            if (session.user, session.item_key) in self._settled or key in self._pending:
                return None
            self._pending.add(key)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cacherr-realtime")
            return self._pool.submit(self._work_playing, session, played_seconds, trigger)

    def forget_playing(self, current: set[tuple[str, str]]) -> None:
        """Sessions that ended: a later play of the same item is looked at again."""
        with self._lock:
            self._settled &= current

    def _work_playing(self, session: PlaySession, played: float, trigger: Trigger) -> CycleReport | None:
        try:
            settled, report = cache_playing(self.runner, self.servers, session, played, trigger=trigger,
                                            wait=self.busy_wait)
            if settled:
                with self._lock:
                    self._settled.add((session.user, session.item_key))
            return report
        except CycleBusy as exc:
            log.info("caching what %s plays skipped: %s", session.user, exc)
            return None
        except Exception:
            log.exception("caching the playing item %s for %s failed", session.item_key, session.user)
            return None
        finally:
            with self._lock:
                self._pending.discard((session.user, "playing:" + session.item_key))

    def _after_play_event(self, user: str, item_key: str, kind: str) -> bool:
        """Webhook: look again once the item has played long enough (session polling may be off).
        False when caching the playing item is off for this kind."""
        settings = self.runner.settings()
        media_kind = MediaKind.MOVIE if kind == MediaKind.MOVIE.value else MediaKind.EPISODE
        delay = playing_delay(settings, media_kind)
        if delay <= 0:
            return False

        def check() -> None:
            try:
                sessions = self.servers.sessions()
            except Exception as exc:  # noqa: BLE001  the next play event or session poll looks again
                log.debug("session check after a play event failed: %s", exc)
                return
            for s in sessions:
                if s.item_key == item_key and (not user or s.user == user) and s.state != "stopped":
                    self.submit_playing(s, float(delay), Trigger.WEBHOOK)

        timer = threading.Timer(delay + 1.0, check)
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()
        return True

    def _work(self, user: str, item_key: str, trigger: Trigger) -> CycleReport | None:
        try:
            report = cache_next(self.runner, self.servers, user, item_key, trigger=trigger, wait=self.busy_wait)
            if report is None:  # a movie has no next episodes; the next film of its collection may be wanted
                report = cache_collection_next(self.runner, self.servers, user, item_key, trigger=trigger,
                                               wait=self.busy_wait)
            return report
        except CycleBusy as exc:
            log.info("real-time caching for %s skipped: %s", user, exc)
            return None
        except Exception:
            log.exception("real-time caching of the episodes after %s for %s failed", item_key, user)
            return None
        finally:
            with self._lock:
                self._pending.discard((user, item_key))

    def handle_plex_webhook(self, payload: Mapping[str, Any]) -> WebhookResult:
        """Act on one Plex webhook payload (the parsed ``payload`` JSON part). Never raises on bad input."""
        event = str(payload.get("event") or "")
        account = payload.get("Account") if isinstance(payload.get("Account"), Mapping) else {}
        meta = payload.get("Metadata") if isinstance(payload.get("Metadata"), Mapping) else {}
        user = str(account.get("title") or "") if isinstance(account, Mapping) else ""
        key = str(meta.get("ratingKey") or "") if isinstance(meta, Mapping) else ""
        kind = str(meta.get("type") or "") if isinstance(meta, Mapping) else ""
        if not event or not key:
            return WebhookResult(event or "?", "ignored", "no event or no Metadata.ratingKey in the payload")
        if event in PLAY_EVENTS:
            if event == "media.play" and kind in (MediaKind.MOVIE.value, MediaKind.EPISODE.value):
                self.runner.note_play_start(user, key, "webhook")
            playable = kind in (MediaKind.MOVIE.value, MediaKind.EPISODE.value)
            playing = playable and self._after_play_event(user, key, kind)
            if kind == MediaKind.MOVIE.value and self.runner.settings().CACHE_COLLECTION_NEXT:
                future = self.submit(user, key, Trigger.WEBHOOK)
                also = "; the movie itself once it has played a while" if playing else ""
                return WebhookResult(event, "cache-next", f"caching the next film of the collection after {key} "
                                     f"for {user or 'owner'}{also}", future)
            if kind and kind != MediaKind.EPISODE.value:
                if playing:
                    return WebhookResult(event, "cache-playing", f"caching {key} once it has played a while")
                return WebhookResult(event, "ignored", f"a {kind} has no next episodes")
            future = self.submit(user, key, Trigger.WEBHOOK)
            return WebhookResult(event, "cache-next", f"caching the episodes after {key} for {user or 'owner'}",
                                 future)
        if event == "media.scrobble":
            self.runner.mark_scrobbled(key, user)
            return WebhookResult(event, "marked-watched", f"{key} goes back at the next cycle once every "
                                 "interested user has watched it")
        if event == "media.stop":
            return WebhookResult(event, "noted", "playback stopped; the next cycle decides what goes back")
        return WebhookResult(event, "ignored", "only media.play, media.resume, media.stop and media.scrobble act")

    def shutdown(self, wait: bool = True) -> None:
        """Stop the worker (``wait``: finish queued work first, else drop it)."""
        with self._lock:
            pool, self._pool = self._pool, None
            timers, self._timers = self._timers, []
            if not wait:
                self._pending.clear()
        for timer in timers:
            timer.cancel()
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=not wait)
