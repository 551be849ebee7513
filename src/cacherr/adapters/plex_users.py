"""Who uses the server: plex.tv's users and shared servers, home-user switching, friends' watchlist RSS.

Duck-typed over plexapi's ``MyPlexAccount`` (no plexapi import). One users call and one shared_servers
call per cycle, not one per user. A home user without a share is switched to through plex.tv once; the
switched token is kept for the process (``SWITCHED``), so later cycles cost no plex.tv request for them.

A friend's server token from shared_servers is refused by plex.tv, so a friend's watchlist comes from
the "Friends' Watchlists" RSS feed the owner enables on plex.tv (``discover.provider.plex.tv/rss/<id>``,
asked for as JSON). Each feed item names the friend who added it (``author``: their plex.tv id, uuid or
username) and carries imdb/tmdb/tvdb guids. See docs/plex.md.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DISCOVER_RSS = "https://discover.provider.plex.tv/rss/"


@dataclass(frozen=True, slots=True)
class PlexUser:
    """A home or shared user as plex.tv lists them. ``sections``: the library section keys shared with
    them on this server (None: every library, as for home users)."""

    id: str
    title: str
    username: str
    email: str
    token: str
    home: bool
    uuid: str = ""
    sections: frozenset[str] | None = None

    @property
    def aliases(self) -> frozenset[str]:
        """Every name the user may be known by in settings: id, username, title, email (lower case)."""
        return frozenset(n.lower() for n in (self.id, self.username, self.title, self.email, self.uuid) if n)


class SwitchedTokens:
    """Home users' switched tokens, by (digest of server URL + owner token, user id), for the life of the
    process."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(owner_token: str, user_id: str) -> tuple[str, str]:
        return hashlib.sha256(owner_token.encode()).hexdigest(), user_id

    def get(self, owner_token: str, user_id: str) -> str | None:
        with self._lock:
            return self._tokens.get(self._key(owner_token, user_id))

    def put(self, owner_token: str, user_id: str, token: str) -> None:
        with self._lock:
            self._tokens[self._key(owner_token, user_id)] = token

    def drop_token(self, token: str) -> None:
        with self._lock:
            for k in [k for k, v in self._tokens.items() if v == token]:
                del self._tokens[k]


SWITCHED = SwitchedTokens()


def shares_of(data: Any) -> dict[str, tuple[str, frozenset[str]]]:
    """userID -> (server token, shared section keys) from a shared_servers answer."""
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for el in data.iter("SharedServer") if data is not None else ():
        keys = frozenset(str(s.attrib.get("key") or s.attrib.get("id")) for s in el.iter("Section")
                         if s.attrib.get("shared") == "1")
        if el.attrib.get("allLibraries") == "1":
            keys = frozenset({"*"})
        out[str(el.attrib.get("userID"))] = (str(el.attrib.get("accessToken") or ""), keys)
    return out


def switch_home_user(account: Any, user_id: str, timeout: float) -> str | None:
    """POST plex.tv's home-user switch and return the user's token (no follow-up account fetch)."""
    data = account.query(f"{account.HOMEUSERS}/{user_id}/switch", account._session.post, timeout=timeout)
    token = data.attrib.get("authenticationToken") or data.attrib.get("authToken") if data is not None else None
    return str(token) if token else None


def as_user(user: Any, token: str, sections: frozenset[str] | None) -> PlexUser:
    uid = str(getattr(user, "id", "") or "")
    title = str(getattr(user, "title", "") or getattr(user, "username", "") or uid)
    return PlexUser(uid, title, str(getattr(user, "username", "") or ""), str(getattr(user, "email", "") or ""),
                    token, bool(getattr(user, "home", False)), str(getattr(user, "uuid", "") or ""),
                    None if sections is None or "*" in sections else sections)


def feed_url(setting: str) -> str:
    """The JSON address of the friends' watchlist feed from the setting (a URL or the bare id)."""
    feed_id = setting.rstrip("/").rsplit("/", 1)[-1]
    return f"{DISCOVER_RSS}{feed_id}?format=json" if feed_id else ""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of the friends' watchlist feed."""

    author: str
    title: str
    kind: str  # "movie" or "show"
    guids: tuple[str, ...]
    year: int | None = None


def read_feed(get_json: Callable[[str], Any], setting: str) -> list[FeedEntry]:
    """Every entry of the friends' watchlist feed; raises on HTTP or format errors."""
    data = get_json(feed_url(setting))
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError("the feed answered without an items list")
    out = []
    for it in items:
        if not isinstance(it, dict):
            continue
        guids = it.get("guids") or []
        kind = str(it.get("category") or it.get("type") or "").lower()
        year = it.get("year")
        out.append(FeedEntry(str(it.get("author") or ""), str(it.get("title") or "?"),
                             "show" if kind in ("show", "tv", "series") else "movie",
                             tuple(str(g) for g in guids if g), int(str(year)) if str(year or "").isdigit() else None))
    return out
