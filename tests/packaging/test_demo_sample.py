"""The demo's curated world and storyline (pure: no HTTP, no files)."""

from __future__ import annotations

from cacherr.demo.plex_emulator.model import Episode, Movie
from cacherr.demo.sample import PLEX_ROOT, Sizes, Storyline, demo_world, media_files, next_unwatched


def test_world_has_users_libraries_histories_and_watchlists() -> None:
    w = demo_world(clock=lambda: 1_800_000_000.0)
    assert sorted(u.name for u in w.users.values()) == ["alice", "bob", "kid", "owner"]
    assert [s.location for s in w.sections] == [f"{PLEX_ROOT}/movies", f"{PLEX_ROOT}/tv"]
    owner = w.user("owner")
    example = next(s for s in w.shows() if s.title == "Example Show")
    assert next_unwatched(w, owner, example) is example.episode(2, 1)
    assert [e.title for e in w.watchlists[owner.id]] == ["Inception", "Not In The Library"]
    assert [e.title for e in w.watchlists[w.user("alice").id]] == ["The Matrix"]
    amelie = next(m for m in w.movies() if m.title == "Amélie")
    assert w.state(w.user("alice"), amelie.rating_key).view_offset == 1_200_000


def test_media_files_are_every_part_and_subtitle_under_the_plex_root() -> None:
    w = demo_world(scale=0.01)
    files = media_files(w)
    parts = [p for i in w.items.values() if isinstance(i, Movie | Episode) for p in i.parts]
    assert len(parts) == 7 + 8 + 18 + 12
    for p in parts:
        rel = p.file.removeprefix(PLEX_ROOT + "/")
        assert files[rel] == p.size
        assert p.size in (Sizes.scaled(0.01).movie, Sizes.scaled(0.01).episode)
        for s in p.subtitles:
            assert s.path.removeprefix(PLEX_ROOT + "/") in files
    assert not any(k.startswith("/") for k in files)


def test_storyline_starts_then_finishes_episodes_and_loops() -> None:
    w = demo_world(clock=lambda: 1_800_000_000.0)
    story = Storyline(w)
    events = [story.tick() for _ in range(4)]
    assert events[0] == "owner started Example Show S02E01"
    assert len(w.sessions) == 3
    assert events[3] == "alice finished Amélie"
    assert story.tick() == "owner finished Example Show S02E01"
    owner = w.user("owner")
    example = next(s for s in w.shows() if s.title == "Example Show")
    assert next_unwatched(w, owner, example) is example.episode(2, 2)
    seen = [story.tick() for _ in range(200)]
    assert "owner starts Example Show again from the beginning" in seen
    assert len(w.sessions) <= 3
