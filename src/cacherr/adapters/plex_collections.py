"""The next film of a Plex collection (``CACHE_COLLECTION_NEXT``; duck-typed, no plexapi import).

For each user, the seeds are the movies they are watching (in progress, on deck, playing) and the ones they
have just finished (a movie Cacherr tracks that they have now watched). For a seed in a collection (its
``<Collection tag>``), the collection's films are read with the user's own token (so ``viewCount`` is theirs),
ordered by the collection's order (custom order as Plex lists it; release date and alphabetical collections by
year), and the first film after the seed that they have not watched and that has a file becomes a
``Reason.COLLECTION`` want.

Requests: once per cycle and library, the section's collections (``/library/sections/{id}/all?type=18``); one
``/library/collections/{key}/children`` per collection and user with a seed in it; the details of the films
chosen (batched). A failure is a reported problem: this is a prefetch, the rest of the snapshot goes on.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cacherr.adapters import plex_convert as cv
from cacherr.domain.media import MediaItem, MediaKind, PlaySession, Reason, Want

WATCHING = frozenset({Reason.PLAYING, Reason.IN_PROGRESS, Reason.ON_DECK})
CUSTOM_ORDER = "2"  # Plex's collectionSort: 0 release date, 1 alphabetical, 2 custom
PAGE = 500


def seeds(user: Any, wants: Sequence[Want], items: dict[str, MediaItem], sessions: Sequence[PlaySession],
          tracked: Collection[str]) -> list[MediaItem]:
    """The movies in a collection that ``user`` is watching or has just finished."""
    keys = [w.item_key for w in wants if w.user == user.name and w.reason in WATCHING]
    keys += [s.item_key for s in sessions if s.user == user.name]
    keys += [k for k in tracked if k in user.watched]
    out = []
    for key in dict.fromkeys(keys):
        item = items.get(key)
        if item is not None and item.kind is MediaKind.MOVIE and item.collections:
            out.append(item)
    return out


def in_order(children: list[ET.Element], sort: str) -> list[ET.Element]:
    """The collection's films in its order: as listed for a custom order, else by year (stable)."""
    if sort == CUSTOM_ORDER:
        return children
    return sorted(children, key=lambda el: cv.int_or_none(el.get("year")) or 9999)


def next_film(children: list[ET.Element], seed_key: str, sort: str) -> str | None:
    """The first film after ``seed_key`` that the listing's user has not watched and that has a file."""
    films = in_order(children, sort)
    keys = [str(el.get("ratingKey")) for el in films]
    if seed_key not in keys:
        return None
    for el in films[keys.index(seed_key) + 1:]:
        watched = bool(cv.int_or_none(el.get("viewCount")) or 0)
        has_file = any(p.get("file") and p.get("exists") != "0" for p in el.iter("Part"))
        if not watched and has_file:
            return str(el.get("ratingKey"))
    return None


class _Directory:
    """Library title -> {collection title: (ratingKey, collectionSort)}, read once per library per cycle."""

    def __init__(self, builder: Any, owner: Any) -> None:
        self.builder, self.owner = builder, owner
        self._lock = threading.Lock()
        self._sections: dict[str, str] | None = None
        self._by_library: dict[str, dict[str, tuple[str, str]]] = {}

    def find(self, library: str, title: str) -> tuple[str, str] | None:
        with self._lock:
            if self._sections is None:
                sections = self.builder.connector.guard("the library sections", self.owner.server.library.sections)
                self._sections = {str(cv.attr(s, "title")): str(s.key) for s in sections}
            if library not in self._by_library:
                key = self._sections.get(library)
                els = [] if key is None else self.builder.connector.raw_items(
                    self.owner.server, f"/library/sections/{key}/all?type=18", PAGE)
                self._by_library[library] = {str(el.get("title")): (str(el.get("ratingKey")),
                                                                    str(el.get("collectionSort", "0")))
                                             for el in els}
            return self._by_library[library].get(title)


def _for_user(builder: Any, directory: _Directory, user: Any, films: list[MediaItem]) -> list[Want]:
    wants: list[Want] = []
    for film in films:
        for title in film.collections:
            try:
                found = directory.find(film.library, title)
                if found is None:
                    continue
                path = f"/library/collections/{found[0]}/children"
                children = builder.connector.raw_items(user.server, path, PAGE)
            except Exception as exc:
                builder.problems.add(f"{film.display_title}: could not read the collection {title!r} for "
                                     f"{user.name} ({str(exc)[:160]}); its next film is not cached")
                continue
            nxt = next_film(children, film.key, found[1])
            if nxt is not None:
                wants.append(Want(nxt, user.name, Reason.COLLECTION, 0))
    return wants


def collection_wants(builder: Any, pool: ThreadPoolExecutor, owner: Any, users: Sequence[Any],
                     items: dict[str, MediaItem], sessions: Sequence[PlaySession], tracked: Collection[str]
                     ) -> dict[str, MediaItem]:
    """Add each user's next-film-of-a-collection wants to ``builder``; return the details of new items."""
    directory = _Directory(builder, owner)
    wants = builder.wants

    def one(user: Any) -> list[Want]:
        return _for_user(builder, directory, user, seeds(user, wants, items, sessions, tracked))

    found = [w for ws in pool.map(one, users) for w in ws]
    builder._want(*found)
    new = [k for k in dict.fromkeys(w.item_key for w in found) if k not in items]
    details: dict[str, MediaItem] = builder._details(pool, owner, new) if new else {}
    return details
