"""Plex Media Server endpoints: what python-plexapi 4.18.3 calls for On Deck, episodes, sessions,
history, search by guid and watched state. Per-user answers are chosen by the request's token."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from cacherr.demo.plex_emulator import state
from cacherr.demo.plex_emulator.library_changes import since_filters, when_of
from cacherr.demo.plex_emulator.model import AnyItem, Episode, HistoryEntry, Movie, PlaySession, Season, Show, User
from cacherr.demo.plex_emulator.routing import Request, Response, Route, error, page, route, xml
from cacherr.demo.plex_emulator.xmlgen import (
    TYPE_NUMBERS,
    container,
    item_el,
    live_session_el,
    section_el,
    server_root,
    video_el,
)


def _user(req: Request) -> User:
    assert req.user is not None
    return req.user


def root(req: Request) -> Response:
    return xml(server_root(req.world))


def identity(req: Request) -> Response:
    w = req.world
    return xml(container(size=0, claimed=1, machineIdentifier=w.machine_id, version=w.version))


def library(_req: Request) -> Response:
    root_el = container(size=1, identifier="com.plexapp.plugins.library", title1="Plex Library")
    ET.SubElement(root_el, "Directory", key="sections", title="Library Sections")
    return xml(root_el)


def sections(req: Request) -> Response:
    root_el = container(size=len(req.world.sections), allowSync=1, title1="Plex Library")
    root_el.extend(section_el(s) for s in req.world.sections)
    return xml(root_el)


def _section_items(req: Request, sec_key: int) -> list[AnyItem]:
    sec = req.world.section(sec_key)
    default = "movie" if sec.kind == "movie" else "show"
    wanted = {v: k for k, v in TYPE_NUMBERS.items()}.get(int(req.query.get("type", 0) or 0), default)
    items = [i for i in req.world.items.values() if i.section.key == sec.key and i.type == wanted]
    guid = req.query.get("guid")
    if guid:
        items = [i for i in items if i.guid == guid or guid in i.guids]
    title = req.query.get("title")
    if title:
        items = [i for i in items if title.lower() in i.title.lower()]
    items = since_filters(req.query, items)
    if wanted in ("movie", "show"):
        items.sort(key=lambda i: (i.title.lower(), i.rating_key))
    sort = req.query.get("sort", "")
    if sort.split(":")[0] in ("addedAt", "updatedAt"):
        items.sort(key=lambda i: (when_of(i, sort.split(":")[0]), i.rating_key), reverse=sort.endswith(":desc"))
    return items


def section_all(req: Request) -> Response:
    if req.query.get("type") == "18":  # plexapi's section.collections(): type=18 is a collection
        from cacherr.demo.plex_emulator.collections import section_collections as listing

        return listing(req)
    sec = req.world.section(req.params["id"])
    guids = req.query.get("includeGuids") == "1"
    if req.query.get("includeMeta") == "1":
        root_el = container(size=0, totalSize=len(_section_items(req, sec.key)), librarySectionID=sec.key)
        meta = ET.SubElement(root_el, "Meta")
        kind = sec.kind
        ET.SubElement(meta, "Type", key=f"/library/sections/{sec.key}/all?type={TYPE_NUMBERS[kind]}", type=kind,
                      title=sec.title, active="1")
        return xml(root_el)
    user = _user(req)
    items = _section_items(req, sec.key)
    return page(req, items, lambda i: item_el(req.world, i, user, guids=guids), librarySectionID=sec.key,
                librarySectionTitle=sec.title, identifier="com.plexapp.plugins.library")


def section_collections(_req: Request) -> Response:
    root_el = container(size=0, totalSize=0)
    ET.SubElement(root_el, "Meta")
    return xml(root_el)


def on_deck(req: Request) -> Response:
    user = _user(req)
    sec = int(req.params["id"]) if "id" in req.params else None
    deck = state.on_deck(req.world, user, sec)
    guids = req.query.get("includeGuids") == "1"
    return page(req, deck, lambda p: video_el(req.world, p[0], user, guids=guids, last_viewed_at=p[1]),
                identifier="com.plexapp.plugins.library", mixedParents=1)


def _lookup(req: Request, keys: str) -> list[AnyItem]:
    found = []
    for k in keys.split(","):
        if k.strip().isdigit() and int(k) in req.world.items:
            found.append(req.world.items[int(k)])
    return found


def metadata(req: Request) -> Response:
    items = _lookup(req, req.params["keys"])
    if not items:
        return error(404, "Not Found")
    user = _user(req)

    def build(item: AnyItem) -> ET.Element:
        el = item_el(req.world, item, user, detail=True, check_files=req.query.get("checkFiles") == "1")
        if req.query.get("includeOnDeck") == "1" and isinstance(item, Show | Season):
            _nested_on_deck(req, el, item, user)
        return el

    return page(req, items, build, identifier="com.plexapp.plugins.library")


def _nested_on_deck(req: Request, el: ET.Element, item: Show | Season, user: User) -> None:
    show = item if isinstance(item, Show) else item.show
    for deck_item, when in state.on_deck(req.world, user):
        if isinstance(deck_item, Episode) and deck_item.show is show:
            ondeck = ET.SubElement(el, "OnDeck")
            ondeck.append(video_el(req.world, deck_item, user, last_viewed_at=when))
            return


def children(req: Request) -> Response:
    items = _lookup(req, req.params["key"])
    if not items or not isinstance(items[0], Show | Season):
        return error(404, "Not Found")
    parent = items[0]
    user = _user(req)
    kids: Sequence[AnyItem] = parent.episodes if isinstance(parent, Season) else _seasons(parent)
    return page(req, kids, lambda i: item_el(req.world, i, user), key=parent.rating_key,
                title1=parent.title, identifier="com.plexapp.plugins.library")


def _seasons(show: Show) -> list[Season]:
    return sorted(show.seasons, key=lambda s: s.index)


def all_leaves(req: Request) -> Response:
    items = _lookup(req, req.params["key"])
    if not items or not isinstance(items[0], Show | Season):
        return error(404, "Not Found")
    parent = items[0]
    user = _user(req)
    leaves = parent.episodes() if isinstance(parent, Show) else parent.episodes
    return page(req, leaves, lambda e: video_el(req.world, e, user), key=parent.rating_key,
                title1=parent.title, identifier="com.plexapp.plugins.library", mixedParents=1)


def sessions(req: Request) -> Response:
    w = req.world
    out = list(w.sessions)

    def build(s: PlaySession) -> ET.Element:
        if s.live:
            return live_session_el(s)
        el = video_el(w, s.item, s.user)
        if s.transcode:
            for part in el.iter("Part"):
                part.attrib.pop("file", None)
                part.attrib.pop("size", None)
        el.set("sessionKey", str(s.session_key))
        el.set("viewOffset", str(s.view_offset))
        for part in el.iter("Part"):
            part.set("decision", "transcode" if s.transcode else "directplay")
        ET.SubElement(el, "User", id=str(s.user.id), title=s.user.name, thumb="")
        ET.SubElement(el, "Player", title=s.player, machineIdentifier=f"player-{s.session_key}",
                      product="Plex Web", platform="Chrome", state=s.state, address="127.0.0.1", local="1",
                      userID=str(s.user.id))
        ET.SubElement(el, "Session", id=f"session-{s.session_key}", bandwidth="8000", location="lan")
        return el

    return page(req, out, build)


def history(req: Request) -> Response:
    user = _user(req)
    entries = [h for h in req.world.history if user.is_owner or h.user.id == user.id]
    q = req.query
    if q.get("accountID"):
        entries = [h for h in entries if str(h.user.id) == q["accountID"]]
    if q.get("metadataItemID"):
        entries = [h for h in entries if str(h.item.rating_key) == q["metadataItemID"]]
    if q.get("librarySectionID"):
        entries = [h for h in entries if str(h.item.section.key) == q["librarySectionID"]]
    if q.get("viewedAt>"):  # plexapi's history(mindate=...) sends viewedAt>=T (the key decodes as "viewedAt>")
        entries = [h for h in entries if h.viewed_at >= int(q["viewedAt>"])]
    entries.sort(key=lambda h: (-h.viewed_at, -h.id))

    def build(h: HistoryEntry) -> ET.Element:
        el = ET.Element("Video", historyKey=f"/status/sessions/history/{h.id}", key=h.item.key,
                        ratingKey=str(h.item.rating_key), librarySectionID=str(h.item.section.key),
                        type=h.item.type, title=h.item.title, viewedAt=str(h.viewed_at),
                        accountID=str(h.user.id), deviceID="1")
        if isinstance(h.item, Episode) and h.item.show and h.item.season:
            el.set("grandparentKey", h.item.show.key)
            el.set("parentKey", h.item.season.key)
            el.set("grandparentTitle", h.item.show.title)
            el.set("parentIndex", str(h.item.season.index))
            el.set("index", str(h.item.index))
        return el

    return page(req, entries, build)


def accounts(req: Request) -> Response:
    users = sorted(req.world.users.values(), key=lambda u: u.id)
    root_el = container(size=len(users), identifier="com.plexapp.system.accounts")
    for u in users:
        ET.SubElement(root_el, "Account", id=str(u.id), key=f"/accounts/{u.id}", name=u.name,
                      defaultAudioLanguage="en", autoSelectAudio="1", subtitleMode="0")
    return xml(root_el)


def _playable(req: Request) -> Movie | Episode | None:
    key = req.query.get("key") or req.query.get("ratingKey") or ""
    key = key.rsplit("/", 1)[-1]
    item = req.world.items.get(int(key)) if key.isdigit() else None
    return item if isinstance(item, Movie | Episode) else None


def scrobble(req: Request) -> Response:
    key = (req.query.get("key") or "").rsplit("/", 1)[-1]
    if not key.isdigit() or int(key) not in req.world.items:
        return error(404, "Not Found")
    if req.path.endswith("unscrobble"):
        state.mark_unwatched(req.world, _user(req), int(key))
    else:
        state.mark_watched(req.world, _user(req), int(key))
    return Response(200, b"", "text/plain")


def progress(req: Request) -> Response:
    item = _playable(req)
    if item is None:
        return error(404, "Not Found")
    state.set_progress(req.world, _user(req), item, int(req.query.get("time", "0") or 0))
    return Response(200, b"", "text/plain")


def stream(req: Request) -> Response:
    sid = int(req.params["id"].split(".")[0]) if req.params["id"].split(".")[0].isdigit() else -1
    for item in req.world.items.values():
        for part in getattr(item, "parts", ()):
            for sub in part.subtitles:
                if sub.id == sid:
                    text = f"1\n00:00:01,000 --> 00:00:03,000\n{item.title} ({sub.language})\n"
                    return Response(200, text.encode(), "text/srt;charset=utf-8")
    return error(404, "Not Found")


ROUTES: list[Route] = [
    route("GET", "/", "/", root),
    route("GET", "/identity", "/identity", identity, auth="none"),
    route("GET", "/library", "/library", library),
    route("GET", "/library/sections/?", "/library/sections", sections),
    route("GET", "/library/sections/{id}/all", "/library/sections/{id}/all", section_all),
    route("GET", "/library/sections/{id}/collections", "/library/sections/{id}/collections", section_collections),
    route("GET", "/library/sections/{id}/onDeck", "/library/sections/{id}/onDeck", on_deck),
    route("GET", "/library/onDeck", "/library/onDeck", on_deck),
    route("GET", "/library/metadata/{key}/children", "/library/metadata/{key}/children", children),
    route("GET", "/library/metadata/{key}/allLeaves", "/library/metadata/{key}/allLeaves", all_leaves),
    route("GET", "/library/metadata/{keys}", "/library/metadata/{keys}", metadata),
    route("GET", "/library/streams/{id}", "/library/streams/{id}", stream),
    route("GET", "/status/sessions", "/status/sessions", sessions, auth="owner"),
    route("GET", "/status/sessions/history/all", "/status/sessions/history/all", history),
    route("GET", "/accounts", "/accounts", accounts, auth="owner"),
    route("GET", "/:/scrobble", "/:/scrobble", scrobble),
    route("GET", "/:/unscrobble", "/:/unscrobble", scrobble),
    route("GET", "/:/progress", "/:/progress", progress),
    route("GET", "/:/timeline", "/:/timeline", progress),
]
