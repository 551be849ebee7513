"""A steady-state cycle's Plex read and plan at 1,000 / 10,000 / 50,000 cached entries, 10 and 50 users.

"Steady state": nothing changed in Plex since the last read, so the read is incremental (adapters/
plex_incremental.py). The emulator (this process) holds a world of 1,000 shows / 60,000 episodes / 500 movies
(quick: 100 / 3,000 / 50); each case runs in a child process of its own, so its CPU and peak RSS are its own:

1. warm-up child: a full read (the owner only) with the first N episodes tracked, and the registry filled with
   their N cache entries; this process then writes each other user's view counts of those keys into the
   store, as a full read with every user would (a full read at 50,000 x 50 users takes minutes: the cost
   this change removes);
2. measured child: one incremental read to settle (On Deck's wants become known), then the measured cycle:
   registry entries read, incremental snapshot, ``build_plan``. Wall, CPU (``getrusage``), Plex requests
   (counted on the child's session) and the child's peak RSS (``VmHWM``: not ``ru_maxrss``, which a child
   inherits from the benchmark process it was forked from). The measured child has just loaded the store
   into memory (the settling read), as ``serve`` has after its first cycle.

Reference: the same cycle with an empty cache (N = 0) for the same users. Targets (issue 17): requests
within 10% of the reference, 10,000 entries x 50 users < 2 s wall, RSS < 200 MB at 50,000.

    .venv/bin/python benchmarks/run.py cycle_steady [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from common import Row  # noqa: E402

MAPPING = ("all", "/data", "/mnt/user0/media", "/mnt/cache/media")


# --- the child ------------------------------------------------------------------------------------
def _server(url: str, db_path: str, users: bool):  # type: ignore[no-untyped-def]
    import requests

    from cacherr.adapters.plex import PlexMediaServer
    from cacherr.adapters.plex_snapshot import PlexOptions
    from cacherr.adapters.sqlite_plex_cache import SqlitePlexCache
    from cacherr.adapters.sqlite_store import open_database
    from cacherr.demo.plex_emulator import mount_plex_tv
    from cacherr.domain.paths import PathMapper, PathMapping

    db = open_database(db_path)
    session = requests.Session()
    mount_plex_tv(session, url)
    server = PlexMediaServer(url=url, token="owner-token", mapper=PathMapper([PathMapping(*MAPPING)]),
                             session=session, timeout=60, cache=SqlitePlexCache(db),
                             options=PlexOptions(users_toggle=users, friends_rss="friends-feed"))
    return db, server


def warm(url: str, db_path: str, keys: list[str]) -> dict[str, object]:
    from datetime import UTC, datetime

    from cacherr.adapters.sqlite_store import SqliteCacheRegistry
    from cacherr.domain.cache import CacheEntry, CacheMode
    from cacherr.domain.media import Reason

    db, server = _server(url, db_path, users=False)
    snap = server.snapshot(keys)
    now = datetime.now(UTC)
    registry = SqliteCacheRegistry(db)
    with db.transaction() as conn:
        for key in keys:
            item = snap.items[key]
            f = item.files[0]
            registry.upsert(CacheEntry(f.cache_path, f.array_path, f.size, CacheMode.COPY, now, key,
                                       item.display_title, item.library, Reason.ON_DECK), conn)
    return {"items": len(snap.items)}


def steady(url: str, db_path: str) -> dict[str, object]:
    import resource
    from datetime import UTC, datetime

    from cacherr.adapters.sqlite_store import SqliteCacheRegistry
    from cacherr.domain.cache import CacheState
    from cacherr.planning import Policy, build_plan

    db, server = _server(url, db_path, users=True)
    registry = SqliteCacheRegistry(db)
    server.snapshot({e.item_key for e in registry.entries() if e.item_key})  # settles the wanted keys
    before = resource.getrusage(resource.RUSAGE_SELF)
    requests_before = server.requests.value()
    started = time.perf_counter()
    entries = registry.entries()
    snap = server.snapshot({e.item_key for e in entries if e.item_key})
    read = time.perf_counter() - started
    plan = build_plan(snap, CacheState(tuple(entries), 10**15, 10**14, roots=("/mnt/cache/media",)),
                      Policy(), datetime.now(UTC))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "read": read, "cpu": cpu, "requests": server.requests.value() - requests_before,
            "rss_mb": _peak_rss_kb(after.ru_maxrss) / 1024, "note": snap.read_note, "actions": len(plan.actions),
            "items": len(snap.items), "unread": len(snap.unread)}


def _peak_rss_kb(fallback: int) -> int:
    """This process's own peak RSS: ``VmHWM`` (``ru_maxrss`` keeps the parent's RSS at fork, so a child of
    a big benchmark process reported at least that)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return fallback


def child_main(argv: list[str]) -> None:
    mode, url, db_path = argv[:3]
    if mode == "warm":
        keys = json.loads(Path(argv[3]).read_text())
        out = warm(url, db_path, keys)
    else:
        out = steady(url, db_path)
    print(json.dumps(out))


# --- this process ---------------------------------------------------------------------------------
def _child(*args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE.parent)])}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _seed_watched(db_path: str, world, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Each non-owner user's view count of ``keys``, as a full read with every user leaves them."""
    from cacherr.adapters.sqlite_store import open_database

    db = open_database(db_path)
    try:
        rows = [(u.name, k, world.state(u, int(k)).view_count) for u in world.users.values() if u.id != 1
                for k in keys]
        with db.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO plex_watched (user, rating_key, view_count) VALUES (?, ?, ?)",
                             rows)
    finally:
        db.close()


def _case(work: Path, url: str, world, keys: list[str], name: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    db_path = str(work / f"{name}.db")
    keys_file = work / f"{name}.json"
    keys_file.write_text(json.dumps(keys))
    _child("warm", url, db_path, str(keys_file))
    _seed_watched(db_path, world, keys)
    return _child("steady", url, db_path)


def run(quick: bool) -> list[Row]:
    from cacherr.demo.plex_emulator import PlexEmulator, generate_world

    sizes = (100, 1000) if quick else (1000, 10_000, 50_000)
    user_counts = (10,) if quick else (10, 50)
    shows, episodes, movies = (100, 3000, 50) if quick else (1000, 60_000, 500)
    rows: list[Row] = []
    for users in user_counts:
        # Added a week ago, as a real library (not during the 10 minutes an incremental read reaches back).
        world = generate_world(users=users, shows=shows, episodes=episodes, movies=movies,
                               now=time.time() - 7 * 86_400)
        keys = [str(e.rating_key) for s in world.shows() for e in s.episodes()]
        with PlexEmulator(world) as emu, tempfile.TemporaryDirectory(prefix="bench-steady-") as tmp:
            work = Path(tmp)
            ref = _case(work, emu.url, world, [], f"u{users}-empty")
            for n in sizes:
                got = _case(work, emu.url, world, keys[:n], f"u{users}-{n}")
                rows.extend(_rows(users, n, got, ref))
    return rows


def _rows(users: int, n: int, got: dict[str, object], ref: dict[str, object]) -> list[Row]:
    def f(d: dict[str, object], k: str) -> float:
        return float(d[k])  # type: ignore[arg-type]

    case = f"{n:,} cached, {users} users"
    wall_target = "< 2 s" if (n, users) == (10_000, 50) else ""
    rss_target = "< 200 MB" if n == 50_000 else ""
    note = f"{got['note']}; read {f(got, 'read'):.2f}s; {got['items']} items; {got['actions']} actions planned"
    return [
        Row("cycle_steady", f"requests, {case}", f(got, "requests"), "req", reference=f(ref, "requests"),
            target="<= 1.10", note=f"reference: the same cycle with an empty cache; {note}"),
        Row("cycle_steady", f"wall, {case}", f(got, "wall"), "s", reference=f(ref, "wall"), target=wall_target,
            note="reference: empty cache"),
        Row("cycle_steady", f"CPU, {case}", f(got, "cpu"), "s", reference=f(ref, "cpu"), note="reference: empty cache"),
        Row("cycle_steady", f"peak RSS, {case}", f(got, "rss_mb"), "MB", reference=f(ref, "rss_mb"),
            target=rss_target, note="the child process's peak (VmHWM); reference: empty cache"),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(sys.argv[2:])
    else:
        for row in run("--quick" in sys.argv):
            print(row.as_dict())
