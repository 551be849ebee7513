"""The next film of a collection for one user on a play start (real time, ``CACHE_COLLECTION_NEXT``).

The cycle finds these for every user at once (``plex_collections``); a play start asks about one movie and one
user: the movie's details (its ``<Collection>`` tags and library), the library's collections
(``/library/sections/{id}/all?type=18``), and each collection's films read with the user's own token (so
``viewCount`` is theirs; another user's token comes from plex.tv, as in a cycle). The first film after the one
playing that the user has not watched and that has a file is the answer. Duck-typed: no plexapi import.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial
from typing import Any

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.plex_collections import PAGE, next_film

log = logging.getLogger(__name__)


class UserServers:
    """The server as each user sees it, kept ``TTL`` seconds: finding another user's token costs plex.tv calls
    (the users, the shares, a home-user switch), too slow to repeat on every play start."""

    TTL = 600.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, Any]] = {}

    def get(self, connector: Any, owner: Any, user: str) -> Any:
        """The server as ``user`` sees it (their view state); the owner's for the owner or an unknown user."""
        owner_name = str(cv.attr(owner, "myPlexUsername") or "owner")
        if not user or user.lower() in (owner_name.lower(), "owner"):
            return owner
        now = time.monotonic()
        with self._lock:
            hit = self._known.get(user.lower())
            if hit is not None and now - hit[0] < self.TTL:
                return hit[1]
        server = _find(connector, owner, user)
        if server is not owner:
            with self._lock:
                self._known[user.lower()] = (now, server)
        return server


def _find(connector: Any, owner: Any, user: str) -> Any:
    try:
        for entry in connector.user_tokens(owner, cv.Problems()):
            if user.lower() in {entry.title.lower(), *entry.aliases}:
                return connector.server(entry.token)
    except Exception as exc:  # noqa: BLE001  plex.tv down: the owner's view state is the best guess left
        log.info("could not read %s's token on plex.tv (%s); their collection is read as the owner's", user, exc)
    return owner


def next_in_collection_key(connector: Any, item_key: str, user: str, servers: UserServers) -> str | None:
    """The rating key of the next film ``user`` has not watched in a collection of movie ``item_key``."""
    if not str(item_key).isdigit():
        return None
    owner = connector.owner()
    found = connector.guard("a movie", lambda: connector.fetch(owner, [int(item_key)]))
    if not found or cv.attr(found[0], "type") != "movie":
        return None
    video = found[0]
    titles = [str(cv.attr(c, "tag")) for c in cv.attr(video, "collections", []) or []]
    section = cv.attr(video, "librarySectionID")
    if not titles or section is None:
        return None
    listing = connector.guard("a library's collections", lambda: connector.raw_items(
        owner, f"/library/sections/{section}/all?type=18", PAGE))
    by_title = {str(el.get("title")): (str(el.get("ratingKey")), str(el.get("collectionSort", "0")))
                for el in listing}
    server = servers.get(connector, owner, user)
    for title in titles:
        if title not in by_title:
            continue
        key, sort = by_title[title]
        children = connector.guard("a collection", partial(connector.raw_items, server,
                                                           f"/library/collections/{key}/children", PAGE))
        nxt = next_film(children, str(item_key), sort)
        if nxt is not None:
            return nxt
    return None
