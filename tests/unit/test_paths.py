"""PathMapper: pure, table-driven."""

from __future__ import annotations

import pytest

from cacherr.domain.errors import UnmappedPath, UnsafePath
from cacherr.domain.paths import PathMapper, PathMapping, is_union_view, is_within, normalise

MAPPER = PathMapper([
    PathMapping("media", "/data", "/mnt/user0/media", "/mnt/cache/media"),
    PathMapping("tv", "/data/tv", "/mnt/disk2/tv", "/mnt/fast/tv"),
    PathMapping("movies", "/movies", "/mnt/user0/movies", "/mnt/cache/movies"),
])


@pytest.mark.parametrize(("plex", "mapping", "array", "cache"), [
    ("/data/Film/A.mkv", "media", "/mnt/user0/media/Film/A.mkv", "/mnt/cache/media/Film/A.mkv"),
    ("/data/tv/Show/S01/e1.mkv", "tv", "/mnt/disk2/tv/Show/S01/e1.mkv", "/mnt/fast/tv/Show/S01/e1.mkv"),
    ("/data/tvshows/x.mkv", "media", "/mnt/user0/media/tvshows/x.mkv", "/mnt/cache/media/tvshows/x.mkv"),
    ("/movies//Amélie (2001)/Amélie.mkv", "movies", "/mnt/user0/movies/Amélie (2001)/Amélie.mkv",
     "/mnt/cache/movies/Amélie (2001)/Amélie.mkv"),
    ("/data/./a/../b #1.mkv", "media", "/mnt/user0/media/b #1.mkv", "/mnt/cache/media/b #1.mkv"),
])
def test_maps_by_longest_prefix(plex: str, mapping: str, array: str, cache: str) -> None:
    m = MAPPER.map(plex)
    assert (m.mapping, m.array_path, m.cache_path) == (mapping, array, cache)


@pytest.mark.parametrize("plex", [
    "/other/x.mkv",        # outside every mapping
    "/database/x.mkv",     # prefix of a word is not a prefix of a path
    "/data",               # the root itself is not a media file
    "/data/../etc/passwd",  # escapes the root
    "relative/x.mkv",
])
def test_unmapped_paths_are_reported_not_guessed(plex: str) -> None:
    with pytest.raises(UnmappedPath, match="PATH_MAPPINGS"):
        MAPPER.map(plex)
    assert MAPPER.try_map(plex) is None


@pytest.mark.parametrize(("path", "inside"), [
    ("/mnt/cache/media/a.mkv", True),
    ("/mnt/user0/movies/x/y.mkv", True),
    ("/mnt/cache/media/../../../etc/shadow", False),
    ("/mnt/cache/mediax/a.mkv", False),
    ("/etc/passwd", False),
    ("mnt/cache/media/a", False),
])
def test_check_inside_roots(path: str, inside: bool) -> None:
    if inside:
        assert MAPPER.check_inside_roots(path) == normalise(path)
    else:
        with pytest.raises(UnsafePath):
            MAPPER.check_inside_roots(path)


def test_counterpart_from_either_side() -> None:
    a = MAPPER.counterpart("/mnt/fast/tv/Show/e.mkv")
    b = MAPPER.counterpart("/mnt/disk2/tv/Show/e.mkv")
    assert a == b and a is not None and a.cache_path == "/mnt/fast/tv/Show/e.mkv"
    assert MAPPER.counterpart("/elsewhere/e.mkv") is None


@pytest.mark.parametrize(("path", "union"), [
    ("/mnt/user", True), ("/mnt/user/", True), ("/mnt/user/Movies", True),
    ("/mnt/user0/Movies", False), ("/mnt/users", False), ("/mnt/disk1/Movies", False),
])
def test_union_view_detection(path: str, union: bool) -> None:
    assert is_union_view(path) is union


def test_is_within_is_path_aware() -> None:
    assert is_within("/a/b", "/a") and is_within("/a", "/a") and not is_within("/ab", "/a")


def test_mapping_needs_absolute_paths_and_at_least_one() -> None:
    with pytest.raises(UnsafePath, match="absolute"):
        PathMapping("x", "data", "/a", "/c")
    with pytest.raises(UnsafePath, match="no path mapping"):
        PathMapper([])


def test_backslash_is_part_of_a_linux_file_name() -> None:
    """Regression: normalise() once turned '\\' into '/', mangling real names like 'AC\\DC Live.mkv'."""
    m = MAPPER.map("/data/Music/AC\\DC Live.mkv")
    assert m.array_path == "/mnt/user0/media/Music/AC\\DC Live.mkv"
