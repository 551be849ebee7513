"""The composition root: the one place that turns Settings into adapters and services.

Each capability wires itself in its own factory method below; nothing is built at import time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cacherr.adapters.local_disk import LocalDisk
from cacherr.adapters.sqlite_plex_cache import SqlitePlexCache
from cacherr.adapters.sqlite_read_models import SqliteReadModels
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.domain.errors import ConfigError
from cacherr.domain.paths import PathMapper
from cacherr.logs import LogSinks, setup_logging
from cacherr.redaction import secret_terms
from cacherr.services.queries import Queries
from cacherr.settings import Settings
from cacherr.settings_store import SettingsStore, default_config_dir

if TYPE_CHECKING:
    from cacherr.adapters.notify import AppriseNotifier
    from cacherr.adapters.plex_account import PlexAccount
    from cacherr.adapters.trakt import TraktClient
    from cacherr.fileops import Engine
    from cacherr.ports import MoverWatch
    from cacherr.scheduler import CacheScheduler
    from cacherr.services.cycle import CycleService
    from cacherr.services.progress import ProgressBoard
    from cacherr.web.services import WebServices

log = logging.getLogger(__name__)
DB_FILE = "cacherr.db"


def check_config_dir(config_dir: Path) -> None:
    """The config folder must exist (or be creatable) and be writable; say how to fix it otherwise."""
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError([f"CONFIG_DIR={config_dir}: cannot be created ({exc.strerror}); "
                           "mount a writable folder at /config or set CONFIG_DIR"]) from None
    if not os.access(config_dir, os.W_OK | os.X_OK):
        uid, gid = os.getuid(), os.getgid()
        raise ConfigError([f"CONFIG_DIR={config_dir}: not writable by uid {uid} (gid {gid}); fix its owner "
                           f"(chown -R {uid}:{gid} on the host folder) or set CONFIG_DIR to a writable folder"])


@dataclass
class Container:
    """Everything a running Cacherr uses, built on first use from the settings store."""

    store: SettingsStore
    extras: dict[str, Any] = field(default_factory=dict)  # test and demo overrides (e.g. a requests.Session)
    logs: LogSinks = field(default_factory=LogSinks)  # its ring buffer and redactor (build_container installs them)

    @property
    def settings(self) -> Settings:
        return self.store.current

    @property
    def config_dir(self) -> Path:
        return self.store.config_dir

    @cached_property
    def db(self) -> Database:
        return open_database(self.config_dir / DB_FILE)

    @cached_property
    def registry(self) -> SqliteCacheRegistry:
        registry = SqliteCacheRegistry(self.db)
        registry.set_pools(m.cache_path for m in self.settings.path_mappings())  # per-pool totals (0006)
        return registry

    @cached_property
    def disk(self) -> LocalDisk:
        """The one disk probe: the planner (cycle service) and the dashboard (queries) share it."""
        return LocalDisk()

    @cached_property
    def queries(self) -> Queries:
        """The dashboard's and the API's reads."""
        return Queries(SqliteReadModels(self.db), self.disk)

    def path_mapper(self) -> PathMapper:
        return PathMapper(self.settings.path_mappings())

    def media_server(self) -> Any:
        """The Plex adapter (``ports.MediaServer``); ``extras["requests_session"]`` overrides the session."""
        from cacherr.adapters.plex import PlexMediaServer

        return PlexMediaServer.from_settings(self.settings, self.path_mapper(),
                                             session=self.extras.get("requests_session"),
                                             config_dir=self.config_dir, cache=self.plex_cache)

    @cached_property
    def plex_cache(self) -> SqlitePlexCache:
        """What Plex told earlier cycles; one per process, so its in-memory copy lasts between cycles."""
        return SqlitePlexCache(lambda: self.db)

    def plex_account(self) -> PlexAccount:
        """plex.tv sign-in and server discovery for the dashboard's setup (per-install client id)."""
        from cacherr.adapters.client_id import load_or_create_client_id
        from cacherr.adapters.plex_account import PlexAccount

        return PlexAccount(load_or_create_client_id(self.config_dir), self.settings.PLEX_TV_URL,
                           timeout=min(self.settings.PLEX_TIMEOUT, 15.0))

    def notifier(self) -> AppriseNotifier:
        """Notifications (``ports.Notifier``): one instance that follows settings reloads, so that its
        health record (shown on the dashboard) survives them."""
        from cacherr.adapters.notify import AppriseNotifier

        kwargs = AppriseNotifier.settings_kwargs(self.settings)
        current = self.__dict__.get("_notifier")
        if current is None:
            current = self.__dict__["_notifier"] = AppriseNotifier(**kwargs)
        elif self.__dict__.get("_notifier_kwargs") != kwargs:
            current.configure(**kwargs)
        self.__dict__["_notifier_kwargs"] = kwargs
        return current

    def trakt(self) -> TraktClient | None:
        """Trakt lists (``ports.TraktSource``), or None without TRAKT_CLIENT_ID. Cached (with its lists)
        until a Trakt setting changes. ``extras["trakt_session"]`` overrides the requests.Session."""
        from cacherr.adapters.trakt import TraktClient

        s = self.settings
        key = (s.secret("TRAKT_CLIENT_ID"), tuple(s.TRAKT_LISTS), s.TRAKT_COUNT, s.TRAKT_URL, s.TRAKT_CACHE_HOURS)
        if not key[0]:
            return None
        if self.__dict__.get("_trakt_key") != key:
            self.__dict__["_trakt"] = TraktClient.from_settings(s, session=self.extras.get("trakt_session"))
            self.__dict__["_trakt_key"] = key
        return self.__dict__["_trakt"]  # type: ignore[no-any-return]

    @cached_property
    def progress(self) -> ProgressBoard:
        """Live bytes done/total of running file operations (dashboard, API, CLI progress bars)."""
        from cacherr.services.progress import ProgressBoard

        return ProgressBoard()

    def file_engine(self) -> Engine:
        """The journaled file engine (``ports.FileEngine``), built once; settings reloads rebuild it.
        Raises ``UnsafePath`` when a configured array or cache root is a union view such as /mnt/user."""
        from cacherr.adapters.sqlite_journal import SqliteJournal
        from cacherr.fileops import EngineConfig, build_engine

        config = EngineConfig.from_settings(self.settings)
        if self.__dict__.get("_file_engine_config") != config:
            self.registry.set_pools(cache for _, cache in config.roots)  # the mappings may have changed
            self.__dict__["_file_engine"] = build_engine(SqliteJournal(self.db), self.registry, config,
                                                          progress=self.progress)
            self.__dict__["_file_engine_config"] = config
            if self.__dict__.get("_stopping"):
                self.__dict__["_file_engine"].stop()
        return self.__dict__["_file_engine"]  # type: ignore[no-any-return]

    def stop_file_operations(self) -> None:
        """On SIGTERM: the running copy is abandoned cleanly (temp file removed, journaled as rolled back)
        and queued operations are not started. Every media file stays complete where it was."""
        self.__dict__["_stopping"] = True
        engine = self.__dict__.get("_file_engine")
        if engine is not None:
            engine.stop()

    def cycle_service(self) -> CycleService:
        """The cache cycle (CLI, web, scheduler, real time), built once; follows settings reloads."""
        if "_cycle_service" not in self.__dict__:
            from cacherr.adapters.cycle_lock import LOCK_FILE, CycleLock
            from cacherr.adapters.sqlite_cycles import SqliteCycleHistory
            from cacherr.adapters.sqlite_kept_off import SqliteKeptOff
            from cacherr.adapters.sqlite_plays import SqlitePlayStarts
            from cacherr.services.cycle import CycleService

            self.__dict__["_cycle_service"] = CycleService(
                settings=lambda: self.settings, media_server=self.media_server, engine=self.file_engine,
                registry=self.registry, history=SqliteCycleHistory(self.db),
                lock=CycleLock(self.config_dir / LOCK_FILE), disk=self.disk,
                notifier=getattr(self, "notifier", None), trakt=getattr(self, "trakt", None),
                mover=self.mover_watch, kept_off=SqliteKeptOff(self.db), plays=SqlitePlayStarts(self.db))
        return self.__dict__["_cycle_service"]  # type: ignore[no-any-return]

    def mover_watch(self) -> MoverWatch | None:
        """Unraid's mover pid file for the current settings (None: the check is off)."""
        from cacherr.adapters.unraid_mover import MoverPidFile

        path = self.settings.MOVER_PID_FILE
        return MoverPidFile(path) if path else None

    def scheduler(self) -> CacheScheduler:
        """Scheduled cycles, the session watcher and the Plex webhook handler; ``start()`` it in serve."""
        if "_scheduler" not in self.__dict__:
            from cacherr.scheduler import CacheScheduler

            self.__dict__["_scheduler"] = CacheScheduler(self.cycle_service(), self.store)
        return self.__dict__["_scheduler"]  # type: ignore[no-any-return]

    def web_services(self) -> WebServices:
        """The typed set of services the web layer calls (``web.create_app`` takes it)."""
        from cacherr.web.services import WebServices

        return WebServices(
            store=self.store, queries=self.queries, progress=self.progress, cycle=self.cycle_service(),
            scheduler=self.scheduler(), notifier=self.notifier, plex_ping=lambda: self.media_server().ping(),
            db_ping=self.db.ping, log_tail=self.logs.ring.tail, path_mapper=self.path_mapper, trakt=self.trakt,
            plex_account=self.plex_account, checks=self.extras.get("doctor_checks"))

    def close(self) -> None:
        if "_scheduler" in self.__dict__:
            self.__dict__["_scheduler"].shutdown()
        if "db" in self.__dict__:
            self.db.close()


def build_container(config_dir: Path | None = None, env: Mapping[str, str] | None = None, *,
                    console_log: bool = True, **extras: Any) -> Container:
    """Validate settings (raising ``ConfigError`` with every problem), set up logging, return the container."""
    env = dict(os.environ if env is None else env)
    config_dir = Path(config_dir) if config_dir else default_config_dir(env)
    check_config_dir(config_dir)
    store = SettingsStore(config_dir, env)
    logs = setup_logging(store.current.LOG_LEVEL, config_dir / "logs", sinks=LogSinks(), console=console_log)
    logs.redactor.set_secrets(secret_terms(store.current))
    store.subscribe(lambda s: logs.redactor.set_secrets(secret_terms(s)))
    store.subscribe(lambda s: logging.getLogger().setLevel(s.LOG_LEVEL))
    return Container(store=store, extras=dict(extras), logs=logs)
