"""``ports.PlexCache`` on the state database (migration 0005): what Plex told earlier cycles.

``plex_items`` holds each movie or episode a snapshot needed (tracked, wanted, playing) as the converted
``MediaItem`` in JSON with Plex's ``updatedAt`` (an empty ``item``: Plex no longer has that key);
``plex_watched`` each user's view count of them (clustered by item since migration 0008);
``plex_reads`` one row saying when Plex was last read and from where the next incremental read starts.
A full read replaces both tables, so they hold what the last full read needed plus what came since.

Reads come from an in-memory copy (``plex_cache_memory``), loaded once per process and kept in step with
every write; it is dropped and loaded again when ``plex_reads`` shows a write by another process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from cacherr.adapters.plex_cache_memory import PlexCacheMemory
from cacherr.adapters.sqlite_store import Database
from cacherr.domain.media import MediaFile, MediaItem, MediaKind, MediaVersion
from cacherr.ports import KnownItem, PlexReadState, WatchState

WHOLE_USER = 1000  # more keys than this: read all of a user's rows at once
CHUNK = 500  # keys per IN (...) query (SQLite's default limit on variables is 32,766; stay far below)
READS_COLUMNS = ("last_full_at", "last_read_at", "last_kind", "last_requests", "needs_full", "fingerprint",
                 "sections")
PAGE = 2000  # items (or items' watched states) per query while loading the in-memory copy


def item_to_json(item: MediaItem) -> str:
    files = [_file_out(f) for f in item.files]
    index = {f: i for i, f in enumerate(item.files)}
    versions = [{"files": [index[f] if f in index else _file_out(f) for f in v.files], "height": v.height,
                 "bitrate": v.bitrate, "label": v.label} for v in item.versions]
    data = {"key": item.key, "kind": item.kind.value, "title": item.title, "library": item.library, "files": files,
            "show_key": item.show_key, "show_title": item.show_title, "season": item.season,
            "episode": item.episode, "year": item.year, "guids": list(item.guids), "duration_ms": item.duration_ms,
            "versions": versions, "added_at": item.added_at.isoformat() if item.added_at else None,
            "collections": list(item.collections)}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def item_from_json(text: str, shared: dict[Any, Any] | None = None) -> MediaItem:
    """``shared``: values seen before (libraries, show titles, mappings, dates...), so that many items
    decoded together hold one copy of each rather than one per item."""
    d = json.loads(text)
    one: Callable[[Any], Any] = (lambda v: v) if shared is None else (lambda v: shared.setdefault(v, v))
    files = tuple(_file_in(f, one) for f in d["files"])
    versions = tuple(MediaVersion(tuple(files[f] if isinstance(f, int) else _file_in(f, one) for f in v["files"]),
                                  v["height"], v["bitrate"], one(v["label"])) for v in d["versions"])
    added = d.get("added_at")
    return MediaItem(key=d["key"], kind=MediaKind(d["kind"]), title=one(d["title"]), library=one(d["library"]),
                     files=files, show_key=one(d["show_key"]), show_title=one(d["show_title"]), season=d["season"],
                     episode=d["episode"], year=d["year"], guids=tuple(d["guids"]), duration_ms=d["duration_ms"],
                     versions=versions, added_at=one(datetime.fromisoformat(added)) if added else None,
                     collections=one(tuple(d.get("collections") or ())))


def _file_out(f: MediaFile) -> list[Any]:
    return [f.plex_path, f.array_path, f.cache_path, f.size, f.mapping, list(f.sidecars)]


def _file_in(v: list[Any], one: Callable[[Any], Any] = lambda v: v) -> MediaFile:
    return MediaFile(v[0], v[1], v[2], int(v[3]), one(v[4]), tuple(v[5]))


def _chunks(keys: Collection[str]) -> Iterator[Sequence[str]]:
    ordered = list(dict.fromkeys(keys))
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i:i + CHUNK]


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SqlitePlexCache:
    """``ports.PlexCache`` over ``Database`` (thread-safe through it). ``db`` may be a function giving it:
    the database is then opened on first use (``cacherr doctor`` builds the Plex adapter without it).
    Keep one instance per process (``bootstrap``): its in-memory copy is what makes a steady cycle cheap."""

    def __init__(self, db: Database | Callable[[], Database]) -> None:
        self._db = db
        self._memory: PlexCacheMemory | None = None
        self._stamp: tuple[Any, ...] | None = None  # the plex_reads row the copy matches
        self._lock = threading.Lock()
        self._shows: dict[str, Any] = {}

    @property
    def db(self) -> Database:
        if not isinstance(self._db, Database):
            self._db = self._db()
        return self._db

    def _read_row(self) -> tuple[Any, ...] | None:
        rows = self.db.query(f"SELECT {', '.join(READS_COLUMNS)} FROM plex_reads WHERE id = 1")  # noqa: S608
        return tuple(rows[0]) if rows else None

    def read_state(self) -> PlexReadState:
        row = self._read_row()
        with self._lock:
            if self._memory is not None and row != self._stamp:
                self._memory = None  # another process wrote: what this one holds may be stale
                self._shows.clear()
        if row is None:
            return PlexReadState()
        r = dict(zip(READS_COLUMNS, row, strict=True))
        sections = {str(k): (int(v[0]), int(v[1])) for k, v in json.loads(r["sections"] or "{}").items()}
        return PlexReadState(last_full_at=_dt(r["last_full_at"]), last_read_at=_dt(r["last_read_at"]),
                             last_kind=str(r["last_kind"]), last_requests=int(r["last_requests"]),
                             needs_full=bool(r["needs_full"]), fingerprint=str(r["fingerprint"]), sections=sections)

    def memory(self) -> PlexCacheMemory:
        """The in-memory copy, loaded on first use (one paged query per table)."""
        with self._lock:
            if self._memory is None:
                self._stamp = self._read_row()
                self._memory = load_memory(self.db)
            return self._memory

    def items(self, keys: Collection[str]) -> dict[str, KnownItem]:
        known = self.memory().items
        return {k: known[k] for k in keys if k in known}

    def gone(self, keys: Collection[str]) -> set[str]:
        gone = self.memory().gone
        return {k for k in keys if k in gone}

    def watch_states(self, keys: Collection[str]) -> dict[str, WatchState]:
        watch = self.memory().watch
        return {k: watch[k] for k in keys if k in watch}

    def show_memo(self) -> dict[str, Any]:
        return self._shows

    def watched(self, user: str, keys: Collection[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        if len(keys) > WHOLE_USER:  # one scan of the user's rows beats many IN (...) queries
            wanted = set(keys)
            rows = self.db.query("SELECT rating_key, view_count FROM plex_watched WHERE user = ?", [user])
            return {str(r[0]): int(r[1]) for r in rows if r[0] in wanted}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            for r in self.db.query(f"SELECT rating_key, view_count FROM plex_watched "  # noqa: S608
                                   f"WHERE user = ? AND rating_key IN ({marks})", [user, *chunk]):
                out[str(r["rating_key"])] = int(r["view_count"])
        return out

    def save(self, items: Iterable[KnownItem], watched: Iterable[tuple[str, str, int]], *,
             forget: Collection[str] = (), replace: bool = False) -> None:
        now = datetime.now(UTC).isoformat()
        items, watched = list(items), list(watched)
        item_rows = [(k.item.key, k.updated_at, item_to_json(k.item), json.dumps(list(k.notes)), now) for k in items]
        with self.db.transaction() as conn:
            if replace:
                conn.execute("DELETE FROM plex_items")
                conn.execute("DELETE FROM plex_watched")
            conn.executemany("INSERT OR REPLACE INTO plex_items (rating_key, updated_at, item, notes, read_at) "
                             "VALUES (?, 0, '', '[]', ?)", [(k, now) for k in dict.fromkeys(forget)])
            conn.executemany("INSERT OR REPLACE INTO plex_items (rating_key, updated_at, item, notes, read_at) "
                             "VALUES (?, ?, ?, ?, ?)", item_rows)
            conn.executemany("INSERT OR REPLACE INTO plex_watched (user, rating_key, view_count) VALUES (?, ?, ?)",
                             watched)
        with self._lock:
            if replace:
                self._memory = PlexCacheMemory()  # exactly what was just stored (no second read of it)
            if self._memory is not None:
                self._memory.put_items(items, forget)
                self._memory.put_rows(watched)

    def record_read(self, state: PlexReadState) -> None:
        sections = json.dumps({k: list(v) for k, v in state.sections.items()})
        self.db.execute(
            "INSERT OR REPLACE INTO plex_reads (id, last_full_at, last_read_at, last_kind, last_requests, "
            "needs_full, fingerprint, sections) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
            (_ts(state.last_full_at), _ts(state.last_read_at), state.last_kind, state.last_requests,
             int(state.needs_full), state.fingerprint, sections))
        row = self._read_row()
        with self._lock:
            self._stamp = row

    def mark_needs_full(self) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO plex_reads (id) VALUES (1)")
            conn.execute("UPDATE plex_reads SET needs_full = 1 WHERE id = 1")
        with self._lock:
            self._memory = None  # the full read that follows stores everything again
            self._shows.clear()


def load_memory(db: Database) -> PlexCacheMemory:
    """Every stored item and watched state, read in pages (a page's rows are freed before the next)."""
    memory = PlexCacheMemory()
    shared: dict[Any, Any] = {}
    last = ""
    while rows := db.query("SELECT rating_key, updated_at, item, notes FROM plex_items WHERE rating_key > ? "
                           "ORDER BY rating_key LIMIT ?", (last, PAGE)):
        for key, updated_at, item, notes in rows:
            if item:
                known = KnownItem(item_from_json(item, shared), int(updated_at), tuple(json.loads(notes)))
                memory.items[known.item.key] = known
            else:
                memory.gone.add(str(key))
        last = rows[-1][0]
    states: dict[tuple[str, str], WatchState] = {}  # (users, flags) as SQLite grouped them -> one shared state
    last = ""
    while rows := db.query("SELECT rating_key, json_group_array(user), group_concat(view_count > 0, '') "
                           "FROM plex_watched WHERE rating_key > ? GROUP BY rating_key ORDER BY rating_key "
                           "LIMIT ?", (last, PAGE)):
        for key, users, flags in rows:
            st = states.get((users, flags))
            if st is None:
                names = json.loads(users)
                st = states[(users, flags)] = memory.state(
                    frozenset(names), frozenset(n for n, f in zip(names, flags, strict=True) if f == "1"))
            memory.watch[str(key)] = st
        last = rows[-1][0]
    return memory
