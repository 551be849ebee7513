"""Real-time latency: from a play start to the files on the cache, through the real stack (the Plex emulator over
HTTP, plexapi, the journaled engine, the scheduler's session watcher).

Rows (seconds; the reference is ``cp`` + ``sync`` of the same bytes in the same run, the floor any tool pays):
- webhook ``media.play`` of an episode -> the next episodes on the cache;
- session polling (``SESSION_POLL_SECONDS``) -> the next episodes on the cache (bounded by the poll interval);
- webhook ``media.play`` of a movie in a collection (``CACHE_COLLECTION_NEXT``) -> the next film on the cache;
- the playing movie itself with ``REALTIME_PLAYING_MOVIE_SECONDS=1`` -> on the cache (bounded by delay + poll).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from common import Row

from cacherr.bootstrap import build_container
from cacherr.demo.lab import make_lab
from cacherr.demo.plex_emulator import PlexEmulator, World
from cacherr.demo.plex_emulator.collections import add_collection

MB = 1 << 20


def _wait(paths: list[Path], timeout: float = 60.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if all(p.exists() for p in paths):
            return time.monotonic()
        time.sleep(0.01)
    raise TimeoutError(f"not on the cache after {timeout}s: {[str(p) for p in paths if not p.exists()]}")


def _cp_seconds(files: list[Path], dest: Path) -> float:
    dest.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    subprocess.run(["cp", *map(str, files), str(dest)], check=True)
    subprocess.run(["sync"], check=True)
    return time.monotonic() - start


def run(quick: bool) -> list[Row]:
    size = (8 if quick else 64) * MB
    poll = 2 if quick else 5
    root = Path(tempfile.mkdtemp(prefix="cacherr-bench-rt-"))
    try:
        return _measure(root, size, poll)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: Path, size: int, poll: int) -> list[Row]:
    world = World()
    alice = world.add_user("alice", kind="home")
    tv = world.add_section("TV Shows", "show", "/data/tv")
    movies = world.add_section("Movies", "movie", "/data/movies")
    show = world.add_show(tv, "Dark", 2017, episodes=6, size=size)
    film = world.add_movie(movies, "Heat", 1995, size=size)
    saga = [world.add_movie(movies, "Alien", 1979, size=size), world.add_movie(movies, "Aliens", 1986, size=size)]
    add_collection(world, movies, "Alien Collection", saga)
    lab = make_lab(root / "lab", {})
    old = time.time() - 86400  # library files are not fresh downloads (those wait to settle)
    for item in [*show.episodes(), film, *saga]:
        for part in item.parts:
            lab.add(part.file.removeprefix("/data/"), size)
            os.utime(lab.array(part.file.removeprefix("/data/")), (old, old))
    rows: list[Row] = []
    with PlexEmulator(world) as emu:
        env = {"PLEX_URL": emu.url, "PLEX_TOKEN": world.owner.token, "PLEX_SOURCE": "/data",
               "REAL_SOURCE": str(lab.array_root), "CACHE_DESTINATION": str(lab.cache_root), "NUMBER_EPISODES": "2",
               "SESSION_POLL_SECONDS": str(poll), "SCHEDULE": "off", "MIN_FREE_SPACE": "0",
               "REALTIME_PLAYING_MOVIE_SECONDS": "1", "CACHE_COLLECTION_NEXT": "true", "PUID": str(os.getuid()), "PGID": str(os.getgid())}
        container = build_container(root / "config", env, console_log=False)
        service = container.cycle_service()
        sched = container.scheduler()
        cache = lab.cache_root

        def rel(item: object) -> Path:
            return cache / item.parts[0].file.removeprefix("/data/")  # type: ignore[attr-defined]

        eps = show.episodes()
        ref = _cp_seconds([lab.array(eps[1].parts[0].file.removeprefix("/data/")),
                           lab.array(eps[2].parts[0].file.removeprefix("/data/"))], root / "cp-ref")
        t0 = time.monotonic()
        service.handle_plex_webhook({"event": "media.play", "Account": {"title": "alice"},
                                     "Metadata": {"ratingKey": str(eps[0].rating_key), "type": "episode"}})
        webhook = _wait([rel(eps[1]), rel(eps[2])]) - t0
        rows.append(Row("realtime", "webhook play -> next 2 episodes cached", webhook, "s", reference=ref,
                        note=f"2 x {size // MB} MiB; reference cp+sync of the same files"))
        one = _cp_seconds([lab.array(saga[1].parts[0].file.removeprefix("/data/"))], root / "cp-ref-1")
        t0 = time.monotonic()
        service.handle_plex_webhook({"event": "media.play", "Account": {"title": "alice"},
                                     "Metadata": {"ratingKey": str(saga[0].rating_key), "type": "movie"}})
        collection = _wait([rel(saga[1])]) - t0
        rows.append(Row("realtime", "webhook play -> next film of the collection cached", collection, "s",
                        reference=one, note=f"1 x {size // MB} MiB; the user's first play: includes the "
                        "plex.tv look-up of their token (kept 10 min); reference cp+sync"))
        sched.start()
        try:
            time.sleep(poll * 1.5)  # the watcher has seen the (empty) session list once
            t0 = time.monotonic()
            world.start_session(alice, eps[3])
            polled = _wait([rel(eps[4]), rel(eps[5])]) - t0
            rows.append(Row("realtime", "session poll -> next 2 episodes cached", polled, "s", reference=float(poll),
                            target="<= poll + copy", note=f"SESSION_POLL_SECONDS={poll}; reference = the interval"))
            t0 = time.monotonic()
            world.start_session(alice, film)
            playing = _wait([rel(film)]) - t0
            rows.append(Row("realtime", "playing movie cached (delay 1 s)", playing, "s", reference=float(poll + 1),
                            note="REALTIME_PLAYING_MOVIE_SECONDS=1; reference = delay + poll interval"))
        finally:
            container.close()
    lab.close()
    return rows
