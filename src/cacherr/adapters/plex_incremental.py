"""Incremental Plex reads: ask Plex each cycle only for what changed since the last read (docs/plex.md).

A full read (``SnapshotBuilder``'s requests) fetches every needed item's metadata and every user's watched
state of every tracked key: O(users x cached) requests. What it learnt is kept in ``ports.PlexCache``. The
next reads are incremental, and their requests do not depend on the number of cached entries:

- per movie or show library: the items updated since the last read (``/library/sections/{id}/all?type=1|4
  &updatedAt>>=T``) and the newest item with the item count (``sort=addedAt:desc``, one item): a count lower
  than expected means an item went away, and the metadata of every needed key is read again that cycle;
- the play history since the last read, as the owner, for every account (``/status/sessions/history/all
  ?sort=viewedAt:desc&viewedAt>=T``, as plexapi's ``history(mindate=...)`` asks), and On Deck's view counts;
- metadata (batched, as the owner) only of needed keys that are unknown or whose ``updatedAt`` changed, and
  a user's watched state only of needed keys unknown for that user.

On Deck, watchlists and sessions are read as in a full read; the episode listing of a show on a deck is
reused from ``PlexCache.show_memo`` while no episode of that show is among the changes. Every user's watched
state is merged item by item (``plex_watch_merge``) from ``PlexCache.watch_states``. A full read happens first, on
``PLEX_FULL_REFRESH_HOURS``, when the path mappings change, and after any read that failed or was partial
(``Snapshot.unread``), so an event the incremental reads cannot see (an item marked unwatched) is repaired.
"""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from cacherr.adapters import plex_convert as cv
from cacherr.adapters import plex_watch_merge as wm
from cacherr.adapters.plex_convert import int_chunks, short
from cacherr.adapters.plex_snapshot import CHECK_FILES, Connector, PlexOptions, SnapshotBuilder, UserCtx
from cacherr.domain.media import MediaItem, Snapshot
from cacherr.domain.paths import PathMapper
from cacherr.ports import KnownItem, PlexCache, PlexReadState, TraktPick

log = logging.getLogger(__name__)
MARGIN = 600  # seconds each incremental read reaches back before the last one (clock skew, slow scans)
LIST_PAGE = 2000
LIBTYPE = {"movie": 1, "show": 4}  # what a section's changes are listed as: movies, or episodes
GUID_MAP = "\0guid map"  # in the show memo: the library's guid map (not a rating key)
OWNER_ACCOUNT = "1"  # a PMS numbers its owner's account 1 in history


@dataclass(frozen=True, slots=True)
class ReadPlan:
    full: bool
    why: str
    fingerprint: str
    previous: PlexReadState


def fingerprint(mapper: PathMapper) -> str:
    """The path mappings the known items were converted with."""
    return hashlib.sha256(repr(mapper.mappings).encode()).hexdigest()[:16]


def plan_read(state: PlexReadState, now: datetime, print_: str, full_every: timedelta) -> ReadPlan:
    """Full or incremental, and why."""
    if state.last_full_at is None or state.last_read_at is None:
        why = "first read"
    elif state.needs_full:
        why = "the last read failed or was partial"
    elif state.fingerprint != print_:
        why = "the path mappings changed"
    elif now - state.last_full_at >= full_every:
        why = "scheduled full read"
    else:
        return ReadPlan(False, "", print_, state)
    return ReadPlan(True, why, print_, state)


class IncrementalSnapshotBuilder(SnapshotBuilder):
    """``SnapshotBuilder`` whose items and watched state come from ``PlexCache`` plus what changed."""

    def __init__(self, opts: PlexOptions, connector: Connector, mapper: PathMapper, now: datetime,
                 cache: PlexCache, plan: ReadPlan) -> None:
        super().__init__(opts, connector, mapper, now)
        self.cache, self.plan = cache, plan
        self.sections: dict[str, tuple[int, int]] = {}
        self.fresh: list[KnownItem] = []
        self.rows: dict[tuple[str, str], int] = {}  # (user, key) -> view count, to store
        self.forget: set[str] = set()
        self.recheck = False  # an item went away: every needed key's metadata was read again
        self.changed: dict[str, int] = {}
        self.changed_shows: set[str] | None = set()  # None: some change did not say its show
        self.shows: dict[str, Any] = {}
        self.shows_changed = False

    # --- the hooks -------------------------------------------------------------------------------
    def _start(self, owner: UserCtx) -> None:
        owner.account_id = OWNER_ACCOUNT
        self.changed = self._library_changes(owner)
        self.shows = self.cache.show_memo()
        if self.plan.full or self.recheck or self.changed_shows is None:
            self.shows.clear()
        else:
            for show in self.changed_shows:
                self.shows.pop(show, None)
        if self.changed or self.shows_changed or set(self.sections) != set(self.plan.previous.sections):
            self.shows.pop(GUID_MAP, None)

    def _deck_leaves(self, user: UserCtx, show_key: str, title: str) -> list[cv.Leaf] | None:
        """A show's episodes as an earlier On Deck read them, while nothing in the show changed: its next
        episodes do not depend on who asks (only the watchlist's first unwatched does: read per user)."""
        known = self.shows.get(show_key)
        if known is not None:
            return list(known)
        leaves = super()._deck_leaves(user, show_key, title)
        if leaves is not None:
            self.shows[show_key] = tuple(leaves)
        return leaves

    def guid_map(self, owner_server: Any) -> dict[str, tuple[str, str, str]]:
        """As an earlier read built it while no movie, show or episode changed (else read again)."""
        if self._guid_map is None and GUID_MAP in self.shows:
            self._guid_map, self._copies, self._legacy_library = self.shows[GUID_MAP]
        if self._guid_map is None:
            super().guid_map(owner_server)
            self.shows[GUID_MAP] = (self._guid_map, self._copies, self._legacy_library)
        assert self._guid_map is not None
        return self._guid_map

    def _read_items(self, pool: ThreadPoolExecutor, owner: UserCtx, users: list[UserCtx], keys: Sequence[str],
                    tracked: list[str]) -> dict[str, MediaItem]:
        changed = self.changed
        full = self.plan.full or self.recheck
        known = {} if full else self.cache.items(keys)
        gone = set() if full else self.cache.gone([k for k in keys if k not in known]) - set(changed)
        stale = [k for k in keys if k not in gone
                 and (k not in known or (k in changed and changed[k] != known[k].updated_at))]
        fetched, counts = self._details_of(pool, owner, stale)
        items: dict[str, MediaItem] = {}
        for k in keys:
            entry = fetched.get(k) or (known.get(k) if k not in stale else None)
            if entry is not None:
                items[k] = entry.item
                for note in entry.notes:
                    self.problems.add(note)
        history = {} if self.plan.full else self._history(owner)
        self._watched_state(pool, owner, users[1:], items, tracked, counts, history)
        return items

    # --- what changed in the libraries -----------------------------------------------------------
    def _library_changes(self, owner: UserCtx) -> dict[str, int]:
        """rating key -> updatedAt of the movies and episodes updated since the last read (incremental),
        and each section's count and newest item in ``sections`` (every read)."""
        changed: dict[str, int] = {}
        cut = self._cut()
        for section in self.connector.guard("the library sections", owner.server.library.sections):
            kind = cv.attr(section, "type")
            if kind not in LIBTYPE:
                continue
            skey, libtype = str(section.key), LIBTYPE[kind]
            total, newest = self._newest(owner, skey, libtype)
            self.sections[skey] = (total, newest)
            if self.plan.full:
                continue
            path = f"/library/sections/{skey}/all?type={libtype}&updatedAt>>={cut}"
            listing = partial(self.connector.raw_items, owner.server, path, LIST_PAGE)
            before = self.plan.previous.sections.get(skey)
            added = 0
            for el in self.connector.guard("the library's changes", listing):
                changed[str(el.get("ratingKey"))] = cv.int_or_none(el.get("updatedAt")) or 0
                self._show_changed(libtype, el.get("grandparentRatingKey"))
                if before is not None and (cv.int_or_none(el.get("addedAt")) or 0) > before[1]:
                    added += 1
            if before is not None and total < before[0] + added:
                self.recheck = True  # something went away: which, only the needed keys' metadata can say
            if kind == "show" and GUID_MAP in self.cache.show_memo():  # a show's own change (a new match)
                path = f"/library/sections/{skey}/all?type=2&updatedAt>>={cut}"
                listing = partial(self.connector.raw_items, owner.server, path, LIST_PAGE)
                for el in self.connector.guard("the library's changes", listing):
                    self.shows_changed = True
                    self._show_changed(LIBTYPE["show"], el.get("ratingKey"))
        missing = set(self.plan.previous.sections) - set(self.sections)
        self.recheck = self.recheck or (not self.plan.full and bool(missing))
        return changed

    def _show_changed(self, libtype: int, show: str | None) -> None:
        if libtype != LIBTYPE["show"] or self.changed_shows is None:
            return
        if show:
            self.changed_shows.add(show)
        else:
            self.changed_shows = None

    def _newest(self, owner: UserCtx, skey: str, libtype: int) -> tuple[int, int]:
        path = f"/library/sections/{skey}/all?type={libtype}&sort=addedAt%3Adesc"
        headers = {"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "1"}
        data = self.connector.guard("the library's newest item", lambda: owner.server.query(path, headers=headers))
        if data is None:
            return 0, 0
        first = next((el for el in data if el.tag in ("Video", "Directory")), None)
        total = int(data.attrib.get("totalSize") or data.attrib.get("size") or 0)
        return total, (cv.int_or_none(first.get("addedAt")) or 0) if first is not None else 0

    def _cut(self) -> int:
        last = self.plan.previous.last_read_at
        return int(last.timestamp()) - MARGIN if last is not None else 0

    def _history(self, owner: UserCtx) -> dict[str, set[str]]:
        """account id -> the rating keys that account finished since the last read (every account, as the owner)."""
        path = f"/status/sessions/history/all?sort=viewedAt%3Adesc&viewedAt>={self._cut()}"
        listing = partial(self.connector.raw_items, owner.server, path, LIST_PAGE)
        return history_keys(self.connector.guard("the play history", listing))

    # --- items -----------------------------------------------------------------------------------
    def _details_of(self, pool: ThreadPoolExecutor, owner: UserCtx, keys: Sequence[str]
                    ) -> tuple[dict[str, KnownItem], dict[str, int]]:
        """The items of ``keys`` read now (batched, as the owner) and the owner's view counts of them;
        a key Plex did not answer for (deleted, or not a movie or episode) is forgotten."""
        fetch = partial(self.connector.fetch, owner.server, params=CHECK_FILES)
        pages = pool.map(lambda chunk: self.connector.guard("item details", lambda: fetch(chunk)), int_chunks(keys))
        out: dict[str, KnownItem] = {}
        counts: dict[str, int] = {}
        for video in (v for page in pages for v in page):
            if cv.attr(video, "type") not in ("movie", "episode"):
                continue
            notes = cv.Problems()
            item = cv.to_item(video, self.mapper, notes)
            out[item.key] = KnownItem(item, _epoch(video), tuple(notes))
            counts[item.key] = int(cv.attr(video, "viewCount", 0) or 0)
        self.fresh.extend(out.values())
        self.forget.update(k for k in keys if k not in out)
        return out, counts

    # --- watched state ---------------------------------------------------------------------------
    def _watched_state(self, pool: ThreadPoolExecutor, owner: UserCtx, others: list[UserCtx],
                       items: dict[str, MediaItem], tracked: list[str], counts: dict[str, int],
                       history: dict[str, set[str]]) -> None:
        """Every user's watched state of the items (``watched_by``): stored, read now (batched) only for keys
        unknown for a user, and what the history and On Deck tell (``plex_watch_merge``)."""
        need = wm.needs([u.name for u in others], items, tracked, ((w.user, w.item_key) for w in self.wants))
        stored = {} if self.plan.full else self.cache.watch_states(items)
        missing = wm.unknown(need, stored)
        read = list(zip(others, pool.map(lambda u: self._counts_of(u, missing.get(u.name, [])), others),
                        strict=True))
        failed = {u.name for u, got in read if got is None}
        changed = {u.name: wm.changes(stored, u.name, history.get(u.account_id, set()), u.seen, got)
                   for u, got in [(owner, counts), *read] if got is not None}
        merged = wm.merge(owner.name, items, need, stored, changed, failed)
        self.rows.update(((u, k), n) for u, k, n in merged.rows)
        self.watched_by = merged.watched_by
        if self.opts.collection_next:  # plex_collections reads each user's set, and adds items after this
            self.watched_by = None
            ctx = {u.name: u for u in (owner, *others)}
            for key, users in merged.watched_by.items():
                for name in users:
                    ctx[name].watched.add(key)

    def _counts_of(self, user: UserCtx, keys: list[str]) -> dict[str, int] | None:
        """``user``'s view counts of ``keys`` (batched; a key Plex does not answer for: 0), None when the
        read failed (reported; the user counts as unread)."""
        counts: dict[str, int] = {}
        try:
            for chunk in int_chunks(keys):
                for video in self.connector.fetch(user.server, chunk):
                    counts[str(cv.attr(video, "ratingKey"))] = int(cv.attr(video, "viewCount", 0) or 0)
        except Exception as exc:  # noqa: BLE001  any failure of one user's read is a problem; the cycle goes on
            self.problems.add(f"user {user.name}: could not read their watched state ({short(exc)})")
            self.problems.unread_user(user.name, f"watched state: {short(exc)}")
            return None
        counts.update((k, 0) for k in keys if k not in counts)  # not answered: not watched (as a full read)
        return counts


def history_keys(elements: Iterable[ET.Element]) -> dict[str, set[str]]:
    """account id -> the rating keys of a history listing's ``<Video>``/``<Track>`` entries."""
    out: dict[str, set[str]] = {}
    for el in elements:
        key, account = el.get("ratingKey"), el.get("accountID")
        if key and account and el.get("type") in ("movie", "episode"):
            out.setdefault(account, set()).add(key)
    return out


def _epoch(video: Any) -> int:
    """Plex's updatedAt of a plexapi object (plexapi turns it into a naive local datetime)."""
    value = cv.attr(video, "updatedAt")
    return int(value.timestamp()) if isinstance(value, datetime) else 0


class IncrementalReader:
    """Runs one snapshot, full or incremental, and records it in the ``PlexCache``."""

    def __init__(self, cache: PlexCache, full_every: timedelta, count: Callable[[], int]) -> None:
        self.cache, self.full_every, self.count = cache, full_every, count

    def snapshot(self, opts: PlexOptions, connector: Connector, mapper: PathMapper, now: datetime,
                 tracked: Sequence[str], trakt: Sequence[TraktPick]) -> Snapshot:
        state = self.cache.read_state()
        plan = plan_read(state, now, fingerprint(mapper), self.full_every)
        builder = IncrementalSnapshotBuilder(opts, connector, mapper, now, self.cache, plan)
        started = self.count()
        try:
            snap = builder.build(tracked, trakt)
            kind = "full" if plan.full else ("incremental, metadata re-read" if builder.recheck else "incremental")
            requests = self.count() - started
            self.cache.save(builder.fresh, [(u, k, n) for (u, k), n in builder.rows.items()],
                            forget=builder.forget, replace=plan.full)
            self.cache.record_read(PlexReadState(
                last_full_at=now if plan.full else state.last_full_at, last_read_at=now, last_kind=kind,
                last_requests=requests, needs_full=not snap.complete, fingerprint=plan.fingerprint,
                sections=builder.sections))
        except BaseException:
            self.cache.mark_needs_full()
            raise
        note = f"Plex read: {kind}{f' ({plan.why})' if plan.why else ''}, {requests} requests"
        log.info("plex: %s", note)
        return replace(snap, read_note=note)
