"""The answers incremental reads depend on (play history since T, a section's items updated since T, the
newest item with the count), checked with the same assertions against the emulator and against the
recorded-style fixtures (tests/plex/fixtures, see its README); and the emulator honours the filters
python-plexapi sends."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
import requests
from plexapi.server import PlexServer

from cacherr.adapters.plex_incremental import history_keys
from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.demo.plex_emulator.library_changes import add_episode, replace_file
from tests.plex.conftest import NOW

FIX = Path(__file__).parent / "fixtures"


def check_history(root: ET.Element, since: int) -> dict[str, set[str]]:
    """What plex_incremental reads of a history answer holds in both sources."""
    entries = [el for el in root if el.get("historyKey")]
    assert entries, "no history entries"
    viewed = [int(el.get("viewedAt") or 0) for el in entries]
    assert viewed == sorted(viewed, reverse=True)  # newest first
    assert all(v >= since for v in viewed)
    assert all(el.get("ratingKey", "").isdigit() and el.get("accountID", "").isdigit() for el in entries)
    found = history_keys(entries)
    assert found and all(keys for keys in found.values())
    return found


def check_changes(root: ET.Element, since: int) -> list[str]:
    videos = [el for el in root if el.tag == "Video"]
    assert videos
    for el in videos:
        assert int(el.get("updatedAt") or 0) > since  # updatedAt>>= is "after"
        assert int(el.get("addedAt") or 0) <= int(el.get("updatedAt") or 0)
        assert el.get("ratingKey", "").isdigit() and any(p.get("file") for p in el.iter("Part"))
    assert int(root.get("totalSize") or 0) == len(videos)
    return [str(el.get("ratingKey")) for el in videos]


def get(session: requests.Session, url: str, path: str) -> ET.Element:
    answer = session.get(url + path, headers={"X-Plex-Token": "owner-token"}, timeout=5)
    answer.raise_for_status()
    return ET.fromstring(answer.content)


def test_recorded_history_passes_the_contract() -> None:
    found = check_history(ET.fromstring((FIX / "history_since.xml").read_bytes()), 1_790_000_000)
    assert found == {"1": {"5012"}, "23851234": {"2718"}}  # the music track is not media Cacherr caches


def test_recorded_section_changes_pass_the_contract() -> None:
    assert check_changes(ET.fromstring((FIX / "section_updated_episodes.xml").read_bytes()), 1_790_000_000) \
        == ["5013"]


@pytest.fixture
def moving_world(world: World) -> World:
    state = {"t": NOW}
    world.clock = lambda: state["t"]
    state["t"] = NOW + 100
    return world


def test_emulator_history_passes_the_contract(moving_world: World, emu: PlexEmulator,
                                              session: requests.Session) -> None:
    w = moving_world
    long_show = next(s for s in w.shows() if s.title == "Long Show")
    w.mark_watched("bob", long_show.episode(1, 2), at=NOW + 50)
    w.mark_watched("owner", long_show.episode(1, 3), at=NOW + 60)
    root = get(session, emu.url, f"/status/sessions/history/all?sort=viewedAt%3Adesc&viewedAt>={NOW + 50}")
    found = check_history(root, NOW + 50)
    assert found == {"1": {str(long_show.episode(1, 3).rating_key)},
                     str(w.user("bob").id): {str(long_show.episode(1, 2).rating_key)}}


def test_emulator_section_changes_pass_the_contract(moving_world: World, emu: PlexEmulator,
                                                    session: requests.Session) -> None:
    w = moving_world
    example = next(s for s in w.shows() if s.title == "Example Show")
    new = add_episode(w, example, 2, 4)
    tv = w.section("TV Shows")
    root = get(session, emu.url, f"/library/sections/{tv.key}/all?type=4&updatedAt>>={NOW}")
    assert check_changes(root, NOW) == [str(new.rating_key)]
    newest = get(session, emu.url, f"/library/sections/{tv.key}/all?type=4&sort=addedAt%3Adesc"
                                   "&X-Plex-Container-Start=0&X-Plex-Container-Size=1")
    assert [el.get("ratingKey") for el in newest] == [str(new.rating_key)]
    assert int(newest.get("totalSize") or 0) == sum(len(s.episodes()) for s in w.shows())


def test_emulator_honours_what_plexapi_sends_for_history(moving_world: World, emu: PlexEmulator,
                                                         session: requests.Session) -> None:
    """plexapi's history(mindate=..., accountID=...) and the raw path plex_incremental asks for agree."""
    w = moving_world
    long_show = next(s for s in w.shows() if s.title == "Long Show")
    w.mark_watched("bob", long_show.episode(1, 4), at=NOW + 80)
    plex = PlexServer(emu.url, "owner-token", session=session, timeout=5)
    since = datetime.fromtimestamp(NOW + 80)  # plexapi sends viewedAt>=int(mindate.timestamp())
    via_plexapi = {(str(h.accountID), str(h.ratingKey)) for h in plex.history(mindate=since)}
    assert via_plexapi == {(str(w.user("bob").id), str(long_show.episode(1, 4).rating_key))}
    bob_only = plex.history(mindate=datetime.fromtimestamp(NOW - 10 * 86_400), accountID=w.user("bob").id)
    assert {str(h.accountID) for h in bob_only} == {str(w.user("bob").id)} and len(bob_only) == 2
    raw = get(session, emu.url, f"/status/sessions/history/all?sort=viewedAt%3Adesc&viewedAt>={NOW + 80}")
    assert {(a, k) for a, keys in history_keys(list(raw)).items() for k in keys} == via_plexapi


def test_emulator_updated_since_follows_an_upgrade(moving_world: World, emu: PlexEmulator,
                                                   session: requests.Session) -> None:
    w = moving_world
    heat = next(m for m in w.movies() if m.title == "Heat")
    movies = w.section("Movies")
    assert len(list(get(session, emu.url, f"/library/sections/{movies.key}/all?type=1&updatedAt>>={NOW}"))) == 0
    replace_file(w, heat, "/data/movies/Heat (1995)/Heat.2160p.mkv", 1)
    root = get(session, emu.url, f"/library/sections/{movies.key}/all?type=1&updatedAt>>={NOW}")
    assert check_changes(root, NOW) == [str(heat.rating_key)]
