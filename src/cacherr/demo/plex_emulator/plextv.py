"""plex.tv, discover.provider.plex.tv and metadata.provider.plex.tv, as plexapi 4.18.3 calls them.

Served by the same HTTP server under the prefixes ``/_plextv``, ``/_discover`` and ``/_metadata``;
``transport.py`` routes plexapi's hard-coded https URLs there.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from cacherr.demo.plex_emulator.model import Movie, Show, User, WatchlistEntry
from cacherr.demo.plex_emulator.routing import Request, Response, Route, error, page, route, xml
from cacherr.demo.plex_emulator.xmlgen import container, item_el, watchlist_el

PREFIXES = {"plextv": "/_plextv", "discover": "/_discover", "metadata": "/_metadata"}


def _user(req: Request) -> User:
    assert req.user is not None
    return req.user


def _account_el(user: User, tag: str = "user") -> ET.Element:
    el = ET.Element(tag, id=str(user.id), uuid=user.uuid, username=user.name if user.kind != "home" else "",
                    title=user.name, email=user.email, authToken=user.token, scrobbleTypes="",
                    home="1" if user.kind in ("owner", "home") else "0",
                    homeAdmin="1" if user.is_owner else "0", restricted="0", protected="1" if user.pin else "0")
    ET.SubElement(el, "subscription", active="1", status="Active", plan="lifetime")
    ET.SubElement(el, "profile", autoSelectAudio="1", defaultAudioLanguage="en", defaultSubtitleLanguage="en")
    return el


def account(req: Request) -> Response:
    return xml(_account_el(_user(req)))


def users(req: Request) -> Response:
    w = req.world
    others = [u for u in sorted(w.users.values(), key=lambda u: u.id) if not u.is_owner]
    root = container(friendlyName="myPlex", identifier="com.plexapp.plugins.myplex", machineIdentifier=w.machine_id,
                     size=len(others), totalSize=len(others))
    for u in others:
        el = ET.SubElement(root, "User", id=str(u.id), title=u.name, username="" if u.kind == "home" else u.name,
                           email="" if u.kind == "home" else u.email, thumb="", home="1" if u.kind == "home" else "0",
                           restricted="0", protected="1" if u.pin else "0", allowSync="1", filterAll="",
                           filterMovies="", filterMusic="", filterPhotos="", filterTelevision="")
        if u.shared_token:
            ET.SubElement(el, "Server", id=str(u.id), serverId="11", machineIdentifier=w.machine_id, name=w.name,
                          lastSeenAt="1700000000", numLibraries=str(len(w.sections)), allLibraries="1",
                          owned="1", pending="0")
    return xml(root)


def shared_servers(req: Request) -> Response:
    w = req.world
    if req.params["mid"] != w.machine_id:
        return error(404, "Not Found")
    shared = [u for u in sorted(w.users.values(), key=lambda u: u.id) if not u.is_owner and u.shared_token]
    root = container(friendlyName="myPlex", identifier="com.plexapp.plugins.myplex", machineIdentifier=w.machine_id,
                     size=len(shared))
    for u in shared:
        shared_keys = u.shared_sections
        el = ET.SubElement(root, "SharedServer", id=str(1000 + u.id), username="" if u.kind == "home" else u.name,
                           email=u.email, userID=str(u.id), accessToken=u.token, name=w.name, owned="0",
                           allLibraries="1" if shared_keys is None else "0", invitedAt="1700000000")
        for s in w.sections:
            on = shared_keys is None or s.key in shared_keys
            ET.SubElement(el, "Section", id=str(s.key), key=str(s.key), title=s.title, type=s.kind,
                          shared="1" if on else "0")
    return xml(root)


def switch_home_user(req: Request) -> Response:
    w = req.world
    uid = req.params["id"]
    target = next((u for u in w.users.values() if str(u.id) == uid), None)
    if target is None or target.kind not in ("home", "owner"):
        return error(404, "Not Found")
    if target.pin and req.query.get("pin") != target.pin:
        return error(401, "Unauthorized")
    el = _account_el(target)
    el.set("authenticationToken", target.token)
    return xml(el, status=201)


def _visible_watchlist(req: Request) -> list[WatchlistEntry]:
    entries = list(req.world.watchlists.get(_user(req).id, []))
    kind = {"1": "movie", "2": "show"}.get(req.query.get("type", ""))
    if kind:
        entries = [e for e in entries if e.type == kind]
    return entries


def watchlist(req: Request) -> Response:
    entries = _visible_watchlist(req)
    return page(req, entries, watchlist_el, identifier="tv.plex.provider.discover", librarySectionID="watchlist",
                librarySectionTitle="Watchlist")


def _by_online_id(req: Request, hex_id: str) -> Movie | Show | None:
    for item in req.world.items.values():
        if isinstance(item, Movie | Show) and item.online_id == hex_id:
            return item
    return None


def friends_rss(req: Request) -> Response:
    """The owner's "Friends' Watchlists" feed (``?format=json``): every friend's watchlist, newest first,
    each item naming its friend in ``author`` (plex.tv user id) with imdb/tmdb/tvdb guids."""
    w = req.world
    if req.params["id"] != w.friends_rss_id:
        return error(404, "Not Found")
    items = []
    for u in sorted(w.users.values(), key=lambda u: u.id):
        if u.kind != "shared":
            continue
        for e in w.watchlists.get(u.id, []):
            item = e.item  # plex.tv's ids for it (a legacy-agent library item: its online ones)
            guids = [e.guid, *((item.online_guids or item.guids) if item is not None else [])]
            items.append({"title": e.title, "category": e.type, "year": e.year, "author": str(u.id),
                          "guids": guids, "link": f"https://watch.plex.tv/{e.type}/{e.online_id}",
                          "pubDate": e.added_at})
    body = {"title": "Friends' Watchlists", "links": {"self": f"https://discover.provider.plex.tv/rss/{w.friends_rss_id}"},
            "items": items}
    return Response(200, json.dumps(body).encode(), "application/json")


def watchlist_action(req: Request) -> Response:
    hex_id = req.query.get("ratingKey", "")
    user = _user(req)
    if req.params["action"] == "addToWatchlist":
        item = _by_online_id(req, hex_id)
        if item is None:
            return error(404, "Not Found")
        req.world.add_to_watchlist(user, item)
    else:
        req.world.remove_from_watchlist(user, f"plex://movie/{hex_id}")
        req.world.remove_from_watchlist(user, f"plex://show/{hex_id}")
    return Response(200, b"", "text/plain")


def metadata_root(_req: Request) -> Response:
    return xml(container(size=0, identifier="tv.plex.provider.metadata", machineIdentifier="metadata-provider"))


def metadata_item(req: Request) -> Response:
    item = _by_online_id(req, req.params["hex"])
    if item is None:
        return error(404, "Not Found")
    el = item_el(req.world, item, None)
    el.set("ratingKey", item.online_id)
    el.set("key", f"/library/metadata/{item.online_id}")
    if item.online_guid:  # a legacy-agent library item: plex.tv answers with its own guid and ids
        el.set("guid", item.online_guid)
        for g in item.online_guids:
            ET.SubElement(el, "Guid", id=g)
    for tag in ("librarySectionID", "librarySectionTitle", "librarySectionKey"):
        el.attrib.pop(tag, None)
    for media in el.findall("Media"):
        el.remove(media)
    root = container(size=1, identifier="tv.plex.provider.metadata")
    root.append(el)
    return xml(root)


_P, _D, _M = PREFIXES["plextv"], PREFIXES["discover"], PREFIXES["metadata"]

ROUTES: list[Route] = [
    route("GET", f"{_P}/api/v2/user", "plex.tv/api/v2/user", account),
    route("GET", f"{_P}/users/account", "plex.tv/api/v2/user", account),
    route("GET", f"{_P}/api/users/?", "plex.tv/api/users", users, auth="owner"),
    route("GET", f"{_P}/api/servers/{{mid}}/shared_servers", "plex.tv/api/servers/{mid}/shared_servers",
          shared_servers, auth="owner"),
    route("POST", f"{_P}/api/home/users/{{id}}/switch", "plex.tv/api/home/users/{id}/switch", switch_home_user,
          auth="owner"),
    route("GET", f"{_D}/library/sections/watchlist/{{filter}}", "discover/watchlist", watchlist),
    route("PUT", f"{_D}/actions/{{action}}", "discover/actions", watchlist_action),
    route("GET", f"{_D}/rss/{{id}}", "discover/rss", friends_rss, auth="none"),
    route("GET", f"{_M}/?", "metadata/", metadata_root),
    route("GET", f"{_M}/library/metadata/{{hex}}", "metadata/library/metadata/{hex}", metadata_item),
]
