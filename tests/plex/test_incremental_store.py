"""``SqlitePlexCache`` (migration 0005) on a real SQLite file: items round-trip exactly, a full read replaces
what was stored, keys Plex dropped are remembered as gone, and the read state survives a reopen."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from cacherr.adapters.sqlite_plex_cache import SqlitePlexCache, item_from_json, item_to_json
from cacherr.adapters.sqlite_store import open_database
from cacherr.domain.media import MediaFile, MediaItem, MediaKind, MediaVersion
from cacherr.ports import KnownItem, PlexReadState


def f(name: str, size: int, sidecars: tuple[str, ...] = ()) -> MediaFile:
    return MediaFile(f"/data/movies/{name}", f"/mnt/user0/movies/{name}", f"/mnt/cache/movies/{name}", size,
                     "movies", sidecars)


def movie(key: str = "7", title: str = "Heat") -> MediaItem:
    uhd = (f("Heat - 2160p - pt1.mkv", 30), f("Heat - 2160p - pt2.mkv", 31))
    hd = (f("Heat.mkv", 10, ("/mnt/user0/movies/Heat.en.srt", "/mnt/user0/movies/Heat.fr.forced.srt")),)
    return MediaItem(key, MediaKind.MOVIE, title, "Movies", (*hd, *uhd), year=1995,
                     guids=("plex://movie/1", "imdb://tt0113277"), duration_ms=6_000_000,
                     versions=(MediaVersion(hd, 1080, 8000, "1080"), MediaVersion(uhd, 2160, None, "4k")))


def episode(key: str) -> MediaItem:
    return MediaItem(key, MediaKind.EPISODE, "Pilot", "TV Shows", (f(f"S01E{key}.mkv", 5),), show_key="100",
                     show_title="Long Show", season=1, episode=int(key), year=2010)


def test_an_item_round_trips_exactly() -> None:
    added = MediaItem("8", MediaKind.MOVIE, "Coll", "Movies", (), added_at=datetime(2026, 1, 2, tzinfo=UTC),
                      collections=("Heat Collection",))
    for item in (movie(), episode("3"), MediaItem("9", MediaKind.MOVIE, "No file", "Movies", ()), added):
        assert item_from_json(item_to_json(item)) == item


def test_every_media_item_field_is_stored() -> None:
    """A field added to MediaItem must be added to the stored JSON too (else incremental reads lose it)."""
    assert set(json.loads(item_to_json(movie()))) == {f.name for f in fields(MediaItem)}


def test_save_replace_forget_and_read_state(tmp_path: Path) -> None:
    db = open_database(tmp_path / "state.db")
    assert db.schema_version >= 5
    cache = SqlitePlexCache(lambda: db)  # opened on first use
    assert cache.read_state() == PlexReadState()
    cache.save([KnownItem(movie(), 1700, ("a note",)), KnownItem(episode("1"), 1800)],
               [("alice", "7", 2), ("alice", "1", 0), ("bob", "7", 0)], replace=True)
    assert cache.items(["7", "1", "404"]) == {"7": KnownItem(movie(), 1700, ("a note",)),
                                              "1": KnownItem(episode("1"), 1800)}
    assert cache.watched("alice", ["7", "1", "404"]) == {"7": 2, "1": 0}
    cache.save([KnownItem(movie(title="Heat (upgraded)"), 1900)], [("bob", "7", 1)], forget=["1"])
    assert cache.items(["7", "1"])["7"].item.title == "Heat (upgraded)"
    assert "1" not in cache.items(["1"]) and cache.gone(["1", "7"]) == {"1"}
    assert cache.watched("bob", ["7"]) == {"7": 1}
    cache.save([KnownItem(episode("2"), 5)], [], replace=True)  # a full read: nothing older stays
    assert set(cache.items(["1", "2", "7"])) == {"2"} and cache.gone(["1"]) == set()
    assert cache.watched("alice", ["7"]) == {}
    when = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    state = PlexReadState(when, when, "incremental", 42, False, "abc", {"1": (10, 1700), "2": (99, 1800)})
    cache.record_read(state)
    db.close()
    db = open_database(tmp_path / "state.db")
    again = SqlitePlexCache(db)
    assert again.read_state() == state
    again.mark_needs_full()
    assert again.read_state().needs_full
    db.close()


def test_many_keys_are_read_in_chunks(tmp_path: Path) -> None:
    db = open_database(tmp_path / "state.db")
    cache = SqlitePlexCache(db)
    cache.save([KnownItem(episode(str(i)), i) for i in range(1, 1201)], [("u", str(i), 1) for i in range(1, 1201)])
    assert len(cache.items([str(i) for i in range(1, 1301)])) == 1200
    assert len(cache.watched("u", [str(i) for i in range(1, 1301)])) == 1200  # all of the user's rows at once
    assert cache.watched("u", [str(i) for i in range(1195, 1205)]) == {str(i): 1 for i in range(1195, 1201)}
    assert cache.watched("v", [str(i) for i in range(1, 1301)]) == {}
    db.close()


def test_migration_0008_keeps_every_watched_row(tmp_path: Path) -> None:
    """0008 moves plex_watched to a table clustered by item: every row of a 0007 database survives."""
    import sqlite3

    from cacherr.adapters.sqlite_store import _split_sql, migrations

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number > 7:
            break
        for statement in _split_sql(sql):
            conn.execute(statement)
    rows = [("alice", "7", 2), ("bob", "7", 0), ("alice", "8", 0)]
    conn.executemany("INSERT INTO plex_watched (user, rating_key, view_count) VALUES (?, ?, ?)", rows)
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    db = open_database(path)
    try:
        assert db.schema_version >= 8
        got = {(r[0], r[1], r[2]) for r in db.query("SELECT user, rating_key, view_count FROM plex_watched")}
        assert got == set(rows)
        states = SqlitePlexCache(db).watch_states(["7", "8", "9"])
        assert states["7"].known == {"alice", "bob"} and states["7"].watched == {"alice"}
        assert states["8"].known == {"alice"} and not states["8"].watched and "9" not in states
    finally:
        db.close()
