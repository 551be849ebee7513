"""Assemble one ``Snapshot`` from Plex, user by user, concurrently (duck-typed; no plexapi import).

Request budget (see docs/plex.md): per user ``GET /`` + On Deck + one allLeaves per On Deck show
+ (watchlist) plex.tv account + discover + metadata + one allLeaves per watchlisted show + one
batched ``/library/metadata/{k1,k2,...}`` per 100 of its items (tracked keys and its own wants) for
watched state; the owner's batches (all wanted, tracked and playing items) give the items' details.
Once per cycle: plex.tv users and shared servers, the sessions, and (only with watchlists or Trakt
picks) the library's guid map, one 2,000-item page per library. Nothing walks the library item by item.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.plex_guids import canonical_all
from cacherr.domain.media import MediaItem, PlaySession, Reason, Snapshot, Want
from cacherr.domain.paths import PathMapper
from cacherr.ports import TraktPick

log = logging.getLogger(__name__)
BATCH = 100
LEAVES_PAGE = 500
GUID_PAGE = 2000
LEGACY_PREFIX = "com.plexapp.agents."
EXTERNAL = ("imdb://", "tmdb://", "tvdb://")


@dataclass(frozen=True)
class PlexOptions:
    """The settings the snapshot follows (names as in settings.py)."""

    number_episodes: int = 5
    days_to_monitor: int = 99
    users_toggle: bool = True
    skip_ondeck_users: frozenset[str] = frozenset()
    skip_watchlist_users: frozenset[str] = frozenset()
    watchlist_toggle: bool = True
    watchlist_episodes: int = 1
    trakt_episodes: int = 1
    max_workers: int = 8


class Connector(Protocol):
    def owner(self) -> Any: ...  # a PlexServer for the owner; raises PlexUnavailable

    def server(self, token: str) -> Any: ...  # a PlexServer for one user's token

    def account(self, token: str | None) -> Any: ...  # a MyPlexAccount for a token (None: the owner)

    def user_tokens(self, owner: Any, problems: cv.Problems) -> list[tuple[str, str, str]]: ...
    # (title, username, token) of every other user; users without a token are reported

    def guard(self, what: str, fn: Callable[[], Any]) -> Any: ...
    # run an owner-side request; errors become PlexUnavailable

    def raw_items(self, server: Any, path: str, page: int) -> list[ET.Element]: ...
    # the XML elements of a paged listing (no plexapi objects: 10x cheaper for big listings)

    def fetch(self, server: Any, ekey: str | list[int], **kwargs: Any) -> list[Any]: ...
    # server.fetchItems(ekey), but [] when Plex answers 404 (the item was deleted meanwhile)


@dataclass
class UserCtx:
    name: str
    token: str
    server: Any
    is_owner: bool = False
    aliases: frozenset[str] = frozenset()
    watched: set[str] = field(default_factory=set)


def _chunks(keys: Sequence[str], size: int = BATCH) -> Iterable[list[int]]:
    ints = [int(k) for k in keys if str(k).isdigit()]
    for i in range(0, len(ints), size):
        yield ints[i:i + size]


class SnapshotBuilder:
    """One snapshot's worth of state; ``build()`` runs it."""

    def __init__(self, opts: PlexOptions, connector: Connector, mapper: PathMapper, now: datetime) -> None:
        self.opts, self.connector, self.mapper, self.now = opts, connector, mapper, now
        self.problems = cv.Problems()
        self.wants: list[Want] = []
        self.not_in_library: list[str] = []
        self._lock = threading.Lock()
        self._guid_map: dict[str, tuple[str, str]] | None = None
        self._legacy_library = False
        self._copies: dict[str, set[str]] = {}  # movie key -> the same title in other libraries

    # --- the whole thing ---------------------------------------------------------------------
    def build(self, tracked_keys: Collection[str], trakt: Sequence[TraktPick]) -> Snapshot:
        owner_server = self.connector.owner()
        owner = UserCtx(str(cv.attr(owner_server, "myPlexUsername") or "owner"), "", owner_server, True)
        with ThreadPoolExecutor(max_workers=max(1, self.opts.max_workers), thread_name_prefix="plex") as pool:
            sessions_f = pool.submit(self._sessions, owner_server)
            users = [owner, *self._other_users(owner_server, pool)]
            watchlists = list(pool.map(self._deck_and_watchlist, users))
            self._resolve_lists(pool, owner, users, watchlists, trakt)
            sessions = sessions_f.result()
            keys = list(dict.fromkeys([*(w.item_key for w in self.wants), *tracked_keys,
                                       *(s.item_key for s in sessions)]))
            items = self._details(pool, owner, keys)
            tracked = list(tracked_keys)
            list(pool.map(lambda u: self._watched(u, [*tracked, *self._wanted_by(u.name)]), users[1:]))
        watched_by: dict[str, set[str]] = {}
        for u in users:
            for k in u.watched:
                watched_by.setdefault(k, set()).add(u.name)
        return Snapshot(taken_at=self.now, users=tuple(u.name for u in users), items=items,
                        wants=tuple(w for w in self.wants if w.item_key in items),
                        watched_by={k: frozenset(v) for k, v in watched_by.items()}, sessions=sessions,
                        problems=tuple(self.problems), not_in_library=tuple(dict.fromkeys(self.not_in_library)))

    def _wanted_by(self, user: str) -> list[str]:
        return list(dict.fromkeys(w.item_key for w in self.wants if w.user == user))

    def _want(self, *wants: Want) -> None:
        with self._lock:
            self.wants.extend(wants)

    # --- users -------------------------------------------------------------------------------
    def _other_users(self, owner_server: Any, pool: ThreadPoolExecutor) -> list[UserCtx]:
        if not self.opts.users_toggle:
            return []
        try:
            found = self.connector.user_tokens(owner_server, self.problems)
        except Exception as exc:  # plex.tv down: the owner's cycle goes on
            self.problems.add(f"could not list Plex users on plex.tv ({_short(exc)}); only the owner is included")
            return []

        def connect(entry: tuple[str, str, str]) -> UserCtx | None:
            title, username, token = entry
            try:
                server = self.connector.server(token)
            except Exception as exc:
                self.problems.add(f"user {title}: Plex refused or failed their token ({_short(exc)}); skipped")
                return None
            return UserCtx(title, token, server, aliases=frozenset({title.lower(), username.lower()} - {""}))

        return [u for u in pool.map(connect, found) if u is not None]

    def _skipped(self, user: UserCtx, skip: frozenset[str]) -> bool:
        names = {user.name.lower(), *user.aliases}
        return bool(names & {s.lower() for s in skip})

    # --- On Deck and next episodes -----------------------------------------------------------
    def _deck_and_watchlist(self, user: UserCtx) -> list[Any]:
        if not self._skipped(user, self.opts.skip_ondeck_users):
            self._guarded(user, "On Deck", lambda: self._on_deck(user))
        if self.opts.watchlist_toggle and not self._skipped(user, self.opts.skip_watchlist_users):
            result = self._guarded(user, "watchlist", lambda: self._raw_watchlist(user))
            return list(result or [])
        return []

    def _guarded(self, user: UserCtx, what: str, fn: Callable[[], Any]) -> Any:
        if user.is_owner and what != "watchlist":
            return self.connector.guard(f"the owner's {what}", fn)
        try:
            return fn()
        except Exception as exc:
            self.problems.add(f"user {user.name}: could not read their {what} ({_short(exc)}); skipped")
            return None

    def _on_deck(self, user: UserCtx) -> None:
        cutoff = self.now - timedelta(days=self.opts.days_to_monitor)
        for video in user.server.fetchItems("/library/onDeck?includeGuids=1"):
            cv.quiet(video)
            kind = cv.attr(video, "type")
            since = cv.timestamp(cv.attr(video, "lastViewedAt"))
            if kind not in ("movie", "episode") or since is None or since < cutoff:
                continue
            reason = Reason.IN_PROGRESS if cv.attr(video, "viewOffset", 0) > 0 else Reason.ON_DECK
            key = str(cv.attr(video, "ratingKey"))
            self._want(Want(key, user.name, reason, 0, since))
            if kind == "episode" and self.opts.number_episodes > 0:
                leaves = self._leaves(user, str(cv.attr(video, "grandparentRatingKey")))
                nxt = cv.next_after(leaves, cv.order(video), self.opts.number_episodes)
                self._want(*(Want(e.key, user.name, Reason.NEXT_EPISODE, i, since)
                             for i, e in enumerate(nxt)))

    def _leaves(self, user: UserCtx, show_key: str) -> list[cv.Leaf]:
        path = f"/library/metadata/{show_key}/allLeaves"
        return [cv.leaf_of(el) for el in self.connector.raw_items(user.server, path, LEAVES_PAGE)]

    # --- watchlists and Trakt ----------------------------------------------------------------
    def _raw_watchlist(self, user: UserCtx) -> list[Any]:
        account = self.connector.account(None if user.is_owner else user.token)
        return [cv.quiet(i) for i in account.watchlist()]

    def _resolve_lists(self, pool: ThreadPoolExecutor, owner: UserCtx, users: list[UserCtx],
                       watchlists: list[list[Any]], trakt: Sequence[TraktPick]) -> None:
        if not any(watchlists) and not trakt:
            return
        gmap = self.guid_map(owner.server)
        jobs: list[Callable[[], None]] = []
        for user, entries in zip(users, watchlists, strict=True):
            jobs.extend(self._watchlist_jobs(user, entries, gmap))
        jobs.extend(self._trakt_jobs(owner, trakt, gmap))
        list(pool.map(lambda job: job(), jobs))

    def guid_map(self, owner_server: Any) -> dict[str, tuple[str, str]]:
        """{guid: (ratingKey, type)} for every movie and show, from one paged listing per section."""
        if self._guid_map is None:
            gmap: dict[str, tuple[str, str]] = {}
            for section in self.connector.guard("the library sections", owner_server.library.sections):
                kind = cv.attr(section, "type")
                if kind not in ("movie", "show"):
                    continue
                path = f"/library/sections/{section.key}/all?includeGuids=1&type={1 if kind == 'movie' else 2}"
                listing = partial(self.connector.raw_items, owner_server, path, GUID_PAGE)
                for el in self.connector.guard("the library listing", listing):
                    guids = canonical_all([el.get("guid"), *(g.get("id") for g in el.iter("Guid"))])
                    key = str(el.get("ratingKey"))
                    for g in guids:
                        hit = gmap.setdefault(str(g), (key, kind))
                        if kind == "movie" and hit[0] != key and g.startswith(EXTERNAL):
                            self._copies.setdefault(hit[0], set()).add(key)
            self._legacy_library = any(g.startswith(LEGACY_PREFIX) for g in gmap)
            self._guid_map = gmap
        return self._guid_map

    def _watchlist_jobs(self, user: UserCtx, entries: list[Any], gmap: dict[str, tuple[str, str]]
                        ) -> list[Callable[[], None]]:
        jobs: list[Callable[[], None]] = []
        for rank, entry in enumerate(entries):
            hit = next((gmap[g] for g in cv.guids_of(entry) if g in gmap), None)
            if hit is None and self._legacy_library:
                jobs.append(partial(self._watchlist_lookup, user, entry, rank, gmap))
                continue
            jobs.extend(self._watchlist_hit(user, entry, rank, hit))
        return jobs

    def _and_copies(self, key: str) -> list[str]:
        """``key`` and the same movie in other libraries (matched by imdb/tmdb/tvdb id): all are wanted,
        and the planner keeps the one whose version MEDIA_VERSION prefers (planning.policy)."""
        return [key, *sorted(self._copies.get(key, ()))]

    def _watchlist_hit(self, user: UserCtx, entry: Any, rank: int, hit: tuple[str, str] | None
                       ) -> list[Callable[[], None]]:
        title, year = cv.attr(entry, "title", "?"), cv.attr(entry, "year")
        if hit is None:
            self.not_in_library.append(f"{title} ({year}) [watchlist {user.name}]" if year
                                       else f"{title} [watchlist {user.name}]")
        elif hit[1] == "movie":
            since = cv.timestamp(cv.attr(entry, "addedAt"))
            self._want(*(Want(k, user.name, Reason.WATCHLIST, rank, since) for k in self._and_copies(hit[0])))
        elif self.opts.watchlist_episodes > 0:
            return [partial(self._watchlist_show, user, hit[0], rank)]
        return []

    def _watchlist_lookup(self, user: UserCtx, entry: Any, rank: int, gmap: dict[str, tuple[str, str]]) -> None:
        """A library on a legacy agent has no plex:// guids: ask plex.tv for the entry's imdb/tmdb/tvdb ids
        (one request, only for an entry not matched otherwise) and match on those."""
        try:
            entry.reload()
        except Exception as exc:
            self.problems.add(f"user {user.name}: could not look up {cv.attr(entry, 'title', '?')} on plex.tv "
                              f"({_short(exc)})")
        hit = next((gmap[g] for g in cv.guids_of(entry) if g in gmap), None)
        for job in self._watchlist_hit(user, entry, rank, hit):
            job()

    def _watchlist_show(self, user: UserCtx, show_key: str, rank: int) -> None:
        def run() -> None:
            eps = cv.first_unwatched(self._leaves(user, show_key), self.opts.watchlist_episodes)
            self._want(*(Want(e.key, user.name, Reason.WATCHLIST, rank) for e in eps))

        self._guarded(user, "watchlisted show", run)

    def _trakt_jobs(self, owner: UserCtx, picks: Sequence[TraktPick], gmap: dict[str, tuple[str, str]]
                    ) -> list[Callable[[], None]]:
        jobs: list[Callable[[], None]] = []
        for pick in picks:
            ids = canonical_all([f"{name}://{value}" for name, value in pick.ids.items() if value])
            hit = next((gmap[g] for g in ids if g in gmap and gmap[g][1] == pick.kind), None)
            if hit is None:
                label = f"{pick.title} ({pick.year})" if pick.year else pick.title
                self.not_in_library.append(f"{label} [trakt {pick.list_name}]")
            elif hit[1] == "movie":
                self._want(*(Want(k, "trakt", Reason.TRAKT, pick.rank) for k in self._and_copies(hit[0])))
            elif self.opts.trakt_episodes > 0:
                jobs.append(partial(self._trakt_show, owner, hit[0], pick.rank))
        return jobs

    def _trakt_show(self, owner: UserCtx, show_key: str, rank: int) -> None:
        eps = cv.first_episodes(self._leaves(owner, show_key), self.opts.trakt_episodes)
        self._want(*(Want(e.key, "trakt", Reason.TRAKT, rank) for e in eps))

    # --- items, watched state, sessions ------------------------------------------------------
    def _details(self, pool: ThreadPoolExecutor, owner: UserCtx, keys: Sequence[str]) -> dict[str, MediaItem]:
        items: dict[str, MediaItem] = {}
        fetch = partial(self.connector.fetch, owner.server)
        pages = pool.map(lambda chunk: self.connector.guard("item details", partial(fetch, chunk)), _chunks(keys))
        for video in (v for page in pages for v in page):
            if cv.attr(video, "type") not in ("movie", "episode"):
                continue
            item = cv.to_item(video, self.mapper, self.problems)
            items[item.key] = item
            if cv.attr(video, "viewCount", 0):
                owner.watched.add(item.key)
        return items

    def _watched(self, user: UserCtx, keys: Sequence[str]) -> None:
        try:
            for chunk in _chunks(keys):
                for video in self.connector.fetch(user.server, chunk):
                    if cv.attr(video, "viewCount", 0):
                        user.watched.add(str(cv.attr(video, "ratingKey")))
        except Exception as exc:
            self.problems.add(f"user {user.name}: could not read their watched state ({_short(exc)})")

    def _sessions(self, owner_server: Any) -> tuple[PlaySession, ...]:
        result: tuple[PlaySession, ...] = self.connector.guard("the active sessions",
                                                               lambda: sessions_of(owner_server))
        return result


def sessions_of(server: Any) -> tuple[PlaySession, ...]:
    out = []
    for s in server.sessions():
        if cv.attr(s, "type") not in ("movie", "episode"):
            continue
        names = cv.attr(s, "usernames", [])
        player = cv.attr(s, "player")
        parts = cv.parts_of(s)
        out.append(PlaySession(user=str(names[0]) if names else "?", item_key=str(cv.attr(s, "ratingKey")),
                               plex_path=str(cv.attr(parts[0], "file", "")) if parts else "",
                               player=str(cv.attr(player, "title", "")) if player is not None else "",
                               state=str(cv.attr(player, "state", "playing")) if player is not None else "playing"))
    return tuple(out)


def _short(exc: BaseException) -> str:
    text = str(exc).split(";")[0].strip() or type(exc).__name__
    return text[:160]
