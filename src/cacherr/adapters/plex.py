"""The Plex adapter: ``ports.MediaServer`` over python-plexapi. The only module that imports plexapi.

Every request has a timeout and goes through a ``requests.Session`` with bounded retries (5xx and
429, honouring Retry-After up to a cap). Owner-side failures (server unreachable, owner token
refused, malformed answers) raise ``PlexUnavailable`` with one clear message before anything is
touched; a failing home or shared user is reported in ``Snapshot.problems`` and skipped.
See docs/plex.md.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plexapi
import requests
from plexapi.exceptions import BadRequest, NotFound, PlexApiException, Unauthorized
from plexapi.myplex import MyPlexAccount
from plexapi.server import PlexServer

from cacherr.adapters import plex_convert as cv
from cacherr.adapters.client_id import load_or_create_client_id
from cacherr.adapters.plex_collection_next import UserServers, next_in_collection_key
from cacherr.adapters.plex_incremental import IncrementalReader
from cacherr.adapters.plex_sessions import sessions_of
from cacherr.adapters.plex_snapshot import CHECK_FILES, PlexOptions, SnapshotBuilder
from cacherr.adapters.plex_transport import make_retry, mount_plex_tv, set_retries
from cacherr.adapters.plex_users import SWITCHED, PlexUser, as_user, shares_of, switch_home_user
from cacherr.domain.errors import PlexUnavailable
from cacherr.domain.media import MediaItem, PlaySession, Snapshot
from cacherr.domain.paths import PathMapper, is_within, path_key
from cacherr.planning.library_rules import most_episodes, most_minutes
from cacherr.ports import PlexCache, TraktPick

if TYPE_CHECKING:
    from cacherr.settings import Settings

log = logging.getLogger(__name__)
_SERVER: Any = PlexServer  # plexapi is untyped
_ACCOUNT: Any = MyPlexAccount
PRODUCT = "Cacherr"
NETWORK_ERRORS = (requests.RequestException, PlexApiException, ET.ParseError)


def identify(session: requests.Session, client_id: str) -> None:
    """Send ``X-Plex-Product: Cacherr`` and the install's fixed client identifier on every request:
    plexapi's base headers (shared by every plexapi object) and the session's own (for plain calls)."""
    headers = {"X-Plex-Product": PRODUCT, "X-Plex-Device-Name": PRODUCT}
    if client_id:
        headers["X-Plex-Client-Identifier"] = client_id
    plexapi.BASE_HEADERS.update(headers)
    session.headers.update(headers)


class PlexConnector:
    """Creates plexapi objects with the shared session and timeout, and turns owner-side errors into
    ``PlexUnavailable``."""

    def __init__(self, url: str, token: str, session: requests.Session, timeout: float) -> None:
        self.url, self._token, self.session, self.timeout = url, token, session, timeout
        self._owner_account: Any = None

    def guard(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Unauthorized:
            raise PlexUnavailable(f"Plex at {self.url} refused the owner token while reading {what}: "
                                  "check PLEX_TOKEN (it must be the server owner's X-Plex-Token)") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise PlexUnavailable(f"Plex is unreachable at {self.url} while reading {what} "
                                  f"({type(exc).__name__}); check PLEX_URL and that the server runs") from None
        except ET.ParseError:
            raise PlexUnavailable(f"Plex at {self.url} sent malformed XML for {what}; try again later") from None
        except (BadRequest, NotFound, requests.RequestException, PlexApiException) as exc:
            raise PlexUnavailable(f"Plex at {self.url} failed while reading {what}: "
                                  f"{str(exc).split(';')[0]}") from None

    def owner(self) -> Any:
        if not self._token:
            raise PlexUnavailable("PLEX_TOKEN is not set: Cacherr needs the server owner's X-Plex-Token")
        return self.guard("the server identity", lambda: self.server(self._token))

    def raw_items(self, server: Any, path: str, page: int) -> list[ET.Element]:
        """Every item element of a paged listing, read with plexapi's ``query`` (Start/Size headers);
        [] when Plex answers 404."""
        out: list[ET.Element] = []
        start = 0
        while True:
            try:
                data = server.query(path, headers={"X-Plex-Container-Start": str(start),
                                                   "X-Plex-Container-Size": str(page)})
            except NotFound:  # deleted meanwhile
                return out
            chunk = [el for el in (data if data is not None else []) if el.tag in ("Video", "Directory")]
            out.extend(chunk)
            start += len(chunk)
            total = int(data.attrib.get("totalSize") or data.attrib.get("size") or 0) if data is not None else 0
            if not chunk or start >= total:
                return out

    def fetch(self, server: Any, ekey: str | list[int], **kwargs: Any) -> list[Any]:
        try:
            return list(server.fetchItems(ekey, **kwargs))
        except NotFound:
            return []

    def ping(self) -> bool:
        try:
            self.server(self._token)
        except NETWORK_ERRORS:
            return False
        return True

    def server(self, token: str) -> Any:
        if not token:
            raise Unauthorized("no token")
        return _SERVER(self.url, token, session=self.session, timeout=self.timeout)

    def account(self, token: str | None) -> Any:
        if token is None:
            if self._owner_account is None:
                self._owner_account = _ACCOUNT(token=self._token, session=self.session, timeout=self.timeout)
            return self._owner_account
        return _ACCOUNT(token=token, session=self.session, timeout=self.timeout)

    def user_tokens(self, owner: Any, problems: cv.Problems) -> list[PlexUser]:
        """Every home and shared user with their server token: one users call and one shared_servers
        call, not one per user. A home user without a share is switched to through plex.tv (once per
        process: the switched token is cached)."""
        account: Any = self.account(None)
        users = account.users()
        shares = shares_of(account.query(account.FRIENDINVITE.format(machineId=owner.machineIdentifier)))
        out = []
        for user in users:
            token, sections = shares.get(str(user.id), ("", None))
            if not token and user.home:
                token = self._switch_home(account, user, problems) or ""
                sections = None
            entry = as_user(user, token, sections)
            if not token:
                if not user.home:
                    problems.add(f"user {entry.title}: no access token for this server on plex.tv (not shared "
                                 "with it?); skipped")
                continue
            out.append(entry)
        return out

    def _switch_home(self, account: Any, user: Any, problems: cv.Problems) -> str | None:
        uid = str(user.id)
        cached = SWITCHED.get(f"{self.url} {self._token}", uid)
        if cached:
            return cached
        title = str(user.title or user.username or user.id)
        try:
            token = switch_home_user(account, uid, self.timeout)
        except NETWORK_ERRORS as exc:
            problems.add(f"user {title}: could not switch to this home user on plex.tv "
                         f"({str(exc).split(';')[0]}; a PIN-protected user cannot be read); skipped")
            problems.unread_user(title, "plex.tv refused the home-user switch")
            return None
        if token:
            SWITCHED.put(f"{self.url} {self._token}", uid, token)
        return token

    def forget_token(self, token: str) -> None:
        """A switched token the server refused: switch again next time."""
        SWITCHED.drop_token(token)

    def get_json(self, url: str) -> Any:
        response = self.session.get(url, headers={"Accept": "application/json"},
                                    timeout=self.timeout)
        response.raise_for_status()
        return response.json()


class RequestCounter:
    """Counts the HTTP answers a ``requests.Session`` receives (a response hook): a cycle's Plex requests."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    @classmethod
    def on(cls, session: requests.Session) -> RequestCounter:
        """The session's counter (one per session, however many adapters are built on it)."""
        counter = getattr(session, "cacherr_requests", None)
        if not isinstance(counter, cls):
            counter = cls()
            session.hooks.setdefault("response", []).append(counter._hook)
            session.cacherr_requests = counter  # type: ignore[attr-defined]
        return counter

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002  requests' hook signature
        with self._lock:
            self._n += 1

    def value(self) -> int:
        with self._lock:
            return self._n


class PlexMediaServer:
    """``ports.MediaServer`` for a Plex Media Server (and plex.tv for users and watchlists).

    ``session``: a ``requests.Session`` to use (tests mount the emulator's transport adapter on it);
    retries are set on every adapter mounted on it. ``plex_tv_url``: send plex.tv calls there
    (``PLEX_TV_URL``, the demo's emulator). ``clock``: returns an aware "now" (tests). ``cache``: what
    earlier cycles read (``PlexCache``): snapshots are then incremental, with a full read every
    ``full_refresh_hours`` (``plex_incremental``); without it every snapshot is a full read.
    """

    def __init__(self, *, url: str, token: str, mapper: PathMapper, timeout: float = 15.0,
                 options: PlexOptions | None = None, session: requests.Session | None = None,
                 plex_tv_url: str = "", retries: int = 3, max_retry_after: float = 5.0,
                 clock: Callable[[], datetime] | None = None, client_id: str = "",
                 cache: PlexCache | None = None, full_refresh_hours: float = 24.0) -> None:
        self.url = url.rstrip("/")
        self.mapper = mapper
        self.options = options or PlexOptions()
        self.session = session or requests.Session()
        if plex_tv_url:
            mount_plex_tv(self.session, plex_tv_url)
        set_retries(self.session, make_retry(retries, max_retry_after=max_retry_after))
        identify(self.session, client_id)
        self._connector = PlexConnector(self.url, token, self.session, timeout)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._user_servers = UserServers()  # real time's next film of a collection (plex_collection_next)
        self.requests = RequestCounter.on(self.session)
        self._reader = None if cache is None else IncrementalReader(cache, timedelta(hours=full_refresh_hours),
                                                                    self.requests.value)

    @classmethod
    def from_settings(cls, settings: Settings, mapper: PathMapper, session: requests.Session | None = None,
                      config_dir: Path | None = None, **kwargs: Any) -> PlexMediaServer:
        """``config_dir``: where the install's client identifier is kept (``client_id.py``)."""
        s = settings
        if config_dir is not None:
            kwargs.setdefault("client_id", load_or_create_client_id(config_dir))
        kwargs.setdefault("full_refresh_hours", s.PLEX_FULL_REFRESH_HOURS)
        options = PlexOptions(
            number_episodes=most_episodes(s.library_rules(), s.NUMBER_EPISODES),
            episodes_minutes=most_minutes(s.library_rules(), s.EPISODES_AHEAD_MINUTES),
            days_to_monitor=s.DAYS_TO_MONITOR, users_toggle=s.USERS_TOGGLE,
            skip_ondeck_users=frozenset(s.SKIP_ONDECK_USERS), skip_watchlist_users=frozenset(s.SKIP_WATCHLIST_USERS),
            watchlist_toggle=s.WATCHLIST_TOGGLE, watchlist_episodes=s.WATCHLIST_EPISODES,
            trakt_episodes=s.TRAKT_EPISODES, friends_rss=s.PLEX_FRIENDS_WATCHLIST_RSS,
            collection_next=s.CACHE_COLLECTION_NEXT)
        return cls(url=s.PLEX_URL, token=s.secret("PLEX_TOKEN"), mapper=mapper, timeout=s.PLEX_TIMEOUT,
                   options=options, session=session, plex_tv_url=s.PLEX_TV_URL, **kwargs)

    # --- MediaServer -------------------------------------------------------------------------
    def snapshot(self, tracked_keys: Collection[str] = (), trakt: Sequence[TraktPick] = ()) -> Snapshot:
        """See ``ports.MediaServer.snapshot``; ``trakt`` picks are matched to the library by guid."""
        if self._reader is not None:
            snap = self._reader.snapshot(self.options, self._connector, self.mapper, self._clock(),
                                         tuple(tracked_keys), tuple(trakt))
        else:
            snap = SnapshotBuilder(self.options, self._connector, self.mapper, self._clock()).build(
                tuple(tracked_keys), tuple(trakt))
        for note in snap.problems:
            log.warning("plex: %s", note)
        return snap

    def sessions(self) -> tuple[PlaySession, ...]:
        owner = self._connector.owner()
        problems = cv.Problems()
        result: tuple[PlaySession, ...] = self._connector.guard("the active sessions",
                                                                lambda: sessions_of(owner, problems))
        for note in problems:
            log.warning("plex: %s", note)
        return result

    def next_episodes(self, item_key: str, count: int, minutes: int = 0) -> tuple[MediaItem, ...]:
        owner = self._connector.owner()
        guard = self._connector.guard
        if not str(item_key).isdigit() or (count <= 0 and minutes <= 0):
            return ()
        found = guard("an episode", partial(self._connector.fetch, owner, [int(item_key)]))
        if not found:
            return ()  # the key is gone: nothing follows it
        current = found[0]
        if cv.attr(current, "type") != "episode":
            return ()
        path = f"/library/metadata/{cv.attr(current, 'grandparentRatingKey')}/allLeaves"
        elements = guard("a show's episodes", partial(self._connector.raw_items, owner, path, 500))
        leaves = [cv.leaf_of(el) for el in elements]
        keys = [int(e.key) for e in cv.next_after(leaves, cv.order(current), count, minutes)]
        items = self._items(owner, keys)
        return tuple(items[str(k)] for k in keys if str(k) in items)

    def next_in_collection(self, item_key: str, user: str) -> tuple[MediaItem, ...]:
        """See ``ports.MediaServer.next_in_collection`` (``plex_collection_next``)."""
        key = next_in_collection_key(self._connector, item_key, user, self._user_servers)
        if key is None:
            return ()
        items = self._items(self._connector.owner(), [int(key)])
        return (items[key],) if key in items else ()

    def items_for_paths(self, plex_paths: Collection[str]) -> dict[str, MediaItem]:
        """Resolve Plex paths to items by listing the movies/episodes of the sections holding them
        (a rare operation: files found on the cache that Cacherr did not put there)."""
        wanted = {path_key(p): p for p in plex_paths if p}
        if not wanted:
            return {}
        owner = self._connector.owner()
        guard = self._connector.guard
        found: dict[str, int] = {}
        for section in guard("the library sections", owner.library.sections):
            roots = list(cv.attr(section, "locations", []) or [])
            if cv.attr(section, "type") not in ("movie", "show") or not any(
                    is_within(p, r) for p in wanted.values() for r in roots):
                continue
            libtype = 1 if section.type == "movie" else 4
            path = f"/library/sections/{section.key}/all?type={libtype}"
            for el in guard("a library listing", partial(self._connector.raw_items, owner, path, 2000)):
                for part in el.iter("Part"):
                    asked = wanted.get(path_key(str(part.get("file") or "")))
                    if asked is not None:
                        found[asked] = int(str(el.get("ratingKey")))
        items = self._items(owner, list(dict.fromkeys(found.values())))
        return {path: items[str(key)] for path, key in found.items() if str(key) in items}

    def ping(self) -> bool:
        return self._connector.ping()

    # --- helpers -----------------------------------------------------------------------------
    def _items(self, owner: Any, keys: Iterable[int]) -> dict[str, MediaItem]:
        problems = cv.Problems()
        items: dict[str, MediaItem] = {}
        key_list = list(keys)
        for i in range(0, len(key_list), 100):
            chunk = key_list[i:i + 100]
            fetch = partial(self._connector.fetch, owner, chunk, params=CHECK_FILES)
            for video in self._connector.guard("item details", fetch):
                item = cv.to_item(video, self.mapper, problems)
                items[item.key] = item
        for note in problems:
            log.warning("plex: %s", note)
        return items
