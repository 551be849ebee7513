"""Sign in with Plex and look around before anything is configured (the dashboard's setup), over plain HTTP.

The plex.tv PIN flow (``POST /api/v2/pins?strong=true``, the person approves on app.plex.tv, poll the PIN
until it carries a token), the account's servers (``/api/v2/resources``) with each address tried, and a
server's libraries (folders as Plex reports them, one sample file each) and users. No plexapi: setup
talks to a server before a ``PlexMediaServer`` can be built. Tokens are never logged.
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests

from cacherr.adapters.plex_transport import mount_plex_tv
from cacherr.domain.errors import PlexUnavailable

log = logging.getLogger(__name__)
PLEX_TV = "https://plex.tv"
AUTH_APP = "https://app.plex.tv/auth#?"
PRODUCT = "Cacherr"
XML = "application/xml"


class PlexAccountError(PlexUnavailable):
    """plex.tv or a server answered something unusable; the message is for people (the web answers 503)."""


@dataclass(frozen=True)
class Pin:
    id: int
    code: str
    auth_url: str
    expires_at: datetime


@dataclass(frozen=True)
class Connection:
    uri: str
    local: bool
    relay: bool
    ok: bool = False
    ms: int | None = None
    problem: str = ""


@dataclass(frozen=True)
class ServerChoice:
    name: str
    machine_id: str
    owned: bool
    connections: tuple[Connection, ...]

    @property
    def best(self) -> Connection | None:
        """The first working address, LAN first, relays last."""
        working = [c for c in self.connections if c.ok]
        return min(working, key=lambda c: (not c.local, c.relay, c.ms or 0), default=None)


@dataclass(frozen=True)
class Library:
    key: str
    title: str
    kind: str
    locations: tuple[str, ...]
    sample_file: str | None = None


@dataclass(frozen=True)
class PlexUserInfo:
    name: str
    kind: str  # owner, home, shared


@dataclass
class PlexAccount:
    """plex.tv + a server, as setup sees them. ``plex_tv_url`` reroutes plex.tv (the demo's emulator)."""

    client_id: str
    plex_tv_url: str = ""
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        if self.plex_tv_url:
            mount_plex_tv(self.session, self.plex_tv_url)

    def _headers(self, token: str = "", accept: str = "application/json") -> dict[str, str]:
        h = {"Accept": accept, "X-Plex-Product": PRODUCT, "X-Plex-Client-Identifier": self.client_id,
             "X-Plex-Device-Name": PRODUCT}
        if token:
            h["X-Plex-Token"] = token
        return h

    def _call(self, method: str, url: str, token: str = "", accept: str = "application/json") -> requests.Response:
        try:
            return self.session.request(method, url, headers=self._headers(token, accept), timeout=self.timeout)
        except requests.RequestException as exc:
            raise PlexAccountError(f"could not reach {url.split('?')[0]}: {type(exc).__name__}") from None

    # --- sign-in ---------------------------------------------------------------------------------
    def create_pin(self) -> Pin:
        r = self._call("POST", f"{PLEX_TV}/api/v2/pins?strong=true")
        if r.status_code not in (200, 201):
            raise PlexAccountError(f"plex.tv refused to start a sign-in (HTTP {r.status_code})")
        data = r.json()
        query = urlencode({"clientID": self.client_id, "code": data["code"],
                           "context[device][product]": PRODUCT}, quote_via=quote)
        expires = datetime.now(UTC) + timedelta(seconds=int(data.get("expiresIn") or 600))
        return Pin(int(data["id"]), str(data["code"]), AUTH_APP + query, expires)

    def check_pin(self, pin_id: int) -> str | None:
        """The token once the person approved the PIN, None while waiting; raises when it expired."""
        r = self._call("GET", f"{PLEX_TV}/api/v2/pins/{int(pin_id)}")
        if r.status_code == 404:
            raise PlexAccountError("this sign-in expired (a PIN lasts about 10 minutes): start again")
        if r.status_code != 200:
            raise PlexAccountError(f"plex.tv answered HTTP {r.status_code} while checking the sign-in")
        token = r.json().get("authToken")
        return str(token) if token else None

    # --- servers ---------------------------------------------------------------------------------
    def servers(self, token: str) -> list[ServerChoice]:
        r = self._call("GET", f"{PLEX_TV}/api/v2/resources?includeHttps=1&includeRelay=1", token)
        if r.status_code == 401:
            raise PlexAccountError("plex.tv refused this token: sign in again")
        if r.status_code != 200:
            raise PlexAccountError(f"plex.tv answered HTTP {r.status_code} for the list of servers")
        found = [d for d in r.json() if "server" in str(d.get("provides", ""))]
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda d: self._server(d, token), found))

    def _server(self, device: dict[str, Any], token: str) -> ServerChoice:
        conns = [Connection(str(c["uri"]), bool(c.get("local")), bool(c.get("relay")))
                 for c in device.get("connections") or []]
        conns.sort(key=lambda c: (not c.local, c.relay))
        server_token = str(device.get("accessToken") or token)
        tested = tuple(self.test_connection(c, server_token, str(device.get("clientIdentifier", ""))) for c in conns)
        return ServerChoice(str(device.get("name", "")), str(device.get("clientIdentifier", "")),
                            bool(device.get("owned")), tested)

    def test_connection(self, conn: Connection, token: str, machine_id: str) -> Connection:
        start = time.monotonic()
        try:
            r = self.session.get(f"{conn.uri}/identity", headers=self._headers(token, XML), timeout=3)
        except requests.RequestException as exc:
            return Connection(conn.uri, conn.local, conn.relay, False, None, f"no answer ({type(exc).__name__})")
        ms = int((time.monotonic() - start) * 1000)
        if r.status_code != 200:
            return Connection(conn.uri, conn.local, conn.relay, False, ms, f"HTTP {r.status_code}")
        mid = _xml(r).get("machineIdentifier", "")
        if machine_id and mid and mid != machine_id:
            return Connection(conn.uri, conn.local, conn.relay, False, ms, "a different server answers there")
        return Connection(conn.uri, conn.local, conn.relay, True, ms)

    # --- one server ------------------------------------------------------------------------------
    def _pms(self, url: str, token: str, path: str) -> ET.Element:
        r = self._call("GET", f"{url}{path}", token, XML)
        if r.status_code == 401:
            raise PlexAccountError("the server refused this token")
        if r.status_code != 200:
            raise PlexAccountError(f"the server answered HTTP {r.status_code} for {path.split('?')[0]}")
        return _xml(r)

    def libraries(self, url: str, token: str) -> list[Library]:
        out = []
        for d in self._pms(url, token, "/library/sections").findall("Directory"):
            if d.get("type") not in ("movie", "show"):
                continue
            locations = tuple(loc.get("path", "") for loc in d.findall("Location"))
            out.append(Library(d.get("key", ""), d.get("title", ""), d.get("type", ""), locations,
                               self._sample(url, token, d.get("key", ""))))
        return out

    def library_titles(self, url: str, token: str) -> list[tuple[str, str]]:
        """(title, kind) of each movie and show library, in the server's order: one request, no samples."""
        return [(d.get("title", ""), d.get("type", "")) for d in self._pms(url, token, "/library/sections")
                .findall("Directory") if d.get("type") in ("movie", "show")]

    def _sample(self, url: str, token: str, key: str) -> str | None:
        try:
            first = self._pms(url, token, f"/library/sections/{key}/all?X-Plex-Container-Start=0"
                                          "&X-Plex-Container-Size=1")
            item = next(iter(first), None)
            if item is not None and item.find("Media/Part") is None and item.get("ratingKey"):
                leaves = self._pms(url, token, f"/library/metadata/{item.get('ratingKey')}/allLeaves"
                                               "?X-Plex-Container-Start=0&X-Plex-Container-Size=1")
                item = next(iter(leaves), None)
            part = item.find("Media/Part") if item is not None else None
            return part.get("file") if part is not None else None
        except PlexAccountError:
            log.info("setup: no sample file for library %s", key)
            return None

    def users(self, token: str) -> list[PlexUserInfo]:
        me = self._call("GET", f"{PLEX_TV}/api/v2/user", token)
        owner = _xml(me) if me.status_code == 200 and me.text.lstrip().startswith("<") else None
        name = (owner.get("title") or owner.get("username")) if owner is not None else None
        if name is None and me.status_code == 200:
            data = me.json()
            name = data.get("title") or data.get("username")
        out = [PlexUserInfo(str(name or "owner"), "owner")]
        r = self._call("GET", f"{PLEX_TV}/api/users/", token, XML)
        if r.status_code == 200:
            for u in _xml(r).findall("User"):
                out.append(PlexUserInfo(u.get("title") or u.get("username") or "",
                                        "home" if u.get("home") == "1" else "shared"))
        return out


def _xml(r: requests.Response) -> ET.Element:
    try:
        return ET.fromstring(r.content)  # noqa: S314  (answers of the server the person picked)
    except ET.ParseError:
        raise PlexAccountError("the answer was not the XML Plex sends") from None
