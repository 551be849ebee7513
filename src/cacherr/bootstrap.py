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
from typing import Any

from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry, open_database
from cacherr.domain.errors import ConfigError
from cacherr.domain.paths import PathMapper
from cacherr.logs import REDACTOR, setup_logging
from cacherr.settings import SECRET_FIELDS, Settings
from cacherr.settings_store import SettingsStore, default_config_dir

log = logging.getLogger(__name__)
DB_FILE = "cacherr.db"


def secrets_of(settings: Settings) -> list[str]:
    out: list[str] = []
    for name in SECRET_FIELDS:
        value = getattr(settings, name)
        values = value if isinstance(value, list) else [value]
        out.extend(v.get_secret_value() for v in values if hasattr(v, "get_secret_value"))
    return out


def check_config_dir(config_dir: Path) -> None:
    """The config folder must exist (or be creatable) and be writable; say how to fix it otherwise."""
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError([f"CONFIG_DIR={config_dir}: cannot be created ({exc.strerror}); "
                           "mount a writable folder at /config or set CONFIG_DIR"]) from None
    if not os.access(config_dir, os.W_OK | os.X_OK):
        raise ConfigError([f"CONFIG_DIR={config_dir}: not writable by uid {os.getuid()}; "
                           "fix its owner (chown 99:100) or set CONFIG_DIR to a writable folder"])


@dataclass
class Container:
    """Everything a running Cacherr uses, built on first use from the settings store."""

    store: SettingsStore
    extras: dict[str, Any] = field(default_factory=dict)  # test and demo overrides (e.g. a requests.Session)

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
        return SqliteCacheRegistry(self.db)

    def path_mapper(self) -> PathMapper:
        return PathMapper(self.settings.path_mappings())

    def media_server(self) -> Any:
        """The Plex adapter (``ports.MediaServer``)."""
        raise NotImplementedError("the Plex adapter is not built yet")

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.close()


def build_container(config_dir: Path | None = None, env: Mapping[str, str] | None = None, *,
                    console_log: bool = True, **extras: Any) -> Container:
    """Validate settings (raising ``ConfigError`` with every problem), set up logging, return the container."""
    env = dict(os.environ if env is None else env)
    config_dir = Path(config_dir) if config_dir else default_config_dir(env)
    check_config_dir(config_dir)
    store = SettingsStore(config_dir, env)
    setup_logging(store.current.LOG_LEVEL, config_dir / "logs", console=console_log)
    REDACTOR.set_secrets(secrets_of(store.current))
    store.subscribe(lambda s: REDACTOR.set_secrets(secrets_of(s)))
    store.subscribe(lambda s: logging.getLogger().setLevel(s.LOG_LEVEL))
    return Container(store=store, extras=dict(extras))
