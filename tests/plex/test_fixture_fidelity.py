"""The recorded-style fixtures (tests/plex/fixtures, see its README) against the real plexapi and the
adapter, and the emulator's answers compared with them attribute by attribute for each endpoint the
product uses: an attribute the product reads is present in the emulator's answer exactly when it is
present in the recorded shape."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
from plexapi.myplex import MyPlexAccount
from plexapi.server import PlexServer

from cacherr.demo.plex_emulator import PlexEmulator, World
from tests.plex.conftest import MakeServer

FIX = Path(__file__).parent / "fixtures"
# The attributes the product reads, per element (adapters/plex*.py and plexapi's parsing of them).
READS: dict[str, set[str]] = {
    "MediaContainer": {"machineIdentifier", "myPlexUsername", "friendlyName", "version"},
    "Video": {"ratingKey", "key", "type", "title", "live", "sessionKey", "grandparentTitle", "parentIndex", "index",
              "librarySectionID", "librarySectionTitle", "guid", "viewOffset", "duration", "year"},
    "Part": {"file", "size", "exists", "accessible", "decision"},
    "User": {"id", "title", "username", "email", "home", "protected", "restricted"},
    "Player": {"title", "state"},
    "Server": {"machineIdentifier", "allLibraries"},
    "SharedServer": {"userID", "accessToken", "allLibraries", "username", "email"},
    "Section": {"key", "shared", "type", "title"},
}


def read(name: str) -> ET.Element:
    return ET.fromstring((FIX / name).read_bytes())


def shape(el: ET.Element) -> dict[str, set[str]]:
    """Per tag, the product-read attributes present (union over elements of that tag); tags present."""
    out: dict[str, set[str]] = {}
    for sub in el.iter():
        if sub.tag in READS:
            out.setdefault(sub.tag, set()).update(set(sub.attrib) & READS[sub.tag])
    return out


def same_shape(recorded: ET.Element, emulated: ET.Element) -> None:
    rec, emu = shape(recorded), shape(emulated)
    assert set(rec) == set(emu), "element kinds differ"
    for tag in rec:
        assert rec[tag] == emu[tag], f"<{tag}>: recorded {sorted(rec[tag])}, emulator {sorted(emu[tag])}"


def get(emu: PlexEmulator, session: requests.Session, path: str, token: str = "owner-token") -> ET.Element:
    r = session.get(f"{emu.url}{path}", headers={"X-Plex-Token": token})
    assert r.status_code == 200, r.text
    return ET.fromstring(r.content)


def test_live_tv_session(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    world.start_session("owner", next(iter(world.movies())), live=True)
    same_shape(read("session_live_tv.xml"), get(emu, session, "/status/sessions"))


def test_transcode_session(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    world.start_session("owner", next(iter(world.movies())), transcode=True)
    same_shape(read("session_transcode.xml"), get(emu, session, "/status/sessions"))


def test_server_root_with_email(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    world.email_as_username = True
    emulated = get(emu, session, "/")
    same_shape(read("server_root_email.xml"), emulated)
    assert "@" in str(emulated.get("myPlexUsername")) and "@" in str(read("server_root_email.xml").get("myPlexUsername"))


def test_plex_tv_users(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    bob = world.user("bob")
    bob.shared_sections = [world.sections[1].key]
    emulated = get(emu, session, "/_plextv/api/users")
    same_shape(read("plextv_users.xml"), emulated)


def test_shared_servers(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    world.user("bob").shared_sections = [world.sections[1].key]
    emulated = get(emu, session, f"/_plextv/api/servers/{world.machine_id}/shared_servers")
    same_shape(read("plextv_shared_servers.xml"), emulated)
    bob_el = next(el for el in emulated.iter("SharedServer") if el.get("username") == "bob")
    assert [s.get("shared") for s in bob_el.iter("Section")] == ["0", "1"]


def test_metadata_with_check_files(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    movie = next(iter(world.movies()))
    movie.parts[0].exists = False
    emulated = get(emu, session, f"/library/metadata/{movie.rating_key}?checkFiles=1")
    for el in emulated.iter("Part"):  # detail views add Streams; the recorded one is a list view
        for child in list(el):
            el.remove(child)
    same_shape(read("metadata_checkfiles.xml"), emulated)
    assert emulated.find(".//Part").get("exists") == "0"  # type: ignore[union-attr]
    plain = get(emu, session, f"/library/metadata/{movie.rating_key}")
    assert plain.find(".//Part").get("exists") is None  # type: ignore[union-attr]  # only when asked


def test_friends_rss_feed(world: World, emu: PlexEmulator, session: requests.Session) -> None:
    world.add_to_watchlist("bob", next(iter(world.movies())))
    r = session.get(f"{emu.url}/_discover/rss/{world.friends_rss_id}?format=json")
    recorded = json.loads((FIX / "friends_watchlist_rss.json").read_text())
    emulated = r.json()
    assert set(emulated) == set(recorded)
    assert {k for i in emulated["items"] for k in i} == {k for i in recorded["items"] for k in i}
    assert all(g.split("://")[0] in ("plex", "imdb", "tmdb", "tvdb") for i in emulated["items"] for g in i["guids"])


# --- the real plexapi and the adapter against the recorded shapes -----------------------------

def test_plexapi_raises_on_live_tv_the_adapter_does_not(emu: PlexEmulator, session: requests.Session,
                                                        make_server: MakeServer) -> None:
    emu.override("/status/sessions", (FIX / "session_live_tv.xml").read_bytes())
    with pytest.raises(AttributeError):
        PlexServer(emu.url, "owner-token", session=session, timeout=5).sessions()
    assert make_server().sessions() == ()


def test_adapter_reads_transcode_session(emu: PlexEmulator, make_server: MakeServer) -> None:
    emu.override("/status/sessions", (FIX / "session_transcode.xml").read_bytes())
    [s] = make_server().sessions()
    assert (s.user, s.item_key, s.plex_path, s.player) == ("owner", "2718", "", "Chrome")


def test_plexapi_reads_users_and_check_files(emu: PlexEmulator, session: requests.Session) -> None:
    emu.override("/_plextv/api/users/", (FIX / "plextv_users.xml").read_bytes())
    emu.override("/_plextv/api/users", (FIX / "plextv_users.xml").read_bytes())
    account = MyPlexAccount(token="owner-token", session=session, timeout=5)
    users = account.users()
    assert [(u.id, u.username, u.email, u.home) for u in users] == [
        (1001, "alice", "alice@example.invalid", False), (1002, "", "", True)]
    emu.override("/library/metadata/2718", (FIX / "metadata_checkfiles.xml").read_bytes())
    plex = PlexServer(emu.url, "owner-token", session=session, timeout=5)
    part = plex.fetchItem(2718).media[0].parts[0]
    assert (part.exists, part.accessible) == (False, False)
