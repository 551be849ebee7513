"""Which names count as a video's artwork or NFO (CACHE_ARTWORK)."""

from __future__ import annotations

import pytest

from cacherr.fileops.sidecars import is_artwork_of

VIDEO = "Heat (1995).mkv"


@pytest.mark.parametrize(("name", "only_video", "expected"), [
    ("Heat (1995).nfo", False, True),
    ("Heat (1995)-thumb.jpg", False, True),
    ("Heat (1995)-poster.PNG", False, True),
    ("poster.jpg", True, True),
    ("poster.jpg", False, False),  # a season folder's poster is shared by its episodes
    ("movie.nfo", True, True),
    ("movie.nfo", False, False),
    ("Heat (1995) 2.nfo", False, False),
    ("Heat (1995)-trailer.jpg", False, False),
    ("Heat (1995)-thumb.txt", False, False),
    (".poster.jpg", True, False),
    ("Heat (1995).mkv", True, False),
    ("Other-thumb.jpg", True, False),
])
def test_artwork_names(name: str, only_video: bool, expected: bool) -> None:
    assert is_artwork_of(VIDEO, name, only_video) is expected
