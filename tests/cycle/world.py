"""A small world for cycle tests: real array/cache folders under tmp_path, a real SQLite state database, the
real journaled file engine (``cacherr.fileops``, built from the settings as bootstrap builds it) and an
in-memory Plex (``cacherr.testing.FakeMediaServer``). ``real_world.py`` has the emulator over HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cacherr.adapters.cycle_lock import LOCK_FILE, CycleLock
from cacherr.adapters.local_disk import LocalDisk
from cacherr.adapters.sqlite_cycles import SqliteCycleHistory
from cacherr.adapters.sqlite_kept_off import SqliteKeptOff
from cacherr.adapters.sqlite_plays import SqlitePlayStarts
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.domain.cache import Action, ActionKind, CacheEntry, CacheMode
from cacherr.domain.media import MediaItem, Reason
from cacherr.fileops import Engine, EngineConfig, build_engine
from cacherr.fileops.faults import Faults, SimulatedCrash
from cacherr.fileops.fsutil import FolderPolicy
from cacherr.fileops.journal import OpRow
from cacherr.ports import MediaServer, TraktSource
from cacherr.services.cycle import CycleService
from cacherr.settings import Settings, build_settings
from cacherr.testing import FakeMediaServer, FixedClock, RecordingNotifier, Roots, episode, movie

KB = 1024


@dataclass
class World:
    root: Path
    values: dict[str, Any] = field(default_factory=dict)
    clock: FixedClock = field(default_factory=FixedClock)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)

    def __post_init__(self) -> None:
        self.array = self.root / "array"
        self.cache = self.root / "cache"
        self.config = self.root / "config"
        for d in (self.array, self.cache, self.config):
            d.mkdir(parents=True, exist_ok=True)
        self.roots = Roots("/data", str(self.array), str(self.cache))
        self.values = {"PLEX_SOURCE": "/data", "REAL_SOURCE": str(self.array), "CACHE_DESTINATION": str(self.cache),
                       "PLEX_TOKEN": "test-token-123", "CACHE_RETENTION_HOURS": "12", **self.values}
        self.db: Database = open_database(self.config / "cacherr.db")
        self.registry = SqliteCacheRegistry(self.db)
        self.server: MediaServer = FakeMediaServer(users=["alice", "bob"], clock=self.clock)
        self.settings: Settings = build_settings(self.values, {})
        self.settings_source: Callable[[], Settings] | None = None  # e.g. a SettingsStore's, as in bootstrap
        self.trakt: TraktSource | None = None
        self._engine: tuple[EngineConfig, Engine] | None = None
        self.service = CycleService(
            settings=self.current_settings, media_server=lambda: self.server, trakt=lambda: self.trakt,
            engine=lambda: self.engine,
            registry=self.registry, history=SqliteCycleHistory(self.db),
            lock=CycleLock(self.config / LOCK_FILE), clock=self.clock,
            notifier=lambda: self.notifier, disk=LocalDisk(), kept_off=SqliteKeptOff(self.db),
            plays=SqlitePlayStarts(self.db))

    def current_settings(self) -> Settings:
        return self.settings_source() if self.settings_source is not None else self.settings

    def engine_config(self) -> EngineConfig:
        """From the current settings, as bootstrap does; no settle wait (the files were just written) and
        folders owned by whoever runs the tests (not Unraid's nobody:users)."""
        return EngineConfig.from_settings(self.current_settings(), settle_seconds=0.0, recent_seconds=0.0,
                                          folders=FolderPolicy(os.getuid(), os.getgid(), 0o022))

    @property
    def engine(self) -> Engine:
        """The real file engine, rebuilt when the settings change what it is told (as bootstrap does)."""
        config = self.engine_config()
        if self._engine is None or self._engine[0] != config:
            self._engine = (config, build_engine(self.db, self.registry, config))
        return self._engine[1]

    def interrupt_a_copy(self, item: MediaItem) -> OpRow:
        """Cache ``item`` with a real engine that crashes in the middle of the copy (as kill -9 would leave
        it): the journal shows the operation unfinished and its temp file is on the cache."""
        crashing = build_engine(self.db, self.registry, self.engine_config(), faults=Faults(crash_at="copy:chunk"))
        f = item.files[0]
        action = Action(ActionKind.CACHE, f.array_path, f.cache_path, f.size, Reason.WATCHLIST, "test",
                        item.key, item.display_title, frozenset({"alice"}))
        with pytest.raises(SimulatedCrash):
            crashing.execute([action], mode=CacheMode.COPY)
        [op] = self.engine.journal.active()
        assert op.array_path == f.array_path and self.partials(), "the copy was not interrupted"
        return op

    def unfinished(self) -> list[OpRow]:
        """Operations the journal shows as interrupted (recovery finishes or rolls them back)."""
        return self.engine.journal.active()

    def partials(self) -> list[str]:
        """Temp files the engine left on either side."""
        return [str(p) for base in (self.array, self.cache) for p in base.rglob("*")
                if ".partial" in p.name or ".cacherr-" in p.name]

    @property
    def fake(self) -> FakeMediaServer:
        assert isinstance(self.server, FakeMediaServer)
        return self.server

    def set(self, **values: Any) -> None:
        self.values.update({k: str(v) for k, v in values.items()})
        self.settings = build_settings(self.values, {})

    def write(self, item: MediaItem, content: bytes | None = None) -> MediaItem:
        for f in item.files:
            p = Path(f.array_path)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(content if content is not None else item.key.encode() * (f.size // len(item.key)))
        return item

    def movie(self, key: str, title: str, size: int = 4 * KB, **kw: Any) -> MediaItem:
        size -= size % len(key)
        item = self.write(movie(key, title, size, roots=self.roots, **kw))
        self.fake.add(item)
        return item

    def show(self, name: str, episodes: int, size: int = 2 * KB, season: int = 1) -> list[MediaItem]:
        items = []
        for n in range(1, episodes + 1):
            key = f"{name[:3].lower()}{season}{n:02d}"
            items.append(self.write(episode(key, name, season, n, size - size % len(key), roots=self.roots)))
        self.fake.add(*items)
        return items

    def want(self, item: MediaItem, user: str, reason: Reason, rank: int = 0) -> None:
        self.fake.want(item.key, user, reason, rank)

    def on_cache(self) -> set[str]:
        return {str(p.relative_to(self.cache)) for p in self.cache.rglob("*") if p.is_file()}

    def on_array(self) -> set[str]:
        return {str(p.relative_to(self.array)) for p in self.array.rglob("*") if p.is_file()}

    def cached_keys(self) -> set[str]:
        return {e.item_key or "" for e in self.registry.entries()}

    def entry(self, item: MediaItem) -> CacheEntry:
        found = [e for e in self.registry.entries() if e.item_key == item.key]
        assert found, f"{item.display_title} is not in the registry"
        return found[0]

    def close(self) -> None:
        self.db.close()
