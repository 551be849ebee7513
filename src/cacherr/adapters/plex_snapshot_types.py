"""The snapshot's plain types: the options it follows, what it needs of the connection (``Connector``), and one
user's state while it runs (``UserCtx``). Split from ``plex_snapshot`` (size budget); imported from there too."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.plex_users import PlexUser


@dataclass(frozen=True)
class PlexOptions:
    """The settings the snapshot follows (names as in settings.py)."""

    number_episodes: int = 5
    episodes_minutes: int = 0  # EPISODES_AHEAD_MINUTES (the most any library asks for)
    days_to_monitor: int = 99
    users_toggle: bool = True
    skip_ondeck_users: frozenset[str] = frozenset()
    skip_watchlist_users: frozenset[str] = frozenset()
    watchlist_toggle: bool = True
    watchlist_episodes: int = 1
    trakt_episodes: int = 1
    max_workers: int = 8
    friends_rss: str = ""  # PLEX_FRIENDS_WATCHLIST_RSS
    collection_next: bool = False  # CACHE_COLLECTION_NEXT (see plex_collections)


class Connector(Protocol):
    def owner(self) -> Any: ...  # a PlexServer for the owner; raises PlexUnavailable

    def server(self, token: str) -> Any: ...  # a PlexServer for one user's token

    def account(self, token: str | None) -> Any: ...  # a MyPlexAccount for a token (None: the owner)

    def user_tokens(self, owner: Any, problems: cv.Problems) -> list[PlexUser]: ...
    # every other user with a token for this server; users without a token are reported

    def forget_token(self, token: str) -> None: ...  # a cached (switched) token was refused

    def get_json(self, url: str) -> Any: ...  # a plain JSON GET (the friends' watchlist feed)

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
    friend: bool = False  # a shared (not home) user: plex.tv refuses their server token
    sections: frozenset[str] | None = None  # library section keys shared with them (None: all)
    account_id: str = ""  # the account id Plex's history names them by (plex.tv id; the owner: 1)
    seen: dict[str, int] = field(default_factory=dict)  # view counts On Deck showed (rating key -> count)
