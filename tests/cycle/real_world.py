"""The real stack for end-to-end cycle tests: the Plex emulator over real HTTP, the real Plex adapter
(python-plexapi), the real journaled file engine, and an Unraid-like lab (array disk, cache, optionally
a mergerfs union at mnt/user) under tmp_path."""

from __future__ import annotations

import os

os.environ.setdefault("PLEXAPI_CONFIG_PATH", "/nonexistent/plexapi.ini")

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from cacherr.adapters.cycle_lock import LOCK_FILE, CycleLock
from cacherr.adapters.local_disk import LocalDisk
from cacherr.adapters.plex import PlexMediaServer
from cacherr.adapters.sqlite_cycles import SqliteCycleHistory
from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_kept_off import SqliteKeptOff
from cacherr.adapters.sqlite_plays import SqlitePlayStarts
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.demo.lab import Lab, file_hash, make_lab
from cacherr.demo.plex_emulator import Episode, Movie, PlexEmulator, World
from cacherr.domain.cache import CacheEntry
from cacherr.fileops import EngineConfig, build_engine
from cacherr.fileops.faults import Faults
from cacherr.services.cycle import CycleService
from cacherr.settings import Settings, build_settings
from cacherr.testing import FixedClock, RecordingNotifier

KB = 1024
START = 1_790_000_000.0


@dataclass
class RealWorld:
    root: Path
    union: bool = False
    cache_size: int | None = None  # mount the cache as a tmpfs this big (root only)
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from datetime import UTC, datetime

        self.clock = FixedClock(datetime.fromtimestamp(START, UTC))
        self.plex = World(clock=lambda: self.clock.now().timestamp())
        self.alice = self.plex.add_user("alice", kind="home")
        self.bob = self.plex.add_user("bob")
        self.movies = self.plex.add_section("Movies", "movie", "/data/movies")
        self.tv = self.plex.add_section("TV Shows", "show", "/data/tv")
        self.lab: Lab = make_lab(self.root / "lab", {}, union=self.union, cache_size=self.cache_size)
        self.config = self.root / "config"
        self.config.mkdir()
        self.emu = PlexEmulator(self.plex).start()
        self.session: requests.Session = self.emu.session()
        self.values = {"PLEX_URL": self.emu.url, "PLEX_TOKEN": "owner-token", "PLEX_SOURCE": "/data",
                       "REAL_SOURCE": str(self.lab.array_root), "CACHE_DESTINATION": str(self.lab.cache_root),
                       "NUMBER_EPISODES": "2", "PLEX_TIMEOUT": "5", "PLEX_FRIENDS_WATCHLIST_RSS": "friends-feed",
                       **self.values}
        self.settings: Settings = build_settings(self.values, {})
        self.db: Database = open_database(self.config / "cacherr.db")
        self.registry = SqliteCacheRegistry(self.db)
        self.notifier = RecordingNotifier()
        self.faults: Faults | None = None  # failpoints for the next engine built (crash tests)
        self._engine: tuple[Any, Any] | None = None
        self.service = CycleService(
            settings=lambda: self.settings, media_server=self.media_server, engine=self.engine,
            registry=self.registry, history=SqliteCycleHistory(self.db),
            lock=CycleLock(self.config / LOCK_FILE), clock=self.clock,
            notifier=lambda: self.notifier, disk=LocalDisk(), kept_off=SqliteKeptOff(self.db),
            plays=SqlitePlayStarts(self.db))

    # --- the real adapters ---------------------------------------------------------------------
    def media_server(self) -> PlexMediaServer:
        return PlexMediaServer.from_settings(self.settings, self._mapper(), session=self.session,
                                             clock=self.clock.now, retries=0)

    def _mapper(self) -> Any:
        from cacherr.domain.paths import PathMapper

        return PathMapper(self.settings.path_mappings())

    def engine(self) -> Any:
        """Built once per engine configuration, as bootstrap does (so the start-up probes run once)."""
        config = EngineConfig.from_settings(self.settings, settle_seconds=0.0, recent_seconds=0.0,
                                            folders=_no_chown())
        if self._engine is None or self._engine[0] != config:
            self._engine = (config, build_engine(SqliteJournal(self.db), self.registry, config, faults=self.faults))
        return self._engine[1]

    def crash_engine_at(self, point: str) -> None:
        """From now on the engine crashes (``SimulatedCrash``, as kill -9 would leave it) at this failpoint."""
        self.faults, self._engine = Faults(crash_at=point), None

    def restart(self) -> None:
        """As after a restart: a fresh engine without failpoints (the next cycle recovers first)."""
        self.faults, self._engine = None, None

    def plex_down(self) -> None:
        """Stop the emulator and drop kept-alive connections (its handler threads would still answer them)."""
        self.emu.stop()
        self.session.close()
        self.session = self.emu.session()
        self.set()  # new settings value: the service builds a new media server on this session

    def set(self, **values: Any) -> None:
        self.values.update({k: str(v) for k, v in values.items()})
        self.settings = build_settings(self.values, {})

    # --- building the library: every Plex file also exists on the array -------------------------
    def rel(self, plex_path: str) -> str:
        return plex_path.removeprefix("/data/")

    def write_files(self, paths: list[str], size: int) -> None:
        """Put these Plex files on the array (``size`` bytes of generated media each)."""
        for p in paths:
            self.lab.add(self.rel(p), size)

    def movie(self, title: str, year: int = 2020, size: int = 8 * KB) -> Movie:
        m = self.plex.add_movie(self.movies, title, year, size=size)
        self.write_files([p.file for p in m.parts], size)
        return m

    def show(self, title: str, episodes: int = 5, size: int = 4 * KB) -> Any:
        s = self.plex.add_show(self.tv, title, 2020, episodes=episodes, size=size)
        self.write_files([p.file for e in s.episodes() for p in e.parts], size)
        return s

    # --- looking at the result ------------------------------------------------------------------
    def path_of(self, item: Movie | Episode) -> str:
        return self.rel(item.parts[0].file)

    def on_cache(self, item: Movie | Episode) -> bool:
        return self.lab.cache(self.path_of(item)).is_file()

    def on_array(self, item: Movie | Episode) -> bool:
        return self.lab.array(self.path_of(item)).is_file()

    def intact(self, item: Movie | Episode) -> bool:
        """Plex still sees the complete original (through the union when mounted)."""
        rel = self.path_of(item)
        return file_hash(self.lab.visible(rel)) == self.lab.hashes[rel]

    def cached_titles(self) -> set[str]:
        return {e.title for e in self.registry.entries()}

    def entry(self, item: Movie | Episode) -> CacheEntry:
        found = [e for e in self.registry.entries() if e.item_key == str(item.rating_key)]
        assert found, f"{item.title} is not cached"
        return found[0]

    def tree(self) -> set[str]:
        out = set()
        for base in (self.lab.array_root, self.lab.cache_root):
            out.update(f"{base.name}:{p.relative_to(base)}:{p.stat().st_size}" for p in base.rglob("*") if p.is_file())
        return out

    def partials(self) -> list[Path]:
        return [p for base in (self.lab.array_root, self.lab.cache_root) for p in base.rglob("*")
                if ".partial" in p.name or ".cacherr-" in p.name]

    def close(self) -> None:
        self.service.realtime.shutdown()
        self.session.close()
        self.emu.stop()
        self.db.close()
        self.lab.close()


class SettingsView:
    """The world's current settings as the scheduler reads a settings store (nothing to subscribe to: the
    tests change ``rw.settings`` directly)."""

    def __init__(self, rw: RealWorld) -> None:
        self.rw = rw

    @property
    def current(self) -> object:
        return self.rw.settings

    def subscribe(self, listener: object) -> None:
        del listener


def _no_chown() -> Any:
    from cacherr.fileops.fsutil import FolderPolicy

    return FolderPolicy(os.getuid(), os.getgid(), 0o022)
