"""Plex collections in the emulator: ``World.collections``, ``<Collection>`` tags on their movies, and the
endpoints a real PMS serves for them.

- ``GET /library/sections/{id}/collections``: the section's collections (``<Directory type="collection">``
  with ``collectionSort``: 0 release date, 1 alphabetical, 2 custom, and ``childCount``);
- ``GET /library/collections/{key}``: one collection's metadata;
- ``GET /library/collections/{key}/children``: its movies in the collection's order, with the asking user's
  view state (viewCount, viewOffset, lastViewedAt).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal

from cacherr.demo.plex_emulator.entities import Movie, Section
from cacherr.demo.plex_emulator.model import World
from cacherr.demo.plex_emulator.routing import Request, Response, error, page, route
from cacherr.demo.plex_emulator.xmlgen import _set, video_el

SORTS = {"release": 0, "alpha": 1, "custom": 2}


@dataclass
class Collection:
    rating_key: int
    title: str
    section: Section
    movies: list[Movie] = field(default_factory=list)
    sort: Literal["release", "alpha", "custom"] = "release"
    tag_id: int = 0

    @property
    def ordered(self) -> list[Movie]:
        if self.sort == "custom":
            return list(self.movies)
        if self.sort == "alpha":
            return sorted(self.movies, key=lambda m: m.title.lower())
        return sorted(self.movies, key=lambda m: (m.year or 0, m.title.lower()))


def add_collection(world: World, section: Section, title: str, movies: list[Movie], *,
                   sort: Literal["release", "alpha", "custom"] = "release") -> Collection:
    """A collection of ``movies`` in ``section`` (``sort="custom"``: the order given)."""
    with world.lock:
        coll = Collection(world.next_id(), title, section, list(movies), sort, world.next_id())
        world.collections.append(coll)
        return coll


def _directory(c: Collection) -> ET.Element:
    return _set(ET.Element("Directory"), ratingKey=c.rating_key, key=f"/library/collections/{c.rating_key}/children",
                guid=f"collection://{c.rating_key}", type="collection", title=c.title, subtype="movie",
                librarySectionID=c.section.key, librarySectionTitle=c.section.title,
                collectionSort=SORTS[c.sort], childCount=len(c.movies), smart=0)


def _find(req: Request) -> Collection | None:
    key = req.params["key"]
    return next((c for c in req.world.collections if str(c.rating_key) == key), None)


def section_collections(req: Request) -> Response:
    sec = req.world.section(req.params["id"])
    found = [c for c in req.world.collections if c.section is sec]
    return page(req, found, _directory, librarySectionID=sec.key, librarySectionTitle=sec.title)


def collection(req: Request) -> Response:
    c = _find(req)
    if c is None:
        return error(404, "Not Found")
    return page(req, [c], _directory)


def collection_children(req: Request) -> Response:
    c = _find(req)
    if c is None:
        return error(404, "Not Found")
    user = req.user
    assert user is not None  # the routing layer signs every library request in
    return page(req, c.ordered, lambda m: video_el(req.world, m, user), key=c.rating_key, title1=c.title,
                identifier="com.plexapp.plugins.library")


ROUTES = [
    route("GET", "/library/sections/{id}/collections", "/library/sections/{id}/collections", section_collections),
    route("GET", "/library/collections/{key}/children", "/library/collections/{key}/children", collection_children),
    route("GET", "/library/collections/{key}", "/library/collections/{key}", collection),
]
