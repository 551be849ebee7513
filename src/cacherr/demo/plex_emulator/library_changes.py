"""Library changes a real PMS makes on its own (a scan finds a new episode, an upgraded file, a deleted
item), and the ``addedAt``/``updatedAt`` filters a PMS applies to section listings::

    add_episode(world, show, 1, 11)           # a new episode: addedAt = updatedAt = now
    replace_file(world, movie, "/data/movies/X/X.2160p.mkv", 9000 * MB)   # an upgrade: updatedAt = now
    remove_item(world, episode)               # gone from the library (after emptying the trash)

Filters (as plexapi's ``section.search(filters=...)`` sends them, ``field>>=T`` for "after", ``field<<=T``
for "before", and ``field>=T`` as sent by ``history(mindate=...)``): see ``since_filters``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from cacherr.demo.plex_emulator.entities import AnyItem, Episode, Movie, Part, Season, Show, plex_guid
from cacherr.demo.plex_emulator.state import World

T = TypeVar("T", bound=AnyItem)
FIELDS = ("addedAt", "updatedAt")


def when_of(item: AnyItem, name: str) -> int:
    return item.added_at if name == "addedAt" else (item.updated_at or item.added_at)


def since_filters(query: Mapping[str, str], items: Sequence[T]) -> list[T]:
    """``items`` filtered by ``addedAt``/``updatedAt`` operators in the (decoded) query: the key ends with
    ``>>`` (after), ``<<`` (before) or ``>`` (at or after)."""
    out = list(items)
    for name in FIELDS:
        for op in (">>", "<<", ">"):
            value = query.get(name + op)
            if value is not None and value.lstrip("-").isdigit():
                out = [i for i in out if _compare(op, when_of(i, name), int(value))]
    return out


def _compare(op: str, value: int, limit: int) -> bool:
    return value > limit if op == ">>" else value < limit if op == "<<" else value >= limit


def _touch(world: World, item: AnyItem) -> None:
    item.updated_at = world.now()


def add_episode(world: World, show: Show, season: int, index: int, *, size: int = 1000 * 1024 * 1024) -> Episode:
    """A new episode (and season, when needed) with one file, as a scan adds it."""
    with world.lock:
        target = next((s for s in show.seasons if s.index == season), None)
        if target is None:
            srk = world.next_id()
            target = Season(srk, f"Season {season}", show.section, plex_guid("season", srk), [], show.year,
                            world.now(), show=show, index=season)
            world.items[srk] = target
            show.seasons.append(target)
        files = [p.file for e in show.episodes() for p in e.parts]
        folder = files[0].rsplit("/", 2)[0] if files else f"{show.section.location}/{show.title}"
        erk = world.next_id()
        name = f"{folder.rsplit('/', 1)[-1]} - S{season:02d}E{index:02d}.mkv"
        part = Part(world.next_id(), f"{folder}/Season {season:02d}/{name}", size)
        ep = Episode(erk, f"Episode {index}", show.section, plex_guid("episode", erk), [], show.year, world.now(),
                     show=show, season=target, index=index, parts=[part])
        ep.updated_at = world.now()
        target.episodes.append(ep)
        target.episodes.sort(key=lambda e: e.index)
        world.items[erk] = ep
        return ep


def replace_file(world: World, item: Movie | Episode, path: str, size: int) -> None:
    """The item's file was replaced (an upgrade): one new part, ``updatedAt`` moves to now."""
    with world.lock:
        item.parts = [Part(world.next_id(), path, size)]
        _touch(world, item)


def remove_item(world: World, item: Movie | Episode) -> None:
    """The item is gone from the library (deleted and the trash emptied): its rating key answers 404."""
    with world.lock:
        world.items.pop(item.rating_key, None)
        if isinstance(item, Episode) and item.season is not None:
            item.season.episodes = [e for e in item.season.episodes if e is not item]
        world.history = [h for h in world.history if h.item is not item]
        for views in world.views.values():
            views.pop(item.rating_key, None)
