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
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.plex_convert import int_chunks as _chunks
from cacherr.adapters.plex_convert import short as _short
from cacherr.adapters.plex_guids import canonical_all
from cacherr.adapters.plex_lists import WatchEntry, from_feed, from_plex, with_retry
from cacherr.adapters.plex_sessions import sessions_of
from cacherr.adapters.plex_snapshot_types import Connector as Connector  # re-exported: importers predate the split
from cacherr.adapters.plex_snapshot_types import PlexOptions as PlexOptions
from cacherr.adapters.plex_snapshot_types import UserCtx as UserCtx
from cacherr.adapters.plex_users import FeedEntry, PlexUser, read_feed
from cacherr.domain.media import MediaItem, PlaySession, Reason, Snapshot, Want
from cacherr.domain.paths import PathMapper
from cacherr.ports import TraktPick

log = logging.getLogger(__name__)
BATCH = 100
LEAVES_PAGE = 500
DECK_PAGE = 500
GUID_PAGE = 2000
CHECK_FILES = {"checkFiles": 1}  # Plex sends Part@exists/accessible only when asked
LEGACY_PREFIX = "com.plexapp.agents."
EXTERNAL = ("imdb://", "tmdb://", "tvdb://")


class SnapshotBuilder:
    """One snapshot's worth of state; ``build()`` runs it."""

    def __init__(self, opts: PlexOptions, connector: Connector, mapper: PathMapper, now: datetime) -> None:
        self.opts, self.connector, self.mapper, self.now = opts, connector, mapper, now
        self.problems = cv.Problems()
        self.wants: list[Want] = []
        self.not_in_library: list[str] = []
        self._lock = threading.Lock()
        self._guid_map: dict[str, tuple[str, str, str]] | None = None  # guid -> (key, kind, section key)
        self._feed: list[FeedEntry] | None = None
        self._feed_lock = threading.Lock()
        self._feed_error = ""
        self._legacy_library = False
        self._copies: dict[str, set[str]] = {}  # movie key -> the same title in other libraries
        self.watched_by: dict[str, frozenset[str]] | None = None  # set by _read_items: users' sets not needed

    # --- the whole thing ---------------------------------------------------------------------
    def build(self, tracked_keys: Collection[str], trakt: Sequence[TraktPick]) -> Snapshot:
        owner_server = self.connector.owner()
        owner = UserCtx(str(cv.attr(owner_server, "myPlexUsername") or "owner"), "", owner_server, True)
        owner.aliases = self._owner_aliases(owner.name)
        self._start(owner)
        with ThreadPoolExecutor(max_workers=max(1, self.opts.max_workers), thread_name_prefix="plex") as pool:
            sessions_f = pool.submit(self._sessions, owner_server)
            users = [owner, *self._other_users(owner_server, pool)]
            watchlists = list(pool.map(self._deck_and_watchlist, users))
            self._resolve_lists(pool, owner, users, watchlists, trakt)
            sessions = sessions_f.result()
            keys = list(dict.fromkeys([*(w.item_key for w in self.wants), *tracked_keys,
                                       *(s.item_key for s in sessions)]))
            tracked = list(tracked_keys)
            items = self._read_items(pool, owner, users, keys, tracked)
            if self.opts.collection_next:
                from cacherr.adapters.plex_collections import collection_wants

                items.update(collection_wants(self, pool, owner, users, items, sessions, tracked))
        watched_by = self.watched_by if self.watched_by is not None else _watched_by(users)
        unread = tuple(self.problems.unread.values())
        return Snapshot(taken_at=self.now, users=tuple(u.name for u in users), items=items,
                        wants=tuple(w for w in self.wants if w.item_key in items),
                        watched_by=watched_by, sessions=sessions,
                        problems=(*self.problems, *(u.sentence for u in unread)),
                        not_in_library=tuple(dict.fromkeys(self.not_in_library)), unread=unread)

    def _start(self, owner: UserCtx) -> None:
        """Runs before any user is read (``plex_incremental`` reads what changed in the library here)."""

    def _owner_aliases(self, name: str) -> frozenset[str]:
        """The owner's names for skip lists: the server's myPlexUsername (often the email) and, when a
        skip list is set, the plex.tv account's id, username, title and email (one cached request)."""
        names = {name.lower()}
        if self.opts.skip_ondeck_users or self.opts.skip_watchlist_users:
            try:
                acc = self.connector.account(None)
                names |= {str(cv.attr(acc, a, "")).lower() for a in ("id", "username", "title", "email")}
            except Exception as exc:
                self.problems.add(f"could not read the owner's plex.tv account ({_short(exc)})")
        return frozenset(names - {""})

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
            self.problems.unread_users(_short(exc))
            return []

        def connect(entry: PlexUser) -> UserCtx | None:
            try:
                server = self.connector.server(entry.token)
            except Exception as exc:
                self.connector.forget_token(entry.token)
                self.problems.add(f"user {entry.title}: Plex refused or failed their token ({_short(exc)}); "
                                  "skipped")
                self.problems.unread_user(entry.title, f"token refused or failed: {_short(exc)}")
                return None
            return UserCtx(entry.title, entry.token, server, aliases=entry.aliases, friend=not entry.home,
                           sections=entry.sections, account_id=entry.id)

        return [u for u in pool.map(connect, found) if u is not None]

    def _skipped(self, user: UserCtx, skip: frozenset[str]) -> bool:
        names = {user.name.lower(), *user.aliases}
        return bool(names & {s.lower() for s in skip})

    # --- On Deck and next episodes -----------------------------------------------------------
    def _deck_and_watchlist(self, user: UserCtx) -> list[Any]:
        if not self._skipped(user, self.opts.skip_ondeck_users):
            self._guarded(user, "On Deck", lambda: self._on_deck(user))
        if self.opts.watchlist_toggle and not self._skipped(user, self.opts.skip_watchlist_users):
            if user.friend:
                return self._friend_watchlist(user)
            result = self._guarded(user, "watchlist", lambda: self._raw_watchlist(user))
            return list(result or [])
        return []

    def _friend_watchlist(self, user: UserCtx) -> list[WatchEntry]:
        if not self.opts.friends_rss:
            self.problems.add(f"user {user.name}: their watchlist cannot be read (plex.tv does not accept a "
                              "friend's server token); enable the Friends' Watchlists RSS feed on plex.tv and set "
                              "PLEX_FRIENDS_WATCHLIST_RSS")
            return []
        with self._feed_lock:
            if self._feed is None:
                try:
                    self._feed = read_feed(self.connector.get_json, self.opts.friends_rss)
                except Exception as exc:
                    self.problems.add(f"the friends' watchlist feed (PLEX_FRIENDS_WATCHLIST_RSS) could not be "
                                      f"read ({_short(exc)}); friends' watchlists skipped this cycle")
                    self._feed_error = _short(exc)
                    self._feed = []
        if self._feed_error:
            self.problems.unread_user(user.name, f"friends' watchlist feed: {self._feed_error}")
        return [from_feed(e) for e in self._feed if e.author and e.author.lower() in user.aliases]

    def _guarded(self, user: UserCtx, what: str, fn: Callable[[], Any]) -> Any:
        if user.is_owner and what != "watchlist":
            return self.connector.guard(f"the owner's {what}", fn)
        try:
            return fn()
        except Exception as exc:
            self.problems.add(f"user {user.name}: could not read their {what} ({_short(exc)}); skipped")
            self.problems.unread_user(user.name, f"{what}: {_short(exc)}")
            return None

    def _on_deck(self, user: UserCtx) -> None:
        """The user's On Deck, read from the XML (plexapi objects cost more than the request)."""
        cutoff = self.now - timedelta(days=self.opts.days_to_monitor)
        for el in self.connector.raw_items(user.server, "/library/onDeck?includeGuids=1", DECK_PAGE):
            kind, viewed = el.get("type"), cv.int_or_none(el.get("lastViewedAt"))
            since = datetime.fromtimestamp(viewed, UTC) if viewed is not None else None
            if kind not in ("movie", "episode") or since is None or since < cutoff:
                continue
            reason = Reason.IN_PROGRESS if (cv.int_or_none(el.get("viewOffset")) or 0) > 0 else Reason.ON_DECK
            key = str(el.get("ratingKey"))
            user.seen[key] = cv.int_or_none(el.get("viewCount")) or 0
            self._want(Want(key, user.name, reason, 0, since))
            if kind == "episode" and (self.opts.number_episodes > 0 or self.opts.episodes_minutes > 0):
                leaves = self._deck_leaves(user, str(el.get("grandparentRatingKey")),
                                           str(el.get("grandparentTitle") or ""))
                if leaves is None:
                    continue
                nxt = cv.next_after(leaves, cv.leaf_of(el).order, self.opts.number_episodes,
                                    self.opts.episodes_minutes)
                self._want(*(Want(e.key, user.name, Reason.NEXT_EPISODE, i, since)
                             for i, e in enumerate(nxt)))

    def _deck_leaves(self, user: UserCtx, show_key: str, title: str) -> list[cv.Leaf] | None:
        """The episodes of a show on ``user``'s deck, for its next episodes (their watched flags unused)."""
        return self._show_leaves(user, show_key, title)

    def _leaves(self, user: UserCtx, show_key: str) -> list[cv.Leaf]:
        path = f"/library/metadata/{show_key}/allLeaves"
        return [cv.leaf_of(el) for el in self.connector.raw_items(user.server, path, LEAVES_PAGE)]

    def _show_leaves(self, user: UserCtx, show_key: str, title: str = "") -> list[cv.Leaf] | None:
        """One show's episodes, isolated: a failure (after a bounded retry) is reported for that show and
        recorded as unread; the rest of the snapshot goes on. None when it could not be read."""
        try:
            return with_retry(lambda: self._leaves(user, show_key))
        except Exception as exc:
            name = title or f"show {show_key}"
            self.problems.add(f"{name}: could not read its episodes for {user.name} ({_short(exc)}); "
                              "what is cached for it stays as it is")
            self.problems.unread_show(show_key, name, _short(exc), user.name)
            return None

    # --- watchlists and Trakt ----------------------------------------------------------------
    def _raw_watchlist(self, user: UserCtx) -> list[WatchEntry]:
        account = self.connector.account(None if user.is_owner else user.token)
        return [from_plex(cv.quiet(i)) for i in account.watchlist()]

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

    def guid_map(self, owner_server: Any) -> dict[str, tuple[str, str, str]]:
        """{guid: (ratingKey, type, section key)} for every movie and show, one paged listing per section."""
        if self._guid_map is None:
            gmap: dict[str, tuple[str, str, str]] = {}
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
                        hit = gmap.setdefault(str(g), (key, kind, str(section.key)))
                        if kind == "movie" and hit[0] != key and g.startswith(EXTERNAL):
                            self._copies.setdefault(hit[0], set()).add(key)
            self._legacy_library = any(g.startswith(LEGACY_PREFIX) for g in gmap)
            self._guid_map = gmap
        return self._guid_map

    def _watchlist_jobs(self, user: UserCtx, entries: list[WatchEntry], gmap: dict[str, tuple[str, str, str]]
                        ) -> list[Callable[[], None]]:
        jobs: list[Callable[[], None]] = []
        for rank, entry in enumerate(entries):
            hit = _match(user, entry.guids, gmap)
            if hit is None and self._legacy_library and entry.source is not None:
                jobs.append(partial(self._watchlist_lookup, user, entry, rank, gmap))
                continue
            jobs.extend(self._watchlist_hit(user, entry, rank, hit))
        return jobs

    def _and_copies(self, key: str) -> list[str]:
        """``key`` and the same movie in other libraries (matched by imdb/tmdb/tvdb id): all are wanted,
        and the planner keeps the one whose version MEDIA_VERSION prefers (planning.policy)."""
        return [key, *sorted(self._copies.get(key, ()))]

    def _watchlist_hit(self, user: UserCtx, entry: WatchEntry, rank: int, hit: tuple[str, str] | None
                       ) -> list[Callable[[], None]]:
        if hit is None:
            self.not_in_library.append(f"{entry.label} [watchlist {user.name}]")
        elif hit[1] == "movie":
            wants = (Want(k, user.name, Reason.WATCHLIST, rank, entry.added) for k in self._and_copies(hit[0]))
            self._want(*wants)
        elif self.opts.watchlist_episodes > 0:
            return [partial(self._watchlist_show, user, hit[0], rank)]
        return []

    def _watchlist_lookup(self, user: UserCtx, entry: WatchEntry, rank: int,
                          gmap: dict[str, tuple[str, str, str]]) -> None:
        """A library on a legacy agent has no plex:// guids: ask plex.tv for the entry's imdb/tmdb/tvdb ids
        (one request, only for an entry not matched otherwise) and match on those."""
        try:
            entry.source.reload()
        except Exception as exc:
            self.problems.add(f"user {user.name}: could not look up {entry.title} on plex.tv ({_short(exc)})")
        hit = _match(user, from_plex(entry.source).guids, gmap)
        for job in self._watchlist_hit(user, entry, rank, hit):
            job()

    def _watchlist_show(self, user: UserCtx, show_key: str, rank: int) -> None:
        leaves = self._show_leaves(user, show_key)
        eps = cv.first_unwatched(leaves or [], self.opts.watchlist_episodes)
        self._want(*(Want(e.key, user.name, Reason.WATCHLIST, rank) for e in eps))

    def _trakt_jobs(self, owner: UserCtx, picks: Sequence[TraktPick], gmap: dict[str, tuple[str, str, str]]
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
        eps = cv.first_episodes(self._show_leaves(owner, show_key) or [], self.opts.trakt_episodes)
        self._want(*(Want(e.key, "trakt", Reason.TRAKT, rank) for e in eps))

    # --- items, watched state, sessions ------------------------------------------------------
    def _read_items(self, pool: ThreadPoolExecutor, owner: UserCtx, users: list[UserCtx], keys: Sequence[str],
                    tracked: list[str]) -> dict[str, MediaItem]:
        """Every item of ``keys`` and each user's watched state (``UserCtx.watched``): a full read here;
        ``plex_incremental`` reads only what changed."""
        items = self._details(pool, owner, keys)
        list(pool.map(lambda u: self._watched(u, [*tracked, *self._wanted_by(u.name)]), users[1:]))
        return items

    def _details(self, pool: ThreadPoolExecutor, owner: UserCtx, keys: Sequence[str]) -> dict[str, MediaItem]:
        items: dict[str, MediaItem] = {}
        fetch = partial(self.connector.fetch, owner.server, params=CHECK_FILES)
        pages = pool.map(lambda chunk: self.connector.guard("item details", lambda: fetch(chunk)), _chunks(keys))
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
            self.problems.unread_user(user.name, f"watched state: {_short(exc)}")

    def _sessions(self, owner_server: Any) -> tuple[PlaySession, ...]:
        result: tuple[PlaySession, ...] = self.connector.guard("the active sessions",
                                                               lambda: sessions_of(owner_server, self.problems))
        return result


def _watched_by(users: Iterable[UserCtx]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for u in users:
        for k in u.watched:
            out.setdefault(k, set()).add(u.name)
    return {k: frozenset(v) for k, v in out.items()}


def _shared(user: UserCtx, section_key: str) -> bool:
    """A friend's wants match only libraries shared with them."""
    return user.sections is None or section_key in user.sections


def _match(user: UserCtx, guids: Iterable[str], gmap: dict[str, tuple[str, str, str]]) -> tuple[str, str] | None:
    """(ratingKey, kind) of the first guid in the library (a library shared with ``user``)."""
    hit = next((gmap[g] for g in guids if g in gmap and _shared(user, gmap[g][2])), None)
    return None if hit is None else (hit[0], hit[1])

