"""Artwork and NFO files travel with their video when CACHE_ARTWORK is on, in copy and move mode, and come
back with it; folder art shared by a season's episodes stays where it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.demo.lab import file_hash
from tests.cycle.real_world import RealWorld

MOVIE_ART = ["poster.jpg", "fanart.jpg", "movie.nfo", "Heat (1995).nfo", "Heat (1995)-thumb.jpg"]


@pytest.fixture(params=["true", "false"], ids=["copy", "move"])
def rw(request: pytest.FixtureRequest, tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"CACHE_ARTWORK": "true", "COPY_TO_CACHE": request.param})
    yield w
    w.close()


def put(base: Path, rel: str, data: bytes) -> Path:
    p = base / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_artwork_travels_with_the_video_and_comes_back(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    andor = rw.show("Andor", 4)
    movie_dir = Path(rw.path_of(heat)).parent
    season_dir = Path(rw.path_of(andor.episode(1, 2))).parent
    art = {str(movie_dir / n): f"{n} bytes".encode() for n in MOVIE_ART}
    art[str(season_dir / "Andor (2020) - S01E02.nfo")] = b"<episodedetails/>"
    shared = {str(season_dir / "poster.jpg"): b"season poster", str(movie_dir / "Other-thumb.jpg"): b"not ours"}
    for rel, data in {**art, **shared}.items():
        put(rw.lab.array_root, rel, data)
    rw.plex.set_progress("bob", heat, 120_000)
    rw.plex.mark_watched("alice", andor.episode(1, 1))
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    for rel, data in art.items():
        assert (rw.lab.cache_root / rel).read_bytes() == data, rel
    for rel in shared:
        assert not (rw.lab.cache_root / rel).exists(), f"{rel} is not this video's artwork"
    rw.plex.mark_watched("bob", heat)
    rw.plex.mark_watched("alice", andor.episode(1, 2))
    back = rw.service.run("manual")
    assert back.status == "ok" and len(back.restored) == 2, back.message
    for rel, data in {**art, **shared}.items():
        assert (rw.lab.array_root / rel).read_bytes() == data, f"{rel} lost or changed"
        if rel in art:
            assert not (rw.lab.cache_root / rel).exists(), f"{rel} stayed on the cache"
    assert rw.intact(heat) and not rw.partials()
    assert file_hash(rw.lab.array(rw.path_of(heat))) == rw.lab.hashes[rw.path_of(heat)]


def test_without_the_setting_only_subtitles_travel(rw: RealWorld) -> None:
    rw.set(CACHE_ARTWORK="false")
    heat = rw.movie("Heat", 1995)
    movie_dir = Path(rw.path_of(heat)).parent
    put(rw.lab.array_root, str(movie_dir / "poster.jpg"), b"poster")
    put(rw.lab.array_root, str(movie_dir / "Heat (1995).en.srt"), b"1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    rw.plex.set_progress("bob", heat, 120_000)
    assert rw.service.run("manual").status == "ok"
    assert (rw.lab.cache_root / movie_dir / "Heat (1995).en.srt").exists()
    assert not (rw.lab.cache_root / movie_dir / "poster.jpg").exists()
