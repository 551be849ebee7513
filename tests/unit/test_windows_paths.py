"""Issue 13.5: Plex on Windows (or reading a share of another machine) maps to POSIX array/cache paths.
Drive letters in any case, UNC paths, backslashes and slashes; table-tested, pure."""

from __future__ import annotations

import pytest

from cacherr.domain.errors import UnsafePath
from cacherr.domain.paths import PathMapper, PathMapping, is_within, path_key
from cacherr.domain.winpath import is_windows, join, parse
from cacherr.settings import ConfigError, build_settings
from cacherr.settings_types import PathMappingSetting

WIN = PathMapper([
    PathMapping("movies", "M:\\Media\\Movies", "/mnt/user0/movies", "/mnt/cache/movies"),
    PathMapping("tv", "\\\\tower\\media\\TV", "/mnt/user0/tv", "/mnt/cache/tv"),
    PathMapping("kids", "m:/Media/Movies/Kids", "/mnt/disk3/kids", "/mnt/cache/kids"),
    PathMapping("linux", "/data", "/mnt/user0/data", "/mnt/cache/data"),
])


@pytest.mark.parametrize(("plex", "mapping", "relative"), [
    ("M:\\Media\\Movies\\Heat (1995)\\Heat.mkv", "movies", "Heat (1995)/Heat.mkv"),
    ("m:\\media\\movies\\Heat (1995)\\Heat.mkv", "movies", "Heat (1995)/Heat.mkv"),  # any case
    ("M:/Media/Movies/Heat (1995)/Heat.mkv", "movies", "Heat (1995)/Heat.mkv"),      # slashes
    ("M:\\Media\\\\Movies\\.\\A\\..\\Up.mkv", "movies", "Up.mkv"),                   # doubled, . and ..
    ("M:\\Media\\Movies\\Kids\\Cars.mkv", "kids", "Cars.mkv"),                      # longest root wins
    ("M:\\MEDIA\\movies\\kids\\Cars.mkv", "kids", "Cars.mkv"),
    ("\\\\tower\\media\\TV\\Dark\\Season 1\\S01E01.mkv", "tv", "Dark/Season 1/S01E01.mkv"),
    ("\\\\TOWER\\Media\\tv\\Dark\\S01E02.mkv", "tv", "Dark/S01E02.mkv"),             # UNC, any case
    ("/data/AC\\DC Live.mkv", "linux", "AC\\DC Live.mkv"),                          # POSIX keeps '\'
])
def test_windows_plex_paths_map_to_posix_paths(plex: str, mapping: str, relative: str) -> None:
    m = WIN.map(plex)
    root = {"movies": "movies", "tv": "tv", "kids": "kids", "linux": "data"}[mapping]
    prefix = "/mnt/disk3" if mapping == "kids" else "/mnt/user0"
    assert (m.mapping, m.relative) == (mapping, relative)
    assert m.array_path == f"{prefix}/{root}/{relative}"
    assert m.cache_path == f"/mnt/cache/{root}/{relative}"


@pytest.mark.parametrize("plex", [
    "N:\\Media\\Movies\\Heat.mkv",          # another drive
    "M:\\Media\\Movies",                    # the root itself is not a media file
    "M:\\Media\\Movies\\..\\..\\secret.txt",  # escapes the root
    "M:\\Media\\MoviesOld\\x.mkv",          # a longer folder name is not below the root
    "\\\\nas\\media\\TV\\x.mkv",            # another server
    "\\\\tower\\other\\TV\\x.mkv",          # another share
    "Media\\Movies\\x.mkv",                 # relative
])
def test_windows_paths_outside_every_mapping_are_reported(plex: str) -> None:
    assert WIN.try_map(plex) is None


@pytest.mark.parametrize(("path", "windows"), [
    ("C:\\", True), ("c:/x", True), ("z:", True), ("\\\\srv\\share\\x", True), ("\\\\srv\\share", True),
    ("/data/x", False), ("//srv/share", False), ("data\\x", False), ("CC:\\x", False), ("1:\\x", False),
])
def test_what_counts_as_a_windows_path(path: str, windows: bool) -> None:
    assert is_windows(path) is windows


def test_to_plex_writes_what_plex_reports() -> None:
    movies = next(m for m in WIN.mappings if m.name == "movies")
    assert movies.to_plex("Heat (1995)/Heat.mkv") == "M:\\Media\\Movies\\Heat (1995)\\Heat.mkv"
    tv = next(m for m in WIN.mappings if m.name == "tv")
    assert tv.to_plex("Dark/S01E01.mkv") == "\\\\tower\\media\\TV\\Dark\\S01E01.mkv"
    assert join("\\\\tower\\media", "a/b") == "\\\\tower\\media\\a\\b"
    assert path_key("m:/media/MOVIES/x.mkv") == path_key("M:\\Media\\Movies\\X.MKV")
    assert path_key("/data/X.mkv") != path_key("/data/x.mkv")  # Linux names keep their case
    assert is_within("M:\\Media\\Movies\\x.mkv", "m:/media") and not is_within("M:\\x.mkv", "N:\\")
    assert parse("\\\\tower") is None


def test_mapping_rejects_a_windows_path_on_the_real_side() -> None:
    with pytest.raises(UnsafePath):
        PathMapping("x", "M:\\Movies", "D:\\array", "/mnt/cache")
    with pytest.raises(UnsafePath, match="plex_path"):
        PathMapping("x", "Movies", "/mnt/user0", "/mnt/cache")


@pytest.mark.parametrize("plex_source", ["M:\\Media", "m:/media", "\\\\tower\\media"])
def test_plex_source_accepts_windows_roots(plex_source: str) -> None:
    s = build_settings({"PLEX_SOURCE": plex_source, "REAL_SOURCE": "/mnt/user0/media",
                        "CACHE_DESTINATION": "/mnt/cache/media"}, {})
    mapper = PathMapper(s.path_mappings())
    assert mapper.map(join(plex_source, "Film/A.mkv")).cache_path == "/mnt/cache/media/Film/A.mkv"


def test_path_mappings_json_with_backslashes() -> None:
    raw = ('[{"name":"movies","plex_path":"M:\\\\Media\\\\Movies","real_path":"/mnt/user0/movies",'
           '"cache_path":"/mnt/cache/movies"}]')
    s = build_settings({"PATH_MAPPINGS": raw}, {})
    assert s.path_mappings()[0].plex_path == "M:\\Media\\Movies"
    with pytest.raises(ConfigError, match="real_path"):
        build_settings({"PATH_MAPPINGS": raw.replace("/mnt/user0/movies", "D:\\\\array")}, {})
    assert PathMappingSetting(plex_path="\\\\tower\\tv", real_path="/a", cache_path="/c").plex_path == "\\\\tower\\tv"
