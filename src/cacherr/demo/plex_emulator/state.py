"""Per-user view state: mutations (watch, progress, sessions) and the On Deck a real PMS derives.

These are the functions the demo and cycle tests call to make "time pass"::

    mark_watched(world, "alice", show.episode(1, 1))
    set_progress(world, "bob", movie, 600_000)
    start_session(world, "bob", movie, player="Living Room TV")

``World`` exposes the same calls as methods (``world.mark_watched(...)``).
"""

from __future__ import annotations

import threading
from typing import Protocol

from cacherr.demo.plex_emulator.entities import (
    AnyItem,
    Episode,
    HistoryEntry,
    Movie,
    Playable,
    PlaySession,
    Season,
    Show,
    User,
    ViewState,
)


class World(Protocol):
    """What these functions use of ``model.World`` (typed here, so that state and model do not import each other)."""

    lock: threading.RLock
    items: dict[int, AnyItem]
    views: dict[int, dict[int, ViewState]]
    sessions: list[PlaySession]
    history: list[HistoryEntry]

    def next_id(self) -> int: ...

    def now(self) -> int: ...

    def user(self, who: User | str | int) -> User: ...

    def item(self, key: int | str | AnyItem) -> AnyItem: ...

    def state(self, user: User, rating_key: int) -> ViewState: ...


def _leaves(item: AnyItem) -> list[Playable]:
    if isinstance(item, Show):
        return list(item.episodes())
    if isinstance(item, Season):
        return list(item.episodes)
    return [item]


def mark_watched(world: World, who: User | str, what: AnyItem | int, *, at: int | None = None) -> None:
    """Scrobble an item for a user (a show or season: every episode). Adds a history entry."""
    with world.lock:
        user = world.user(who)
        when = world.now() if at is None else at
        for leaf in _leaves(world.item(what)):
            vs = world.views[user.id].setdefault(leaf.rating_key, ViewState())
            vs.view_count += 1
            vs.view_offset = 0
            vs.last_viewed_at = when
            world.history.append(HistoryEntry(world.next_id(), user, leaf, when))


def mark_unwatched(world: World, who: User | str, what: AnyItem | int) -> None:
    with world.lock:
        user = world.user(who)
        for leaf in _leaves(world.item(what)):
            world.views[user.id].pop(leaf.rating_key, None)


def set_progress(world: World, who: User | str, what: Playable | int, offset_ms: int, *,
                 at: int | None = None) -> None:
    """The user stopped ``offset_ms`` into the item (it becomes "in progress" on their On Deck)."""
    with world.lock:
        user = world.user(who)
        item = world.item(what)
        if not isinstance(item, Movie | Episode):
            raise TypeError("progress applies to movies and episodes")
        vs = world.views[user.id].setdefault(item.rating_key, ViewState())
        vs.view_offset = max(0, offset_ms)
        vs.last_viewed_at = world.now() if at is None else at


def start_session(world: World, who: User | str, what: Playable | int, *, player: str = "Chrome",
                  state: str = "playing", offset_ms: int = 0, live: bool = False,
                  transcode: bool = False) -> PlaySession:
    """Someone starts playing; shows up in /status/sessions until ``stop_session``. ``live``: as a Live
    TV session (no user, no file); ``transcode``: the Part carries no file, as in a transcode."""
    with world.lock:
        item = world.item(what)
        if not isinstance(item, Movie | Episode):
            raise TypeError("only movies and episodes can be played")
        session = PlaySession(world.next_id(), world.user(who), item, player, state, offset_ms, live, transcode)
        world.sessions.append(session)
        return session


def stop_session(world: World, session: PlaySession | None = None, *, who: User | str | None = None) -> None:
    """End one session, or every session of a user, or (no argument) all sessions."""
    with world.lock:
        if session is not None:
            world.sessions = [s for s in world.sessions if s.session_key != session.session_key]
        elif who is not None:
            user = world.user(who)
            world.sessions = [s for s in world.sessions if s.user.id != user.id]
        else:
            world.sessions = []


def is_watched(world: World, user: User, item: Playable) -> bool:
    return world.state(user, item.rating_key).view_count > 0


def _next_unwatched(world: World, user: User, show: Show, after: Episode) -> Episode | None:
    for ep in show.episodes():
        if ep.order > after.order and ep.season_index > 0 and not is_watched(world, user, ep):
            return ep
    return None


def on_deck(world: World, user: User, section_key: int | None = None) -> list[tuple[Playable, int]]:
    """(item, lastViewedAt) pairs, newest first, as a PMS derives On Deck: every movie or episode in
    progress, and for each show the user watched, the next unwatched episode after the latest one."""
    deck: list[tuple[Playable, int]] = []
    latest: dict[int, tuple[int, Episode]] = {}
    for rk, vs in world.views.get(user.id, {}).items():
        item = world.items.get(rk)
        if vs.last_viewed_at is None or item is None:
            continue
        if isinstance(item, Movie):
            if vs.view_offset > 0:
                deck.append((item, vs.last_viewed_at))
        elif isinstance(item, Episode) and item.show is not None:
            prev = latest.get(item.show.rating_key)
            if prev is None or (vs.last_viewed_at, item.order) > (prev[0], prev[1].order):
                latest[item.show.rating_key] = (vs.last_viewed_at, item)
    for when, ep in latest.values():
        assert ep.show is not None
        current = ep if world.state(user, ep.rating_key).view_offset > 0 else _next_unwatched(world, user, ep.show, ep)
        if current is not None:
            deck.append((current, when))
    if section_key is not None:
        deck = [(i, w) for i, w in deck if i.section.key == section_key]
    return sorted(deck, key=lambda p: (-p[1], p[0].rating_key))


def viewed_leaf_count(world: World, user: User, item: Show | Season) -> int:
    views = world.views.get(user.id, {})
    leaves = item.episodes() if isinstance(item, Show) else item.episodes
    return sum(1 for e in leaves if e.rating_key in views and views[e.rating_key].view_count > 0)
