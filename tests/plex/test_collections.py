"""Issue 15.2: the next film of a Plex collection (CACHE_COLLECTION_NEXT), with the real plexapi against the
emulator's collections over HTTP (/library/sections/{id}/all?type=18, /library/collections/{key}/children,
<Collection> tags on movies)."""

from __future__ import annotations

from typing import Any

from plexapi.server import PlexServer

from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.demo.plex_emulator.collections import add_collection
from cacherr.domain.media import Reason, Snapshot
from tests.plex.conftest import NOW, MakeServer


def films(world: World) -> dict[str, Any]:
    return {m.title: m for m in world.movies()}


def nexts(snap: Snapshot, user: str) -> list[str]:
    return [snap.items[w.item_key].title for w in snap.wants if w.user == user and w.reason is Reason.COLLECTION]


def test_plexapi_reads_the_emulators_collections(world: World, emu: PlexEmulator, session: Any) -> None:
    m = films(world)
    add_collection(world, world.sections[0], "Mixed", [m["Inception"], m["The Matrix"]], sort="custom")
    server = PlexServer(emu.url, "owner-token", session=session)
    (coll,) = server.library.section("Movies").collections()
    assert coll.title == "Mixed" and coll.collectionSort == 2 and coll.childCount == 2
    assert [f.title for f in coll.items()] == ["Inception", "The Matrix"]
    assert [t.tag for t in server.fetchItem(m["Inception"].rating_key).collections] == ["Mixed"]


def test_next_film_in_release_order_for_the_user_watching(world: World, make_server: MakeServer) -> None:
    m = films(world)  # alice is 10 minutes into Amélie (2001)
    add_collection(world, world.sections[0], "Favourites", [m["Inception"], m["Amélie"], m["The Matrix"], m["Heat"]])
    snap = make_server(collection_next=True).snapshot()
    assert nexts(snap, "alice") == ["Inception"]  # 1995, 1999, 2001 -> 2010
    assert snap.items[next(w.item_key for w in snap.wants if w.reason is Reason.COLLECTION)].files
    assert nexts(make_server().snapshot(), "alice") == [], "off by default"


def test_custom_order_and_watched_films_are_skipped(world: World, make_server: MakeServer) -> None:
    m = films(world)
    add_collection(world, world.sections[0], "Custom", [m["Amélie"], m["Heat"], m["The Matrix"], m["Inception"]],
                   sort="custom")
    world.mark_watched("alice", m["Heat"], at=NOW - 60)
    snap = make_server(collection_next=True).snapshot()
    assert nexts(snap, "alice") == ["The Matrix"], "custom order; Heat was already watched by alice"
    assert nexts(snap, "bob") == []


def test_just_finished_a_tracked_movie_caches_the_next(world: World, make_server: MakeServer) -> None:
    m = films(world)
    add_collection(world, world.sections[0], "Heat and after", [m["Heat"], m["Inception"]])
    world.mark_watched("bob", m["Heat"], at=NOW - 60)  # Heat was cached for bob; he has just finished it
    snap = make_server(collection_next=True).snapshot(tracked_keys=[str(m["Heat"].rating_key)])
    assert nexts(snap, "bob") == ["Inception"]
    assert nexts(snap, "kid") == [], "kid never watched Heat"


def test_a_collection_that_cannot_be_read_is_a_problem_not_a_failure(world: World, emu: PlexEmulator,
                                                                     make_server: MakeServer) -> None:
    m = films(world)
    add_collection(world, world.sections[0], "Broken", [m["Amélie"], m["Inception"]])
    emu.inject("/library/collections/{key}/children", "500", times=None)
    snap = make_server(collection_next=True).snapshot()
    assert nexts(snap, "alice") == []
    assert any("could not read the collection 'Broken' for alice" in p for p in snap.problems), snap.problems
    assert [t for t, r, _ in [(snap.items[w.item_key].title, w.reason, 0) for w in snap.wants]
            if r is Reason.IN_PROGRESS] == ["Amélie"], "the rest of the snapshot goes on"
