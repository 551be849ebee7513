"""Pure builders: model objects -> the PMS XML elements plexapi parses (attribute names as a real PMS).

List views carry Media/Part; detail views add Streams (external subtitles have ``key`` and no
``index``, as on a real server). Show and season Directories always carry ``childCount``,
``leafCount`` and ``viewedLeafCount`` so that plexapi never auto-reloads while parsing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cacherr.demo.plex_emulator.model import (
    AnyItem,
    Episode,
    Movie,
    Part,
    PlaySession,
    Season,
    Section,
    Show,
    User,
    WatchlistEntry,
    World,
)
from cacherr.demo.plex_emulator.state import viewed_leaf_count

TYPE_NUMBERS = {"movie": 1, "show": 2, "season": 3, "episode": 4}


def container(**attrs: object) -> ET.Element:
    return ET.Element("MediaContainer", {k: str(v) for k, v in attrs.items() if v is not None})


def _set(el: ET.Element, **attrs: object) -> ET.Element:
    for k, v in attrs.items():
        if v is not None:
            el.set(k, str(v))
    return el


def server_root(world: World) -> ET.Element:
    return container(size=0, friendlyName=world.name, machineIdentifier=world.machine_id, version=world.version,
                     myPlex=1, myPlexUsername=world.owner.email if world.email_as_username else world.owner.name,
                     myPlexSigninState="ok", platform="Linux",
                     multiuser=1, transcoderActiveVideoSessions=0, allowSync=1)


def section_el(sec: Section) -> ET.Element:
    el = _set(ET.Element("Directory"), key=sec.key, type=sec.kind, title=sec.title, uuid=sec.uuid,
              agent="tv.plex.agents.movie" if sec.kind == "movie" else "tv.plex.agents.series",
              scanner="Plex Movie" if sec.kind == "movie" else "Plex TV Series", language="en-US",
              allowSync=1, refreshing=0, updatedAt=1700000000)
    ET.SubElement(el, "Location", id=str(sec.key), path=sec.location)
    return el


def _guids(el: ET.Element, item: AnyItem) -> None:
    for g in item.guids:
        ET.SubElement(el, "Guid", id=g)


def part_el(part: Part, *, detail: bool, check_files: bool = False) -> ET.Element:
    el = _set(ET.Element("Part"), id=part.id, key=f"/library/parts/{part.id}/1700000000/file.{part.container}",
              file=part.file, size=part.size, container=part.container)
    if check_files:
        _set(el, accessible=int(part.exists), exists=int(part.exists))
    if detail:
        ET.SubElement(el, "Stream", id=str(part.id * 10 + 1), streamType="1", codec="h264", index="0",
                      displayTitle="1080p (H.264)")
        ET.SubElement(el, "Stream", id=str(part.id * 10 + 2), streamType="2", codec="aac", index="1",
                      language="English", languageCode="eng", selected="1", displayTitle="English (AAC Stereo)")
        for sub in part.subtitles:
            title = f"{sub.language}{' Forced' if sub.forced else ''} ({sub.codec.upper()} External)"
            _set(ET.SubElement(el, "Stream"), id=sub.id, streamType=3, key=f"/library/streams/{sub.id}",
                 codec=sub.codec, format=sub.codec, language=sub.language, languageCode=sub.code,
                 languageTag=sub.tag, forced=1 if sub.forced else None,
                 hearingImpaired=1 if sub.sdh else None, displayTitle=title, extendedDisplayTitle=title)
    return el


_HEIGHT = {"4k": 2160, "1080": 1080, "720": 720, "480": 480, "sd": 480}


def _media(el: ET.Element, parts: list[Part], duration: int, *, detail: bool, check_files: bool = False) -> None:
    groups: dict[object, list[Part]] = {}
    for part in parts:
        groups.setdefault(part.id if part.version is None else ("v", part.version), []).append(part)
    for group in groups.values():
        first = group[0]
        media = _set(ET.SubElement(el, "Media"), id=first.id + 500_000_000, duration=duration,
                     container=first.container, videoCodec="h264", audioCodec="aac",
                     videoResolution=first.resolution, height=_HEIGHT.get(first.resolution),
                     bitrate=sum(p.size for p in group) * 8 // max(duration, 1))
        for part in group:
            media.append(part_el(part, detail=detail, check_files=check_files))


def video_el(world: World, item: Movie | Episode, user: User | None, *, detail: bool = False,
             guids: bool = True, last_viewed_at: int | None = None, check_files: bool = False) -> ET.Element:
    """A ``<Video>`` for a movie or episode, with ``user``'s viewCount/viewOffset/lastViewedAt."""
    sec = item.section
    el = _set(ET.Element("Video"), ratingKey=item.rating_key, key=item.key, guid=item.guid, type=item.type,
              title=item.title, librarySectionID=sec.key, librarySectionTitle=sec.title,
              librarySectionKey=f"/library/sections/{sec.key}", duration=item.duration, addedAt=item.added_at,
              updatedAt=item.updated_at or item.added_at)
    if isinstance(item, Movie):
        _set(el, year=item.year, titleSort=item.title)
    else:
        _episode_attrs(el, item)
    if user is not None:
        vs = world.state(user, item.rating_key)
        _set(el, viewCount=vs.view_count or None, viewOffset=vs.view_offset or None,
             lastViewedAt=last_viewed_at if last_viewed_at is not None else vs.last_viewed_at)
    _media(el, item.parts, item.duration, detail=detail, check_files=check_files)
    if isinstance(item, Movie) and world.collections:
        el.extend(collection_tags(world, item))
    if guids:
        _guids(el, item)
    return el


def _episode_attrs(el: ET.Element, ep: Episode) -> None:
    show, season = ep.show, ep.season
    assert show is not None
    assert season is not None
    _set(el, grandparentRatingKey=show.rating_key, grandparentKey=show.key, grandparentTitle=show.title,
         grandparentGuid=show.guid, parentRatingKey=season.rating_key, parentKey=season.key,
         parentTitle=season.title, parentGuid=season.guid, parentIndex=season.index, index=ep.index,
         year=show.year, parentYear=show.year)


def show_el(world: World, show: Show, user: User | None, *, guids: bool = True) -> ET.Element:
    leaves = sum(len(s.episodes) for s in show.seasons)
    el = _set(ET.Element("Directory"), ratingKey=show.rating_key, key=f"{show.key}/children", guid=show.guid,
              type="show", title=show.title, titleSort=show.title, year=show.year, librarySectionID=show.section.key,
              librarySectionTitle=show.section.title, librarySectionKey=f"/library/sections/{show.section.key}",
              childCount=len(show.seasons), leafCount=leaves, addedAt=show.added_at,
              updatedAt=show.updated_at or show.added_at,
              viewedLeafCount=viewed_leaf_count(world, user, show) if user else 0)
    if guids:
        _guids(el, show)
    return el


def season_el(world: World, season: Season, user: User | None) -> ET.Element:
    show = season.show
    assert show is not None
    return _set(ET.Element("Directory"), ratingKey=season.rating_key, key=f"{season.key}/children",
                parentRatingKey=show.rating_key, parentKey=show.key, parentTitle=show.title, parentGuid=show.guid,
                guid=season.guid, type="season", title=season.title, index=season.index,
                librarySectionID=season.section.key, librarySectionTitle=season.section.title,
                leafCount=len(season.episodes), addedAt=season.added_at,
                viewedLeafCount=viewed_leaf_count(world, user, season) if user else 0)


def item_el(world: World, item: AnyItem, user: User | None, *, detail: bool = False,
            guids: bool = True, check_files: bool = False) -> ET.Element:
    if isinstance(item, Show):
        return show_el(world, item, user, guids=guids)
    if isinstance(item, Season):
        return season_el(world, item, user)
    return video_el(world, item, user, detail=detail, guids=guids, check_files=check_files)


def watchlist_el(entry: WatchlistEntry) -> ET.Element:
    """A discover-provider item: online ids only (ratingKey is hex; no Guid children, no files)."""
    hex_id = entry.online_id
    tag = "Directory" if entry.type == "show" else "Video"
    key = f"/library/metadata/{hex_id}" + ("/children" if entry.type == "show" else "")
    el = _set(ET.Element(tag), ratingKey=hex_id, key=key, guid=entry.guid, type=entry.type, title=entry.title,
              year=entry.year, addedAt=entry.added_at, watchlistedAt=entry.added_at)
    if entry.type == "show":
        seasons = entry.item.seasons if isinstance(entry.item, Show) else []
        _set(el, childCount=len(seasons), leafCount=sum(len(s.episodes) for s in seasons))
    return el


def to_bytes(el: ET.Element) -> bytes:
    body: bytes = ET.tostring(el, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def live_session_el(s: PlaySession) -> ET.Element:
    """A Live TV session as a real PMS sends it: an EPG episode with ``live="1"``, a ``/livetv/sessions``
    key, a Part without ``file`` and no ``<User>`` element."""
    el = _set(ET.Element("Video"), ratingKey=s.item.rating_key, guid=s.item.guid, type="episode", title=s.item.title,
              grandparentTitle=s.item.title, key=f"/livetv/sessions/live_tv_{s.session_key}", live=1,
              sessionKey=s.session_key, parentIndex=1, index=1, addedAt=s.item.added_at, year=s.item.year or 2026)
    media = _set(ET.SubElement(el, "Media"), id=s.session_key + 700_000_000, container="mpegts", origin="livetv",
                 protocol="hls", uuid=f"live_tv_{s.session_key}", videoResolution="1080")
    _set(ET.SubElement(media, "Part"), id=s.session_key + 710_000_000, container="mpegts", protocol="hls")
    _set(ET.SubElement(media, "TranscodeSession"), key=f"/transcode/sessions/live-{s.session_key}", throttled=0,
         videoDecision="copy", audioDecision="copy", protocol="hls", container="mpegts")
    _set(ET.SubElement(el, "Player"), title=s.player, machineIdentifier=f"player-{s.session_key}", state=s.state,
         product="Plex for Android (TV)", platform="Android", local=1)
    return el


def collection_tags(world: World, movie: Movie) -> list[ET.Element]:
    """The ``<Collection>`` tags a movie's XML carries (the collections themselves: ``collections.py``)."""
    return [ET.Element("Collection", {"id": str(c.tag_id), "filter": f"collection={c.tag_id}", "tag": c.title})
            for c in world.collections if any(m is movie for m in c.movies)]
